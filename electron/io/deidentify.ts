/**
 * De-identification of DICOM files after DICOM PS3.15 Annex E, the Basic
 * Application Level Confidentiality Profile (Table E.1-1, 2025 edition),
 * with the Retain Longitudinal Temporal Information Full Dates Option as a
 * choice.
 *
 * The file is rewritten element by element: attributes the profile keeps are
 * copied byte for byte — Pixel Data included, encapsulated (JPEG 2000, …)
 * or not, so the image is bit-identical — and the others are removed (X),
 * emptied (Z), given a dummy value (D) or a new UID (U: `2.25.` + 128 bits
 * of an HMAC of the original under a per-export secret, so one export maps
 * a UID to the same new UID in every file, and different exports cannot be
 * linked). Beyond the table, as the profile requires: every private
 * attribute is removed; person names, dates and times not in the table are
 * removed (kept with the dates option); UIDs not in the table that are not
 * DICOM registry UIDs (1.2.840.10008.…) or SOP class UIDs are replaced; sequences are
 * de-identified item by item (written with undefined lengths). Patient
 * Identity Removed (0012,0062) = YES, De-identification Method (0012,0063)
 * and its Code Sequence (0012,0064: 113100, and 113106 with the dates
 * option) are added; the File Meta's Media Storage SOP Instance UID follows
 * the new SOP Instance UID and the source AE title is removed.
 *
 * Supported: Explicit VR Little Endian, every encapsulated transfer syntax
 * (all explicit VR little endian) and Implicit VR Little Endian — its VRs
 * from the DICOM data dictionary (dcmjs's copy of PS3.6), the file written
 * back in implicit VR. Big endian files are refused with a clear error.
 */
import crypto from 'node:crypto';
import { createRequire } from 'node:module';
import type dcmjsModule from 'dcmjs';

export type DeidAction = 'X' | 'Z' | 'D' | 'U';

/**
 * PS3.15 Table E.1-1, Basic Profile column, for the attributes not already
 * covered by the VR rules below (every PN, DA, DT, TM is handled by VR —
 * removed — except the dates and times the table keeps empty: Study, Content
 * and Acquisition Date/Time, Patient's Birth Date; every UI by the UID rule) — tag (8 hex digits) and action. Compound actions are
 * resolved to one: X/Z, Z/D, X/Z/D → Z (the attribute stays, empty); X/D → X;
 * the X/Z/U* reference sequences are left out of the table, so they are kept
 * and de-identified inside (their UIDs replaced); a D on a sequence → X (the
 * sequence is removed). A sequence the table does not name is kept and
 * de-identified item by item.
 */
const TABLE = `
00080023 Z 00080033 Z 00080022 Z 00080032 Z 0008002a Z
00080050 Z 00184000 X 00400555 X 00181400 X 001811bb D 00189424 X 00404035 X 001021b0 X 0040a353 X 00380010 X
00081084 X 00081080 X 00102110 X 0040b034 X 006a0006 X 006a0005 D 40000010 X 0040a078 X 22000005 Z 300a00c3 X
300a00dd X 00101081 X 0016004d X 00181007 X 04000115 D 04000310 X 00120060 Z 00120082 X 00120081 D 00120020 D
00120021 Z 00120072 X 00120071 X 00120030 Z 00120031 Z 00120010 D 00120040 D 00120042 D 00120051 X 00120050 Z
00400310 X 00400280 X 300a02eb X 3010000f Z 30100017 Z 00403001 X 0008009d X 0050001b X 0040051a X 00400512 D
00700086 X 0040a730 X 00080107 D 00080106 D 00180010 Z 0018a003 X 00102150 X 0040a307 X 00380300 X 0040a07c X
fffcfffc X 0018700a X 3010001b Z 00500020 X 3010002d D 00181000 Z 0016004b X fffafffa X 00380040 X 300a079a X
4008011a X 300a0016 X 0040a034 X 0040a035 X 00420011 X 30100037 X 30100035 D 30100038 D 30100036 X 300a0676 X
00102160 X 00102161 X 00102162 X 00402017 Z 003a032b X 300a0196 X 00340002 D 00340001 X 3010007f Z 300a0072 X
00209158 X 00181008 X 00100044 X 00100045 X 00100041 X 00181005 X 00160076 X 00160075 X 0016008c X 00160088 X
00160087 X 0016008a X 00160089 X 00160084 X 00160083 X 00160086 X 00160085 X 0016008e X 0016007b X 00160081 X
00160080 X 00160072 X 00160071 X 00160074 X 00160073 X 00160082 X 0016007a X 0016008b X 00160078 X 0016007d X
0016007c X 00160079 X 00160077 X 0016007f X 0016007e X 00160070 X 00700001 X 00081304 X 00880200 X 00084000 X
00204000 X 00284000 X 00402400 X 40080300 X 04000600 X 00080081 X 00081040 X 00081041 X 00080082 Z 00080080 Z
00101050 X 00401011 X 300a0742 D 300a0783 D 4008010b X 40080115 X 40080200 X 40080202 X 00380011 X 00380014 X
00120022 X 00120073 X 00120032 X 00120041 X 00120043 X 00120055 X 00100021 X 00380061 X 00380064 X 00400513 Z
00400562 Z 22000002 Z 0016004f X 00160050 X 00160051 X 0016004e X 00500021 X 04000404 X 0016002b X 30100043 Z
00102000 X 00101090 X 00101080 X 04000550 X 00203406 X 00203401 X 04000563 D 0040b03f X 0040b03b X 0018937b X
00401010 X 00100012 X 00100013 X 00081000 X 04000552 X 04000551 X 00102180 X 00081072 X 00402010 X 00402011 X
00402009 X 04000561 X 21000070 X 00120023 X 00101000 X 00101002 X 00101040 X 00101010 X 00380400 X 00100050 X
00100101 X 00100102 X 001021f0 X 00100040 Z 00102203 Z 00101020 X 00102155 X 00102154 X 00101030 X 00104000 X
00100020 D 300a0794 X 00380500 X 00401004 X 300a0792 X 300a078e X 00400243 X 00400254 X 00400253 X 00400241 X
00404030 X 00400242 X 00404028 X 00081052 X 00401102 X 00401104 X 00401103 X 00401101 X 00100011 X 00081049 X
00081062 X 00402016 Z 00181004 X 30020123 X 30020121 X 001021c0 X 00400012 X 300a000e X 3010007b Z 30100081 Z
00081302 X 00081301 X 30100061 X 00100015 X 00100016 X 00181030 X 00081088 X 00200027 X 300a0619 D 300a0623 D
300a067d Z 300a067c D 300c0113 X 0040100a X 00321030 X 3010005c Z 04000565 D 00402001 X 00401002 X 00321066 X
00321067 X 00741234 X 04000402 X 00380004 X 00101100 X 00081120 X 04000403 X 00081110 Z 00080092 X 00080094 X
00080096 X 00102152 X 00400275 X 00321070 X 00401400 X 00321060 Z 00401001 X 00401005 X 00189937 X 00741236 X
00321033 X 00189185 X 00102299 X 40084000 X 40080118 X 40080040 X 40080042 X 00080054 X 3006004d X 3006002d X
30060028 X 30060038 X 3006004e X 30060026 Z 3006002e X 30060088 X 30060085 X 300a0615 Z 300a0611 Z 3010005a Z
300a0004 X 300a0002 D 300a0003 X 30100054 D 300a062a D 30100056 X 0038001e X 00404034 X 0040000b X 00400007 X
00400009 X 00400011 X 00400001 X 00404027 X 00400010 X 00404025 X 00321020 X 00321021 X 00081303 X 0040b036 X
0072005e D 0072005f D 00720066 D 00720068 D 00720065 D 0072006c D 0072006e D 0072006d D 00720071 D 00720070 D
0008103e X 00380062 X 00380060 X 300a01b2 X 00100046 X 00100042 X 00100047 X 00100043 X 300a01a6 X 004006fa X
001021a0 X 00340005 D 300a0216 X 04000564 Z 30080105 Z 00380050 X 0040050a X 00400602 X 00400551 D 00400610 Z
00400600 X 00080055 X 00081010 Z 30060006 X 30060002 D 30060004 X 00324000 X 00081030 X 00200010 Z 00320012 X
0040a354 X 0040db07 X 0040db06 X 40004000 X 20300020 X 00100014 X 00080201 X 00880910 X 00880912 X 00880906 X
00880904 X 00185011 X 300a00b2 Z 300a0608 D 30100077 X 300a000b X 3010007a Z 300a0734 D 0018100a X 00181009 X
30100033 D 30100034 D 0040a352 X 0040a358 X 0040a088 Z 0040a073 X 0040a027 D 00384000 X 003a0329 X 00189371 D
00189373 X 00189367 D 00102297 X 00101005 X 00101060 X 00101001 X 00321032 X 00080090 Z 00100010 Z 00100030 Z
00080020 Z 00080030 Z 00081048 X 00081050 X 00081060 X 00081070 Z 0040a075 D 0040a123 D 00400006 X 00404037 X
00404036 X 00402008 X 4008010c X 40080102 X 4008010a X 40080114 X 300e0008 Z 300600a6 Z 0016004d X 00700084 Z
0008009c Z 00102203 Z 00100032 X
`;

/** Tags of the profile's actions (upper-case hex). */
export const BASIC_PROFILE: ReadonlyMap<string, DeidAction> = new Map(
  TABLE.trim()
    .split(/\s+/)
    .reduce<[string, DeidAction][]>((acc, v, i, a) => (i % 2 === 0 ? [...acc, [v.toUpperCase(), a[i + 1] as DeidAction]] : acc), []),
);

/** Repeating groups of the profile: curves (50xx), overlay data and comments (60xx3000, 60xx4000): removed. */
const removedRepeating = (group: number, element: number): boolean =>
  (group & 0xff00) === 0x5000 || ((group & 0xff00) === 0x6000 && (element === 0x3000 || element === 0x4000));

export interface DeidOptions {
  /** Retain Longitudinal Temporal Information, Full Dates Option (PS3.15 E.3.6): dates and times kept. */
  retainDates: boolean;
  /** The export's secret for UID replacement and the pseudonymous Patient ID (one per export). */
  secret: Buffer;
  /** The Patient ID to write (a pseudonym; D action). */
  patientPseudonym: string;
  /** The software that de-identified (e.g. "OrthoTwin 0.1.0"): a second value of De-identification Method (0012,0063). */
  software?: string;
}

export interface DeidResult {
  bytes: Uint8Array;
  /** What was done: counts per action, and warnings (e.g. burned-in annotation). */
  removed: number;
  emptied: number;
  replaced: number;
  uidsReplaced: number;
  privateRemoved: number;
  warnings: string[];
  /** The new SOP Instance UID. */
  sopInstanceUid: string;
}

export class DeidentifyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DeidentifyError';
  }
}

/** Attributes holding SOP class UIDs (a vendor's private class identifies a product, not a patient): kept. */
const CLASS_UIDS = new Set(['00080016', '00081150', '0008001A', '0008001B', '00041510', '00041512']);

const LONG_VR = new Set(['OB', 'OD', 'OF', 'OL', 'OV', 'OW', 'SQ', 'UC', 'UR', 'UT', 'UN', 'SV', 'UV']);
const UNDEFINED = 0xffffffff;

interface Element {
  /** Encoded in implicit VR (its VR from the dictionary; written back in implicit VR). */
  implicit: boolean;
  group: number;
  element: number;
  vr: string;
  /** Byte offset of the element's first header byte, of its value, and one past its end (delimiters included). */
  start: number;
  valueStart: number;
  end: number;
  length: number;
  /** Items of a sequence (their elements). */
  items?: Element[][];
}

const hex = (g: number, e: number) => (g.toString(16).padStart(4, '0') + e.toString(16).padStart(4, '0')).toUpperCase();

/** Parses explicit VR little endian elements in [pos, stop) (stop = undefined: until an item delimiter). */
const requireCjs = createRequire(import.meta.url);
let dictionary: (typeof dcmjsModule)['data']['DicomMetaDictionary']['dictionary'] | null = null;
/** dcmjs's DICOM dictionary, loaded on the first implicit VR file (not by every process that imports this module). */
const dicomDictionary = (): NonNullable<typeof dictionary> => (dictionary ??= (requireCjs('dcmjs') as typeof dcmjsModule).data.DicomMetaDictionary.dictionary);

/** The VR of a data element from the DICOM data dictionary (PS3.6, as dcmjs carries it); UN when it has none. */
function dictionaryVr(group: number, element: number): string {
  if (element === 0x0000) return 'UL'; // group lengths
  const e = dicomDictionary()[`(${group.toString(16).padStart(4, '0')},${element.toString(16).padStart(4, '0')})`.toUpperCase()];
  const vr = (e?.vr ?? '').toUpperCase();
  // "OX" (OB or OW: native pixel data in implicit VR is OW), "XS" (US or SS), "US or SS"
  if (vr === 'OX') return 'OW';
  if (vr === 'XS') return 'US';
  const first = vr.slice(0, 2);
  return /^[A-Z]{2}$/.test(first) ? first : 'UN';
}

function parseElements(
  b: Uint8Array,
  dv: DataView,
  pos: number,
  stop: number | undefined,
  file: string,
  implicit = false,
): { elements: Element[]; end: number } {
  const out: Element[] = [];
  while (stop === undefined ? pos + 8 <= b.length : pos < stop) {
    const group = dv.getUint16(pos, true),
      element = dv.getUint16(pos + 2, true);
    if (group === 0xfffe && element === 0xe00d) return { elements: out, end: pos + 8 }; // item delimitation
    if (pos + 8 > b.length) throw new DeidentifyError(`${file}: truncated element at byte ${pos}`);
    const elImplicit = implicit && group !== 0x0002;
    let vr = String.fromCharCode(b[pos + 4]!, b[pos + 5]!);
    let length: number, valueStart: number;
    if (elImplicit) {
      length = dv.getUint32(pos + 4, true);
      valueStart = pos + 8;
      vr = dictionaryVr(group, element);
      // an undefined length outside the dictionary's sequences is a sequence too (implicit VR has no encapsulated pixels)
      if (length === UNDEFINED && vr !== 'SQ') vr = 'SQ';
    } else if (LONG_VR.has(vr)) {
      length = dv.getUint32(pos + 8, true);
      valueStart = pos + 12;
    } else if (/^[A-Z]{2}$/.test(vr)) {
      length = dv.getUint16(pos + 6, true);
      valueStart = pos + 8;
    } else throw new DeidentifyError(`${file}: element (${hex(group, element)}) at byte ${pos} has no explicit VR (implicit VR files are not supported)`);
    const el: Element = { group, element, vr, start: pos, valueStart, end: 0, length, implicit: elImplicit };
    if (vr === 'SQ' || (length === UNDEFINED && vr === 'UN')) {
      el.items = [];
      let p = valueStart;
      const seqEnd = length === UNDEFINED ? undefined : valueStart + length;
      for (;;) {
        if (seqEnd !== undefined && p >= seqEnd) break;
        const ig = dv.getUint16(p, true),
          ie = dv.getUint16(p + 2, true),
          il = dv.getUint32(p + 4, true);
        if (ig === 0xfffe && ie === 0xe0dd) {
          p += 8;
          break;
        }
        if (ig !== 0xfffe || ie !== 0xe000) throw new DeidentifyError(`${file}: expected a sequence item at byte ${p} in (${hex(group, element)})`);
        const r = parseElements(b, dv, p + 8, il === UNDEFINED ? undefined : p + 8 + il, file, implicit);
        el.items.push(r.elements);
        p = il === UNDEFINED ? r.end : p + 8 + il;
      }
      el.end = p;
    } else if (length === UNDEFINED) {
      // encapsulated pixel data: items of defined length up to the sequence delimitation item
      let p = valueStart;
      for (;;) {
        if (p + 8 > b.length) throw new DeidentifyError(`${file}: encapsulated pixel data not terminated`);
        const ig = dv.getUint16(p, true),
          ie = dv.getUint16(p + 2, true),
          il = dv.getUint32(p + 4, true);
        p += 8;
        if (ig === 0xfffe && ie === 0xe0dd) break;
        p += il;
      }
      el.end = p;
    } else {
      el.end = valueStart + length;
      if (el.end > b.length) throw new DeidentifyError(`${file}: element (${hex(group, element)}) runs past the end of the file`);
    }
    out.push(el);
    pos = el.end;
  }
  return { elements: out, end: pos };
}

/** Growing output buffer. */
class Out {
  private buf = new Uint8Array(1 << 16);
  length = 0;
  private ensure(n: number): void {
    if (this.length + n <= this.buf.length) return;
    const nb = new Uint8Array(Math.max(this.buf.length * 2, this.length + n));
    nb.set(this.buf.subarray(0, this.length));
    this.buf = nb;
  }
  bytes(b: Uint8Array): void {
    this.ensure(b.length);
    this.buf.set(b, this.length);
    this.length += b.length;
  }
  u16(v: number): void {
    this.ensure(2);
    this.buf[this.length++] = v & 0xff;
    this.buf[this.length++] = (v >> 8) & 0xff;
  }
  u32(v: number): void {
    this.u16(v & 0xffff);
    this.u16((v >>> 16) & 0xffff);
  }
  result(): Uint8Array {
    return this.buf.slice(0, this.length);
  }
}

/** Writes one little-endian element with a string value (padded to even length: UI with NUL, others with a space), in explicit VR or, with `implicit`, implicit VR. */
function writeString(o: Out, group: number, element: number, vr: string, value: string, implicit = false): void {
  let v = Buffer.from(value, 'latin1');
  if (v.length % 2) v = Buffer.concat([v, Buffer.from([vr === 'UI' ? 0 : 0x20])]);
  o.u16(group);
  o.u16(element);
  if (implicit) {
    o.u32(v.length);
    o.bytes(v);
    return;
  }
  o.bytes(Buffer.from(vr, 'latin1'));
  if (LONG_VR.has(vr)) {
    o.u16(0);
    o.u32(v.length);
  } else o.u16(v.length);
  o.bytes(v);
}

/** Writes a sequence's header with an undefined length (explicit or implicit VR). */
function writeSequenceStart(o: Out, group: number, element: number, implicit: boolean): void {
  o.u16(group);
  o.u16(element);
  if (!implicit) {
    o.bytes(Buffer.from('SQ', 'latin1'));
    o.u16(0);
  }
  o.u32(UNDEFINED);
}

const DUMMY: Record<string, string> = { PN: 'ANONYMOUS', DA: '19000101', TM: '000000', DT: '19000101000000', AS: '000Y' };

export function newUid(secret: Buffer, old: string): string {
  const h = crypto.createHmac('sha256', secret).update(old).digest();
  return `2.25.${BigInt('0x' + h.subarray(0, 16).toString('hex')).toString()}`;
}

/**
 * De-identifies one DICOM Part 10 file.
 * @param bytes the file; @param file its name, for errors
 * @throws DeidentifyError naming the file when it is not DICOM Part 10, uses an unsupported transfer syntax, or is malformed
 */
export function deidentifyDicom(bytes: Uint8Array, file: string, o: DeidOptions): DeidResult {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.length < 132 || String.fromCharCode(...bytes.subarray(128, 132)) !== 'DICM')
    throw new DeidentifyError(`${file}: not a DICOM Part 10 file (no DICM preamble)`);
  const str = (el: Element) =>
    Buffer.from(bytes.subarray(el.valueStart, el.valueStart + el.length))
      .toString('latin1')
      .replace(/[\0 ]+$/, '');
  // the File Meta (always explicit VR) first: its transfer syntax says how the data set is encoded
  const metaEnd = bytes.length >= 144 && dv.getUint16(132, true) === 0x0002 && dv.getUint16(134, true) === 0x0000 ? 144 + dv.getUint32(140, true) : undefined;
  const metaParsed = metaEnd ? parseElements(bytes, dv, 132, metaEnd, file).elements : [];
  const tsEl = metaParsed.find((e) => e.element === 0x0010);
  const implicit = (tsEl ? str(tsEl) : '') === '1.2.840.10008.1.2';
  const elements = metaEnd
    ? [...metaParsed, ...parseElements(bytes, dv, metaEnd, undefined, file, implicit).elements]
    : parseElements(bytes, dv, 132, undefined, file).elements;
  const meta = elements.filter((e) => e.group === 0x0002);
  const ts = meta.find((e) => e.element === 0x0010);
  const tsUid = ts ? str(ts) : '';
  if (tsUid === '1.2.840.10008.1.2.2') throw new DeidentifyError(`${file}: transfer syntax ${tsUid} (big endian) is not supported by the de-identifier`);
  const stats = { removed: 0, emptied: 0, replaced: 0, uidsReplaced: 0, privateRemoved: 0 };
  const warnings: string[] = [];
  const uid = (old: string) => (stats.uidsReplaced++, newUid(o.secret, old));
  const sop = elements.find((e) => e.group === 0x0008 && e.element === 0x0018);
  // an empty SOP Instance UID (already stripped) still gets a unique one: from the file's own bytes
  const newSop = newUid(o.secret, sop && sop.length > 0 ? str(sop) : crypto.createHash('sha256').update(bytes).digest('hex'));
  const modality = elements.find((e) => e.group === 0x0008 && e.element === 0x0060);
  const burned = elements.find((e) => e.group === 0x0028 && e.element === 0x0301);
  const mod = modality ? str(modality) : '';
  if (burned ? str(burned) !== 'NO' : ['US', 'SC', 'XA', 'ES', 'OT'].includes(mod))
    warnings.push(
      `${file}: ${mod || 'this'} image ${burned ? 'declares' : 'may carry'} burned-in annotation: identifying text in the pixels is not removed — review the images before sharing`,
    );

  const writeDataset = (out: Out, els: Element[], top: boolean): void => {
    for (const el of els) {
      const tag = hex(el.group, el.element);
      if (top && el.group === 0x0002) continue; // the File Meta is written separately
      if (el.group % 2 === 1) {
        stats.privateRemoved++;
        continue;
      }
      if (el.group === 0x0012 && [0x0062, 0x0063, 0x0064].includes(el.element)) continue; // written anew below
      const action = BASIC_PROFILE.get(tag);
      const isTemporal = el.vr === 'DA' || el.vr === 'DT' || el.vr === 'TM';
      if (removedRepeating(el.group, el.element)) {
        stats.removed++;
        continue;
      }
      if (isTemporal && o.retainDates && tag !== '00100030' && tag !== '00100032') {
        out.bytes(bytes.subarray(el.start, el.end));
        continue;
      }
      if (tag === '00080018') {
        writeString(out, el.group, el.element, 'UI', newSop, el.implicit);
        stats.uidsReplaced++;
        continue;
      }
      if (tag === '00100020') {
        writeString(out, el.group, el.element, el.vr, o.patientPseudonym, el.implicit);
        stats.replaced++;
        continue;
      }
      if (el.vr === 'UI') {
        const v = str(el);
        // registry UIDs (SOP classes, transfer syntaxes, coding schemes) identify nothing
        if (v.startsWith('1.2.840.10008.') || CLASS_UIDS.has(tag)) out.bytes(bytes.subarray(el.start, el.end));
        else if (v === '' && !['0020000D', '0020000E', '00200052'].includes(tag)) out.bytes(bytes.subarray(el.start, el.end));
        else writeString(out, el.group, el.element, 'UI', uid(v === '' ? `empty:${tag}` : v), el.implicit);
        continue;
      }
      if (el.items) {
        if (action === 'X' || action === 'D') {
          stats.removed++;
          continue;
        }
        // the sequence, de-identified item by item, with undefined lengths
        writeSequenceStart(out, el.group, el.element, el.implicit);
        if (action !== 'Z')
          for (const item of el.items) {
            out.u16(0xfffe);
            out.u16(0xe000);
            out.u32(UNDEFINED);
            writeDataset(out, item, false);
            out.u16(0xfffe);
            out.u16(0xe00d);
            out.u32(0);
          }
        else stats.emptied++;
        out.u16(0xfffe);
        out.u16(0xe0dd);
        out.u32(0);
        continue;
      }
      const effective: DeidAction | 'K' = action ?? (el.vr === 'PN' || isTemporal ? 'X' : 'K');
      if (effective === 'K') out.bytes(bytes.subarray(el.start, el.end));
      else if (effective === 'X') stats.removed++;
      else if (effective === 'Z' || (effective === 'D' && !DUMMY[el.vr] && !['LO', 'SH', 'LT', 'ST', 'UT', 'CS'].includes(el.vr))) {
        writeString(out, el.group, el.element, el.vr, '', el.implicit);
        stats.emptied++;
      } else if (effective === 'D') {
        writeString(out, el.group, el.element, el.vr, DUMMY[el.vr] ?? 'ANONYMIZED', el.implicit);
        stats.replaced++;
      } else {
        writeString(out, el.group, el.element, 'UI', uid(str(el)), el.implicit);
      }
    }
  };

  const body = new Out();
  // the dataset, with the de-identification attributes inserted in tag order (group 0012 before 0013+)
  const top = elements.filter((e) => e.group !== 0x0002);
  const before = top.filter((e) => e.group < 0x0012 || (e.group === 0x0012 && e.element < 0x0062));
  const after = top.filter((e) => !before.includes(e));
  writeDataset(body, before, true);
  writeString(body, 0x0012, 0x0062, 'CS', 'YES', implicit);
  writeString(
    body,
    0x0012,
    0x0063,
    'LO',
    (o.retainDates ? 'PS 3.15 E.1 Basic Profile; Retain Longitudinal Full Dates Option' : 'PS 3.15 E.1 Basic Application Confidentiality Profile') +
      (o.software ? `\\${o.software.slice(0, 64)}` : ''),
    implicit,
  );
  // De-identification Method Code Sequence: (113100, DCM) and (113106, DCM) with the dates option
  writeSequenceStart(body, 0x0012, 0x0064, implicit);
  for (const [code, meaning] of [
    ['113100', 'Basic Application Confidentiality Profile'],
    ...(o.retainDates ? [['113106', 'Retain Longitudinal Temporal Information Full Dates Option']] : []),
  ] as [string, string][]) {
    body.u16(0xfffe);
    body.u16(0xe000);
    body.u32(UNDEFINED);
    writeString(body, 0x0008, 0x0100, 'SH', code, implicit);
    writeString(body, 0x0008, 0x0102, 'SH', 'DCM', implicit);
    writeString(body, 0x0008, 0x0104, 'LO', meaning, implicit);
    body.u16(0xfffe);
    body.u16(0xe00d);
    body.u32(0);
  }
  body.u16(0xfffe);
  body.u16(0xe0dd);
  body.u32(0);
  writeDataset(body, after, true);

  // File Meta: kept but for the instance UID (the new one) and the source/sending/receiving AE titles
  const metaOut = new Out();
  for (const el of meta) {
    if (el.element === 0x0000) continue;
    if (el.element === 0x0003) writeString(metaOut, 0x0002, 0x0003, 'UI', newSop);
    else if ([0x0016, 0x0017, 0x0018].includes(el.element)) stats.removed++;
    else metaOut.bytes(bytes.subarray(el.start, el.end));
  }
  const metaBytes = metaOut.result();
  const out = new Out();
  out.bytes(new Uint8Array(128));
  out.bytes(Buffer.from('DICM', 'latin1'));
  out.u16(0x0002);
  out.u16(0x0000);
  out.bytes(Buffer.from('UL', 'latin1'));
  out.u16(4);
  out.u32(metaBytes.length);
  out.bytes(metaBytes);
  out.bytes(body.result());
  return { bytes: out.result(), ...stats, warnings, sopInstanceUid: newSop };
}

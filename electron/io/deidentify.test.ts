import crypto from 'node:crypto';
import dicomParser from 'dicom-parser';
import { describe, expect, it } from 'vitest';
import { deidentifyDicom, DeidentifyError, newUid } from './deidentify.js';

/** One explicit VR little endian element (short or long header by VR). */
function el(group: number, element: number, vr: string, value: Buffer | string): Buffer {
  let v = typeof value === 'string' ? Buffer.from(value, 'latin1') : value;
  if (v.length % 2) v = Buffer.concat([v, Buffer.from([vr === 'UI' ? 0 : 0x20])]);
  const long = ['OB', 'OW', 'SQ', 'UN', 'UT'].includes(vr);
  const h = Buffer.alloc(long ? 12 : 8);
  h.writeUInt16LE(group, 0);
  h.writeUInt16LE(element, 2);
  h.write(vr, 4, 'latin1');
  if (long) h.writeUInt32LE(v.length, 8);
  else h.writeUInt16LE(v.length, 6);
  return Buffer.concat([h, v]);
}
/** A defined-length sequence of one defined-length item. */
function seq(group: number, element: number, item: Buffer): Buffer {
  const it = Buffer.alloc(8);
  it.writeUInt16LE(0xfffe, 0);
  it.writeUInt16LE(0xe000, 2);
  it.writeUInt32LE(item.length, 4);
  return el(group, element, 'SQ', Buffer.concat([it, item]));
}

/** A small ultrasound image file with identifiers in the places the profile covers. */
function ultrasoundFile(transferSyntax = '1.2.840.10008.1.2.1'): Buffer {
  const meta = Buffer.concat([
    el(0x0002, 0x0001, 'OB', Buffer.from([0, 1])),
    el(0x0002, 0x0002, 'UI', '1.2.840.10008.5.1.4.1.1.6.1'),
    el(0x0002, 0x0003, 'UI', '1.2.3.4.5.6.7'),
    el(0x0002, 0x0010, 'UI', transferSyntax),
    el(0x0002, 0x0016, 'AE', 'HOSPITAL_US3'),
  ]);
  const body = Buffer.concat([
    el(0x0008, 0x0016, 'UI', '1.2.840.10008.5.1.4.1.1.6.1'),
    el(0x0008, 0x0018, 'UI', '1.2.3.4.5.6.7'),
    el(0x0008, 0x0020, 'DA', '20240305'),
    el(0x0008, 0x0060, 'CS', 'US'),
    el(0x0008, 0x0080, 'LO', 'St Elsewhere Hospital'),
    el(0x0008, 0x0090, 'PN', 'House^Gregory'),
    el(0x0009, 0x0010, 'LO', 'ACME 1.0'),
    el(0x0009, 0x1001, 'LO', 'private note about Jane'),
    seq(0x0008, 0x1140, Buffer.concat([el(0x0008, 0x1150, 'UI', '1.2.840.10008.5.1.4.1.1.6.1'), el(0x0008, 0x1155, 'UI', '1.2.3.4.5.6.6')])),
    el(0x0010, 0x0010, 'PN', 'Doe^Jane'),
    el(0x0010, 0x0020, 'LO', 'MRN-0042'),
    el(0x0010, 0x0030, 'DA', '19800101'),
    el(0x0010, 0x1040, 'LO', '12 Main Street'),
    el(0x0020, 0x000d, 'UI', '1.2.3.4.5.1'),
    el(0x0020, 0x000e, 'UI', '1.2.3.4.5.2'),
    el(0x0028, 0x0010, 'US', Buffer.from([2, 0])),
    el(0x0028, 0x0011, 'US', Buffer.from([2, 0])),
    el(0x6000, 0x3000, 'OW', Buffer.from([1, 2, 3, 4])),
    el(0x7fe0, 0x0010, 'OW', Buffer.from([10, 20, 30, 40, 50, 60, 70, 80])),
  ]);
  const gl = el(0x0002, 0x0000, 'UL', Buffer.alloc(4));
  gl.writeUInt32LE(meta.length, 8);
  return Buffer.concat([Buffer.alloc(128), Buffer.from('DICM'), gl, meta, body]);
}

const opts = { retainDates: false, secret: crypto.randomBytes(32), patientPseudonym: 'ANON-TEST' };

describe('DICOM de-identification (PS3.15 E.1 Basic Profile)', () => {
  it('removes names, IDs, addresses, dates, private and overlay data; replaces UIDs consistently; keeps the pixels; warns about burned-in annotation in ultrasound', () => {
    const src = ultrasoundFile();
    const r = deidentifyDicom(src, 'us.dcm', opts);
    const text = Buffer.from(r.bytes).toString('latin1');
    for (const s of ['Doe', 'MRN-0042', 'House', '12 Main', 'St Elsewhere', 'Jane', 'ACME', '20240305', '19800101', 'HOSPITAL_US3', '1.2.3.4.5'])
      expect(text.includes(s), s).toBe(false);
    const ds = dicomParser.parseDicom(r.bytes);
    expect(ds.string('x00100020')).toBe('ANON-TEST');
    expect(ds.elements['x00100010']!.length).toBe(0);
    expect(ds.elements['x00101040']).toBeUndefined();
    expect(ds.elements['x60003000']).toBeUndefined();
    expect(ds.elements['x00090010']).toBeUndefined();
    expect(ds.string('x00080018')).toBe(newUid(opts.secret, '1.2.3.4.5.6.7'));
    expect(ds.string('x00020003')).toBe(ds.string('x00080018'));
    expect(ds.string('x00080016')).toBe('1.2.840.10008.5.1.4.1.1.6.1');
    const ref = ds.elements['x00081140']!.items![0]!.dataSet!;
    expect(ref.string('x00081155')).toBe(newUid(opts.secret, '1.2.3.4.5.6.6'));
    expect(ref.string('x00081150')).toBe('1.2.840.10008.5.1.4.1.1.6.1');
    const px = ds.elements['x7fe00010']!;
    expect(Array.from(r.bytes.subarray(px.dataOffset, px.dataOffset + px.length))).toEqual([10, 20, 30, 40, 50, 60, 70, 80]);
    expect(r.warnings.join(' ')).toMatch(/US image may carry burned-in annotation/);
    expect(r.privateRemoved).toBe(2);
  });

  it('empties the dates and times the profile keeps (Study, Content, Acquisition: Z, Z/D, X/Z), removes the others (Series: X/D)', () => {
    const src = ultrasoundFile();
    const extra = Buffer.concat([
      el(0x0008, 0x0021, 'DA', '20240305'),
      el(0x0008, 0x0022, 'DA', '20240305'),
      el(0x0008, 0x0023, 'DA', '20240305'),
      el(0x0008, 0x0031, 'TM', '101010'),
      el(0x0008, 0x0032, 'TM', '101010'),
      el(0x0008, 0x0033, 'TM', '101010'),
    ]);
    // in tag order: after (0008,0020) Study Date
    const at = src.indexOf(Buffer.from([0x08, 0x00, 0x60, 0x00, 0x43, 0x53]));
    const r = deidentifyDicom(Buffer.concat([src.subarray(0, at), extra, src.subarray(at)]), 'us.dcm', opts);
    const ds = dicomParser.parseDicom(r.bytes);
    for (const tag of ['x00080020', 'x00080022', 'x00080023', 'x00080032', 'x00080033']) expect([tag, ds.elements[tag]?.length]).toEqual([tag, 0]);
    for (const tag of ['x00080021', 'x00080031']) expect(ds.elements[tag], tag).toBeUndefined();
  });

  it('refuses big endian and non-Part-10 files with the file name', () => {
    expect(() => deidentifyDicom(ultrasoundFile('1.2.840.10008.1.2.2'), 'old.dcm', opts)).toThrow(
      /old\.dcm: transfer syntax 1\.2\.840\.10008\.1\.2\.2 .* not supported/,
    );
    expect(() => deidentifyDicom(Buffer.from('not dicom at all'), 'notes.txt', opts)).toThrow(DeidentifyError);
  });
});

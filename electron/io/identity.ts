/**
 * Data identity at import (issue 20): what a file or series is — a 3D
 * volume, a tracked 2D ultrasound sequence, a 2D image or a multi-frame cine
 * loop — and its modality, from its own metadata; and whether a study's
 * patient identity (name, ID, birth date) matches the patient it is imported
 * into. Pure functions over header fields; no file access.
 */

/** What an image file or DICOM series holds. Only `volume` can become a twin. */
export type ContentKind = 'volume' | 'tracked-sequence' | 'image-2d' | 'cine';

/** Modalities OrthoTwin distinguishes (DICOM PS3.3 C.7.3.1.1.1 terms); 'OT' = not stated. */
export type Modality = 'CT' | 'MR' | 'US' | 'OT';

/** What a header says about the content. */
export interface ContentInfo {
  kind: ContentKind;
  /** Modality the file states (MetaImage `Modality`, NRRD `modality`, PLUS ultrasound fields), or null when it says none. */
  statedModality: Modality | null;
  /** Frames of a sequence or cine (the last axis), 1 otherwise. */
  frames: number;
}

const MET_MODALITY: Record<string, Modality> = { MET_MOD_CT: 'CT', MET_MOD_MR: 'MR', MET_MOD_US: 'US', MET_MOD_OTHER: 'OT' };

/**
 * Content of a MetaImage or NRRD file from its header fields (keys lower-cased).
 * A PLUS sequence (`Seq_Frame…Transform` fields, as written by PLUS's
 * vtkPlusSequenceIO) is a tracked 2D sequence whatever its DimSize; a file
 * with ultrasound fields (`UltrasoundImageOrientation`) and no per-frame
 * transforms over 2D space is a cine; two spatial axes make a 2D image.
 * @param fields header key → value (lower-case keys)
 * @param dims the image size per axis
 */
export function contentOfHeader(fields: ReadonlyMap<string, string>, dims: readonly number[]): ContentInfo {
  const keys = [...fields.keys()];
  const tracked = keys.some((k) => /^seq_frame\d+_.*transform$/.test(k));
  const ultrasound = keys.some(
    (k) => k === 'ultrasoundimageorientation' || k === 'ultrasound image orientation' || k === 'ultrasoundimagetype' || k === 'ultrasound image type',
  );
  const stated = fields.get('modality')?.trim().toUpperCase();
  const statedModality: Modality | null = stated
    ? (MET_MODALITY[stated] ?? (['CT', 'MR', 'US', 'OT'].includes(stated) ? (stated as Modality) : 'OT'))
    : ultrasound
      ? 'US'
      : null;
  const spaceDims = Number(fields.get('space dimension') ?? NaN);
  const kinds = (fields.get('kinds') ?? '').toLowerCase().split(/\s+/).filter(Boolean);
  const lastIsList = ['list', 'time', 'vector'].includes(kinds.at(-1) ?? '') || (spaceDims === 2 && dims.length === 3);
  const frames = dims.length >= 3 ? (dims[2] ?? 1) : 1;
  if (tracked) return { kind: 'tracked-sequence', statedModality: statedModality ?? 'US', frames };
  // a header without a valid size, or a single pixel, is no image at all: the header check names what is wrong
  if (!validSize(dims)) return { kind: 'volume', statedModality, frames: 1 };
  if (dims.length < 3 || frames === 1) return { kind: 'image-2d', statedModality, frames: 1 };
  // PLUS writes `Kinds = domain domain list` on reconstructed 3D volumes too: a list axis is a cine only for ultrasound frames or 2D space
  if (lastIsList && (ultrasound || spaceDims === 2)) return { kind: 'cine', statedModality, frames };
  return { kind: 'volume', statedModality, frames: 1 };
}

/** A size that makes an image: every axis ≥ 1 and at least two pixels in the plane. */
const validSize = (dims: readonly number[]): boolean => dims.length >= 2 && dims.every((d) => Number.isInteger(d) && d >= 1) && dims[0]! * dims[1]! >= 2;

/** Content of a NIfTI file from its dim[] (dim[0] = number of axes). */
export function contentOfNifti(dims: readonly number[]): ContentInfo {
  if (!validSize(dims)) return { kind: 'volume', statedModality: null, frames: 1 };
  if (dims.length < 3 || dims[2] === 1) return { kind: 'image-2d', statedModality: null, frames: 1 };
  return { kind: 'volume', statedModality: null, frames: 1 };
}

/** DICOM modalities whose multi-frame objects are 2D loops over time, not slices of a volume. */
const CINE_MODALITIES = new Set(['US', 'XA', 'RF', 'ES', 'IVUS', 'OP', 'XC']);

/**
 * Content of a DICOM series from its headers: one frame is a 2D image; a
 * multi-frame object of a projection or ultrasound modality, or frames without
 * a slice geometry, is a cine; slices with a geometry make a volume.
 */
export function contentOfDicomSeries(s: { modality: string; frames: number; multiFrame: boolean; hasGeometry: boolean }): ContentInfo {
  const m = s.modality.toUpperCase();
  const statedModality: Modality = m === 'CT' || m === 'MR' || m === 'US' ? m : 'OT';
  if (s.frames <= 1) return { kind: 'image-2d', statedModality, frames: 1 };
  if ((s.multiFrame && CINE_MODALITIES.has(m)) || (!s.hasGeometry && m === 'US')) return { kind: 'cine', statedModality, frames: s.frames };
  return { kind: 'volume', statedModality, frames: 1 };
}

/** Why content of this kind is not imported as a volume (and what to do instead); null for a volume. */
export function notAVolume(kind: ContentKind, frames: number): string | null {
  switch (kind) {
    case 'volume':
      return null;
    case 'tracked-sequence':
      return `a tracked 2D ultrasound sequence (${frames} frames with probe poses), not a 3D volume: replay it as a device (Devices → Replay recording) or reconstruct a 3D volume from it on the command line (twin reconstruct); it cannot become a twin`;
    case 'cine':
      return `a multi-frame 2D cine loop (${frames} frames), not a 3D volume: it cannot become a twin`;
    case 'image-2d':
      return 'a single 2D image, not a 3D volume: it cannot become a twin';
  }
}

/** A person's name as comparable tokens: DICOM PN components (^) and words, lower case, without punctuation. */
const nameTokens = (name: string): string[] =>
  name
    .toLowerCase()
    .split(/[\^\s,]+/)
    .map((t) => t.replace(/[^\p{L}\p{N}-]/gu, ''))
    .filter(Boolean);

/** A date as YYYY-MM-DD (DICOM DA YYYYMMDD or ISO), or '' when empty. */
const isoDate = (d: string): string => {
  const t = d.trim();
  return /^\d{8}$/.test(t) ? `${t.slice(0, 4)}-${t.slice(4, 6)}-${t.slice(6, 8)}` : t.slice(0, 10);
};

/**
 * Where a study's patient identity differs from the patient's record: the
 * name (every part of the record's name must be in the study's, so
 * "DOE^JANE^MARIE" matches "Jane Doe" but "SMITH" does not match "Anna
 * Smith"; a study without a name differs from a named patient), the ID (when
 * the record has an MRN), the birth date and the sex (when the record and the
 * study both have one).
 * @param patient the record imported into (displayName, MRN, birth date ISO 8601, sex F/M/O or '')
 * @param study the study's DICOM identity (PatientName, PatientID, PatientBirthDate, PatientSex)
 * @returns one sentence per differing field, empty when they match
 */
export function identityDifferences(
  patient: { displayName: string; mrn: string; birthDate: string; sex?: string },
  study: { patientName: string; patientId: string; patientBirthDate: string; patientSex?: string },
): string[] {
  const out: string[] = [];
  const a = nameTokens(patient.displayName);
  const b = nameTokens(study.patientName);
  const contains = (x: string[], y: string[]): boolean => y.every((t) => x.includes(t));
  if (a.length && (b.length === 0 || !contains(b, a)))
    out.push(`name: the study says ${study.patientName.trim() ? `"${study.patientName.trim()}"` : 'no name'}, the patient is "${patient.displayName}"`);
  if (patient.mrn.trim() && patient.mrn.trim() !== study.patientId.trim())
    out.push(`patient ID: the study says ${study.patientId.trim() ? `"${study.patientId.trim()}"` : 'none'}, the patient's MRN is "${patient.mrn.trim()}"`);
  if (patient.birthDate.trim() && isoDate(patient.birthDate) !== isoDate(study.patientBirthDate))
    out.push(`birth date: the study says ${isoDate(study.patientBirthDate) || 'none'}, the patient's is ${isoDate(patient.birthDate)}`);
  const sexA = (patient.sex ?? '').trim().toUpperCase();
  const sexB = (study.patientSex ?? '').trim().toUpperCase();
  if (sexA && sexB && sexA !== sexB) out.push(`sex: the study says ${sexB}, the patient's is ${sexA}`);
  return out;
}

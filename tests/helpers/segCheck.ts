/**
 * Checks a binary DICOM SEG written by OrthoTwin against its source and the
 * twin store, independently of the writer: each frame's referenced source
 * instance (ReferencedSOPInstanceUID of its Derivation Image Sequence) must be
 * a source instance lying at the frame's ImagePositionPatient (positions from
 * dcmdump of the source files, `sourceIpp`); the frames decoded onto the
 * source grid (slices sorted along the normal of ImageOrientationPatient,
 * pixel (row r, column c) of slice k = voxel (c, r, k)) are compared voxel by
 * voxel with the store's vertebra label map, bone mask and body mask.
 */
import { execFileSync } from 'node:child_process';
import { decodeSegmentation } from '../../electron/io/dicomSeg.js';
import type { Volume } from '../../electron/engine/volume.js';

/** A tag's value from one dcmdump line ("(0020,0032) DS [a\b\c]"). */
export function dumpValue(dump: string, tag: string): string {
  const m = new RegExp(`^\\(${tag}\\) \\w\\w \\[([^\\]]*)\\]`, 'm').exec(dump);
  return m?.[1] ?? '';
}

/** SOP Instance UID → ImagePositionPatient (LPS mm) of each file, and the Frame of Reference UID, read with DCMTK's dcmdump. */
export function sourceByDcmdump(files: string[]): { ipp: Map<string, number[]>; frameOfReferenceUid: string } {
  const ipp = new Map<string, number[]>();
  let frameOfReferenceUid = '';
  for (const f of files) {
    const d = execFileSync('dcmdump', ['+P', '0008,0018', '+P', '0020,0032', '+P', '0020,0052', f]).toString();
    ipp.set(dumpValue(d, '0008,0018'), dumpValue(d, '0020,0032').split('\\').map(Number));
    frameOfReferenceUid = dumpValue(d, '0020,0052');
  }
  return { ipp, frameOfReferenceUid };
}

export interface SegCheck {
  frames: number;
  segments: number;
  /** Frames whose referenced instance is not a source instance at the frame's position (1 µm). */
  wrongReference: number;
  labelVoxels: number;
  labelMismatch: number;
  boneMismatch: number;
  bodyMismatch: number;
  /** Voxels claimed by two vertebra segments. */
  overlaps: number;
  /** The label map's grid is the source grid (origin = first slice's IPP, axes = IOP, in-plane spacing = PixelSpacing). */
  gridMatches: boolean;
}

/**
 * Decodes `seg` and counts its disagreements with the source and the store (see the file comment).
 * @param vertebrae the spine analysis' vertebrae: segment label (name) → label value of the label map
 */
export function checkSeg(
  seg: Buffer,
  sourceIpp: Map<string, number[]>,
  vertebrae: { name: string; label: number }[],
  labels: Volume,
  bone: Volume,
  body: Volume,
): SegCheck {
  const s = decodeSegmentation(seg);
  let wrongReference = 0;
  for (const f of s.frames) {
    const ipp = sourceIpp.get(f.sopInstanceUid);
    if (!ipp || f.ipp.some((x, k) => Math.abs(x - ipp[k]!) > 1e-3)) wrongReference++;
  }
  const iop = s.iop;
  const n = [iop[1]! * iop[5]! - iop[2]! * iop[4]!, iop[2]! * iop[3]! - iop[0]! * iop[5]!, iop[0]! * iop[4]! - iop[1]! * iop[3]!];
  const along = (p: number[]): number => p.reduce((t, x, k) => t + x * n[k]!, 0);
  const order = [...sourceIpp.entries()].sort((a, b) => along(a[1]) - along(b[1]));
  const sliceOf = new Map(order.map(([u], k) => [u, k]));
  const [nx, ny, nz] = labels.dims;
  const cols = [0, 1, 2].map((c) => [0, 1, 2].map((r) => labels.direction[r * 3 + c]!));
  const gridMatches =
    nx === s.columns &&
    ny === s.rows &&
    nz === sourceIpp.size &&
    labels.originLps.every((x, k) => Math.abs(x - order[0]![1][k]!) < 1e-3) &&
    cols[0]!.every((x, k) => Math.abs(x - iop[k]!) < 1e-6) &&
    cols[1]!.every((x, k) => Math.abs(x - iop[3 + k]!) < 1e-6) &&
    Math.abs(labels.spacingMm[0] - s.pixelSpacing[1]) < 1e-6 &&
    Math.abs(labels.spacingMm[1] - s.pixelSpacing[0]) < 1e-6;
  const segLabel = new Map<number, number>();
  for (const x of s.segments) {
    const v = vertebrae.find((y) => y.name === x.label);
    segLabel.set(x.number, v ? v.label : x.label === 'Bone' ? -1 : x.label === 'Body' ? -2 : 0);
  }
  const decodedLabels = new Int32Array(nx * ny * nz);
  const decodedBone = new Uint8Array(nx * ny * nz);
  const decodedBody = new Uint8Array(nx * ny * nz);
  let overlaps = 0;
  for (const f of s.frames) {
    const k = sliceOf.get(f.sopInstanceUid);
    if (k === undefined) continue;
    const lab = segLabel.get(f.segment)!;
    for (let r = 0; r < s.rows; r++)
      for (let c = 0; c < s.columns; c++) {
        if (!f.pixels[r * s.columns + c]) continue;
        const v = c + nx * (r + ny * k);
        if (lab === -1) decodedBone[v] = 1;
        else if (lab === -2) decodedBody[v] = 1;
        else {
          if (decodedLabels[v]) overlaps++;
          decodedLabels[v] = lab;
        }
      }
  }
  let labelMismatch = 0,
    boneMismatch = 0,
    bodyMismatch = 0,
    labelVoxels = 0;
  for (let v = 0; v < nx * ny * nz; v++) {
    if ((labels.data[v] as number) !== decodedLabels[v]) labelMismatch++;
    if ((labels.data[v] as number) !== 0) labelVoxels++;
    if (((bone.data[v] as number) ? 1 : 0) !== decodedBone[v]) boneMismatch++;
    if (((body.data[v] as number) ? 1 : 0) !== decodedBody[v]) bodyMismatch++;
  }
  return {
    frames: s.frames.length,
    segments: s.segments.length,
    wrongReference,
    labelVoxels,
    labelMismatch,
    boneMismatch,
    bodyMismatch,
    overlaps,
    gridMatches,
  };
}

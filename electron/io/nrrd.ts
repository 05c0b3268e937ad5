/**
 * NRRD (teem.sourceforge.net/nrrd/format.html) writer and reader for the
 * twin store's own volumes and label maps: `space: left-posterior-superior`,
 * `space directions` = direction columns × spacing, `space origin` in LPS mm,
 * raw or gzip encoding, little endian. Foreign NRRD files are read by
 * itk-wasm (readVolume.ts); this reader only needs to read what we write.
 */
import zlib from 'node:zlib';
import { AppError } from '../contract/errors.js';
import { allocVoxels, voxelTypeOf, type Mat3, type Vec3, type Volume, type VoxelType } from '../engine/volume.js';

const NRRD_TYPE: Record<VoxelType, string> = {
  int8: 'int8',
  uint8: 'uint8',
  int16: 'int16',
  uint16: 'uint16',
  int32: 'int32',
  uint32: 'uint32',
  float32: 'float',
  float64: 'double',
};

/**
 * Encodes a volume as NRRD bytes.
 * @param gzip gzip the voxels (masks) or keep them raw (volumes read back often)
 */
export function encodeNrrd(v: Volume, opts: { gzip: boolean; labels?: Record<number, string> }): Buffer {
  const d = v.direction;
  const s = v.spacingMm;
  const col = (c: number): string => `(${[0, 3, 6].map((r) => fmt((d[r + c] as number) * (s[c] as number))).join(',')})`;
  const lines = [
    'NRRD0004',
    '# written by OrthoTwin',
    `type: ${NRRD_TYPE[voxelTypeOf(v.data)]}`,
    'dimension: 3',
    'space: left-posterior-superior',
    `sizes: ${v.dims.join(' ')}`,
    `space directions: ${col(0)} ${col(1)} ${col(2)}`,
    'kinds: domain domain domain',
    'endian: little',
    `encoding: ${opts.gzip ? 'gzip' : 'raw'}`,
    `space origin: (${v.originLps.map(fmt).join(',')})`,
  ];
  if (opts.labels) for (const [k, name] of Object.entries(opts.labels)) lines.push(`Segment${k}_Name:=${name}`);
  const header = Buffer.from(lines.join('\n') + '\n\n', 'latin1');
  const raw = Buffer.from(v.data.buffer, v.data.byteOffset, v.data.byteLength);
  return Buffer.concat([header, opts.gzip ? zlib.gzipSync(raw, { level: 1 }) : raw]);
}

function fmt(x: number): string {
  return Number.isInteger(x) ? String(x) : x.toPrecision(17).replace(/0+$/, '').replace(/\.$/, '');
}

const FROM_NRRD: Record<string, VoxelType> = Object.fromEntries(Object.entries(NRRD_TYPE).map(([ours, nrrd]) => [nrrd, ours as VoxelType]));

/**
 * Decodes NRRD bytes written by `encodeNrrd`.
 * @throws AppError IMPORT_BAD_HEADER / IMPORT_TRUNCATED naming `label`
 */
export function decodeNrrd(buf: Buffer, label: string): Volume {
  const end = buf.indexOf('\n\n');
  if (!buf.subarray(0, 4).equals(Buffer.from('NRRD')) || end < 0) throw new AppError('IMPORT_BAD_HEADER', `${label}: not an NRRD file`);
  const f = new Map<string, string>();
  for (const line of buf.subarray(0, end).toString('latin1').split('\n').slice(1)) {
    const m = /^([^:#]+):=?\s*(.*)$/.exec(line);
    if (m) f.set((m[1] as string).trim(), (m[2] as string).trim());
  }
  const type = FROM_NRRD[f.get('type') ?? ''];
  if (!type || f.get('dimension') !== '3' || f.get('space') !== 'left-posterior-superior')
    throw new AppError('IMPORT_BAD_HEADER', `${label}: unsupported NRRD header`);
  const dims = (f.get('sizes') ?? '').split(' ').map(Number) as Vec3;
  const dirs = [...(f.get('space directions') ?? '').matchAll(/\(([^)]*)\)/g)].map((m) => (m[1] as string).split(',').map(Number));
  const origin = ((/\(([^)]*)\)/.exec(f.get('space origin') ?? '') ?? [])[1] ?? '0,0,0').split(',').map(Number) as Vec3;
  const spacingMm = dirs.map((c) => Math.hypot(...c)) as Vec3;
  const direction = [0, 1, 2].flatMap((r) => [0, 1, 2].map((c) => (dirs[c]?.[r] as number) / (spacingMm[c] as number))) as Mat3;
  let body = buf.subarray(end + 2);
  if (f.get('encoding') === 'gzip') body = zlib.gunzipSync(body);
  const n = dims[0] * dims[1] * dims[2];
  const data = allocVoxels(type, n);
  if (body.length < data.byteLength) throw new AppError('IMPORT_TRUNCATED', `${label}: ${data.byteLength} voxel bytes expected, ${body.length} present`);
  new Uint8Array(data.buffer).set(body.subarray(0, data.byteLength));
  return { dims, spacingMm, originLps: origin, direction, data };
}

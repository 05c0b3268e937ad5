/**
 * PLUS device-set configuration files (`PlusDeviceSet_*.xml`, PlusConfiguration
 * version 2.x): the coordinate definitions (named From→To 4×4 transforms with
 * their calibration error and date), the volume reconstruction settings and
 * the multi-N calibration phantom definition (fCal), as documented in the
 * PLUS user manual (Configuration › Coordinate systems, Volume
 * reconstruction, Probe calibration). Parsed with fast-xml-parser.
 */
import fs from 'node:fs';
import { XMLParser } from 'fast-xml-parser';
import { identity4, invert4, mul4 } from '../../math/rigid.js';

export interface PlusTransformDefinition {
  from: string;
  to: string;
  /** Row-major 4×4 (mm; image frames are in pixels, so the matrix may hold the pixel spacing). */
  matrix: number[];
  error: number | null;
  date: string | null;
}

export interface PlusVolumeReconstructionSettings {
  outputSpacingMm: [number, number, number] | null;
  clipOrigin: [number, number] | null;
  clipSize: [number, number] | null;
  interpolation: 'nearest' | 'linear';
  compounding: 'mean' | 'maximum';
  fillHoles: boolean;
  stickLengthLimit: number;
  numberOfSticks: number;
}

export interface PlusNWire {
  name: string;
  /** End points in the phantom frame (mm). */
  front: [number, number, number];
  back: [number, number, number];
}

export interface PlusConfig {
  file: string;
  transforms: PlusTransformDefinition[];
  reconstruction: PlusVolumeReconstructionSettings | null;
  /** fCal multi-N phantom: patterns of three wires each (front/back end points, mm in the phantom frame). */
  nWirePatterns: PlusNWire[][];
  /** Segmentation attributes as written (ApproximateSpacingMmPerPixel, ClipRectangleOrigin, …). */
  segmentation: Record<string, string>;
}

/**
 * A PLUS configuration that cannot be used: `message` is the file and the reason, a sentence for the user
 * ("…/scan.igs.mha: not a PLUS device-set configuration: it is not XML (…)."), followed, when there is one, by the
 * technical detail on the next line (the XML parser's or the file system's own words), which the error banner shows
 * behind Technical details; `detail` holds it alone.
 */
export class PlusConfigError extends Error {
  /** The reader's own words (XML parser, errno), or null. */
  readonly detail: string | null;
  /**
   * @param file the configuration's path (named first)
   * @param reason why it cannot be used, for the user
   * @param detail the technical detail behind it, if any
   */
  constructor(file: string, reason: string, detail: string | null = null) {
    super(`${file}: ${reason}${detail ? `\n${detail}` : ''}`);
    this.name = 'PlusConfigError';
    this.detail = detail;
  }
}

/** What an errno of reading a configuration means, in words. */
const READ_PROBLEMS: Record<string, string> = {
  ENOENT: 'the file does not exist',
  EACCES: 'OrthoTwin may not read it (permission denied)',
  EPERM: 'OrthoTwin may not read it (permission denied)',
  EISDIR: 'it is a folder, not a file',
  EIO: 'the disk could not be read',
};

type Node = Record<string, unknown>;
const asArray = (x: unknown): Node[] => (x === undefined ? [] : Array.isArray(x) ? (x as Node[]) : [x as Node]);

function numbers(file: string, what: string, s: unknown, count: number): number[] {
  const v = String(s ?? '')
    .trim()
    .split(/\s+/)
    .map(Number);
  if (v.length !== count || v.some((x) => !Number.isFinite(x))) throw new PlusConfigError(file, `${what} is not ${count} numbers: "${String(s ?? '')}"`);
  return v;
}

/**
 * Parses a PLUS configuration from its XML text.
 * @param file name used in error messages
 * @throws PlusConfigError naming the file when it is not a PlusConfiguration or a transform/wire is malformed
 */
export function parsePlusConfig(xml: string, file = 'PLUS configuration'): PlusConfig {
  let doc: Node;
  try {
    doc = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '' }).parse(xml) as Node;
  } catch (e) {
    throw new PlusConfigError(
      file,
      'not a PLUS device-set configuration: it is not XML (a PLUS configuration is an XML file such as PlusDeviceSet_*.xml).',
      `XML parser: ${(e as Error).message}`,
    );
  }
  const root = doc['PlusConfiguration'] as Node | undefined;
  if (!root || typeof root !== 'object') throw new PlusConfigError(file, 'no <PlusConfiguration> element (not a PLUS device-set configuration)');
  const transforms = asArray((root['CoordinateDefinitions'] as Node | undefined)?.['Transform']).map((t) => {
    const from = String(t['From'] ?? '');
    const to = String(t['To'] ?? '');
    if (!from || !to) throw new PlusConfigError(file, 'a <Transform> lacks From or To');
    const m = numbers(file, `${from}To${to} Matrix`, t['Matrix'], 16);
    return { from, to, matrix: m, error: t['Error'] === undefined ? null : Number(t['Error']), date: t['Date'] === undefined ? null : String(t['Date']) };
  });
  const vr = root['VolumeReconstruction'] as Node | undefined;
  const hole = asArray((vr?.['HoleFilling'] as Node | undefined)?.['HoleFillingElement']).find((h) => String(h['Type']).toUpperCase() === 'STICK');
  const reconstruction: PlusVolumeReconstructionSettings | null = vr
    ? {
        outputSpacingMm: vr['OutputSpacing'] === undefined ? null : (numbers(file, 'OutputSpacing', vr['OutputSpacing'], 3) as [number, number, number]),
        clipOrigin: vr['ClipRectangleOrigin'] === undefined ? null : (numbers(file, 'ClipRectangleOrigin', vr['ClipRectangleOrigin'], 2) as [number, number]),
        clipSize: vr['ClipRectangleSize'] === undefined ? null : (numbers(file, 'ClipRectangleSize', vr['ClipRectangleSize'], 2) as [number, number]),
        interpolation: String(vr['Interpolation'] ?? 'NEAREST_NEIGHBOR').toUpperCase() === 'LINEAR' ? 'linear' : 'nearest',
        compounding: String(vr['CompoundingMode'] ?? 'MEAN').toUpperCase() === 'MAXIMUM' ? 'maximum' : 'mean',
        fillHoles: String(vr['FillHoles'] ?? 'OFF').toUpperCase() === 'ON',
        stickLengthLimit: hole ? Number(hole['StickLengthLimit'] ?? 9) : 9,
        numberOfSticks: hole ? Number(hole['NumberOfSticksToUse'] ?? 1) : 1,
      }
    : null;
  const geometry = (root['PhantomDefinition'] as Node | undefined)?.['Geometry'] as Node | undefined;
  const nWirePatterns = asArray(geometry?.['Pattern'])
    .filter((p) => String(p['Type']) === 'NWire')
    .map((p, pi) => {
      const wires = asArray(p['Wire']).map((w) => ({
        name: String(w['Name'] ?? ''),
        front: numbers(file, `pattern ${pi} wire EndPointFront`, w['EndPointFront'], 3) as [number, number, number],
        back: numbers(file, `pattern ${pi} wire EndPointBack`, w['EndPointBack'], 3) as [number, number, number],
      }));
      if (wires.length !== 3) throw new PlusConfigError(file, `N-wire pattern ${pi} has ${wires.length} wires (an N has 3)`);
      return wires;
    });
  const seg = root['Segmentation'] as Node | undefined;
  const segmentation = Object.fromEntries(Object.entries(seg ?? {}).map(([k, v]) => [k, String(v)]));
  return { file, transforms, reconstruction, nWirePatterns, segmentation };
}

/** Reads and parses a PLUS configuration file. @throws PlusConfigError naming the file */
export function readPlusConfig(file: string): PlusConfig {
  let xml: string;
  try {
    xml = fs.readFileSync(file, 'utf8');
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    throw new PlusConfigError(file, `cannot be read: ${(err.code && READ_PROBLEMS[err.code]) ?? 'the file system refused it'}.`, err.message);
  }
  return parsePlusConfig(xml, file);
}

/**
 * The transform From→To (row-major 4×4) by chaining the configuration's
 * coordinate definitions (inverting where needed), as PLUS's transform
 * repository does. Frame names are case-sensitive.
 * @returns the matrix, or null when the frames are not connected
 */
export function plusTransform(cfg: Pick<PlusConfig, 'transforms'>, from: string, to: string): number[] | null {
  const edges = new Map<string, { to: string; m: number[] }[]>();
  const add = (a: string, b: string, m: number[]): void => {
    const list = edges.get(a) ?? [];
    list.push({ to: b, m });
    edges.set(a, list);
  };
  for (const t of cfg.transforms) {
    add(t.from, t.to, t.matrix);
    add(t.to, t.from, invert4(t.matrix));
  }
  // breadth-first search; the matrix maps `from` coordinates to the current frame
  const seen = new Map<string, number[]>([[from, identity4()]]);
  const queue = [from];
  while (queue.length > 0) {
    const f = queue.shift()!;
    if (f === to) return seen.get(f)!;
    for (const e of edges.get(f) ?? []) {
      if (seen.has(e.to)) continue;
      seen.set(e.to, mul4(e.m, seen.get(f)!));
      queue.push(e.to);
    }
  }
  return null;
}

/**
 * OpenSim's text files (issue 21 §6): marker trajectories as `.trc` and
 * time series (joint angles, EMG envelopes) as `.mot` / `.sto` storage
 * files, written and read after opensim-core's own adapters
 * (`TRCFileAdapter`, `DelimFileAdapter`/`STOFileAdapter`, the legacy
 * `Storage` class).
 *
 * TRC ("track row column", tab separated):
 *
 *     PathFileType␉4␉(X/Y/Z)␉<file name>
 *     DataRate␉CameraRate␉NumFrames␉NumMarkers␉Units␉OrigDataRate␉OrigDataStartFrame␉OrigNumFrames
 *     100␉100␉580␉51␉mm␉100␉1␉580
 *     Frame#␉Time␉M1␉␉␉M2␉␉␉…
 *     ␉␉X1␉Y1␉Z1␉X2␉Y2␉Z2␉…
 *     (blank line)
 *     1␉0␉x␉y␉z␉x␉y␉z␉…
 *
 * Every data row has Frame#, Time and three fields per marker, each field
 * followed by a tab (as OpenSim writes it: its tokenizer keeps empty fields
 * between tabs and drops one trailing empty field, so the row must end in a
 * tab for a missing last marker to count). A missing marker is three empty
 * fields; OpenSim reads it as NaN.
 *
 * Storage (`.mot` / `.sto`, version 1 as `Storage` writes it):
 *
 *     <name>
 *     version=1
 *     nRows=<data rows>
 *     nColumns=<columns including time>
 *     inDegrees=yes|no
 *     endheader
 *     time␉<label 1>␉<label 2>…
 *     0␉v␉v…
 *
 * The modern reader (`STOFileAdapter`) takes `key=value` lines as metadata
 * and the first other line as the name, requires the first label to be
 * `time`, strictly increasing times and one number per label (`std::stod`:
 * `NaN` is read); the legacy `Storage` reader splits labels on spaces and
 * tabs, so labels here may not contain white space.
 *
 * Numbers are written in JavaScript's shortest round-trip form (a
 * `Float32Array` of coordinates — C3D points — with the shortest decimal
 * that reads back as the same float32), so reading a file back gives the
 * written values exactly.
 *
 * Frames and units: coordinates are written in the frame and unit they are
 * given in — a C3D's points stay in the lab frame and POINT:UNITS (usually
 * mm; TRC's `Units` field says so and OpenSim scales by it). OpenSim models
 * are Y-up while most labs record Z-up: a rotation is applied only when asked
 * for (`rotation`, e.g. `Z_UP_TO_Y_UP`), never silently.
 *
 * Errors: the writers throw AppError BAD_REQUEST naming the file and the
 * reason (inconsistent lengths, labels with tabs or line breaks, duplicate
 * labels, non-increasing times); the readers throw AppError
 * IMPORT_BAD_HEADER / IMPORT_TRUNCATED `<file>: line N: <reason>`.
 *
 * Pure TypeScript over strings: no node:fs.
 */
import { AppError } from '../contract/errors.js';
import type { C3dFile } from './c3d.js';

/** A 3×3 rotation, row-major: p′ = R·p. */
export type Mat3 = readonly [number, number, number, number, number, number, number, number, number];

/** Identity: coordinates as recorded. */
export const IDENTITY: Mat3 = [1, 0, 0, 0, 1, 0, 0, 0, 1];

/**
 * A Z-up lab frame to OpenSim's Y-up frame: −90° about X, (x, y, z) → (x, z, −y).
 * The lab's X stays OpenSim's X, so the subject should face the lab's +X for
 * OpenSim's convention (X forward) to hold.
 */
export const Z_UP_TO_Y_UP: Mat3 = [1, 0, 0, 0, 0, 1, 0, -1, 0];

/** Marker trajectories to write as a TRC file. */
export interface TrcWritable {
  /** File name stated on the first line (OpenSim keeps it as metadata only). */
  fileName: string;
  /** Marker labels in column order: non-empty, unique, without tabs or line breaks. */
  markers: string[];
  /** Frames per second (DataRate). */
  rateHz: number;
  /** CameraRate (default rateHz). */
  cameraRateHz?: number;
  /** Coordinate unit, e.g. 'mm' or 'm' (TRC `Units`). */
  units: string;
  /**
   * [frame][marker][x, y, z] row-major, length frames × markers × 3, in `units`; NaN = missing (written as empty
   * fields). A Float32Array is written with float32 precision (shortest decimal that reads back as the same float32).
   */
  coordinates: Float32Array | Float64Array;
  /** Frame# of the first row (default 1); rows are numbered consecutively. */
  firstFrame?: number;
  /** Time of the first row, s (default 0); row i is at startTimeS + i / rateHz. */
  startTimeS?: number;
  /** OrigDataRate, OrigDataStartFrame, OrigNumFrames (defaults: rateHz, firstFrame, frames). */
  origDataRateHz?: number;
  origDataStartFrame?: number;
  origNumFrames?: number;
}

/** A TRC file as read. */
export interface TrcData {
  /** The file name on the PathFileType line ('' when absent). */
  fileName: string;
  markers: string[];
  rateHz: number;
  cameraRateHz: number;
  units: string;
  origDataRateHz: number;
  origDataStartFrame: number;
  origNumFrames: number;
  /** Frame# per row. */
  frameNumbers: Float64Array;
  /** Time per row, s. */
  timeS: Float64Array;
  /** [frame][marker][x, y, z] row-major in `units`; NaN where a marker is missing (any of its fields empty). */
  coordinates: Float64Array;
}

/** One column of a storage file. */
export interface StorageColumn {
  /** Column label: non-empty, unique, no white space (the legacy reader splits on it), not 'time'. */
  label: string;
  /** One value per row; NaN is written as `NaN`. */
  values: ArrayLike<number>;
}

/** A time series to write as a `.mot` / `.sto` storage file. */
export interface StorageTable {
  /** The first header line (e.g. 'Coordinates', 'emg envelope'): no '=' and no line break. */
  name: string;
  /** Row times, s, finite and strictly increasing. */
  timeS: ArrayLike<number>;
  columns: StorageColumn[];
  /** Angles in degrees (`inDegrees=yes`) or radians / not angles (`inDegrees=no`). */
  inDegrees: boolean;
}

/** A storage file as read. */
export interface StorageData {
  name: string;
  /** Every `key=value` header line (trimmed), including version, nRows, nColumns, inDegrees. */
  header: Record<string, string>;
  /** `inDegrees` (yes → true, no → false; null when absent). */
  inDegrees: boolean | null;
  timeS: Float64Array;
  columns: { label: string; values: Float64Array }[];
}

const TRC_KEYS = ['DataRate', 'CameraRate', 'NumFrames', 'NumMarkers', 'Units', 'OrigDataRate', 'OrigDataStartFrame', 'OrigNumFrames'] as const;

const badInput = (file: string, why: string): AppError => new AppError('BAD_REQUEST', `${file}: ${why}`, { file });
const badFile = (file: string, line: number | null, why: string, code: 'IMPORT_BAD_HEADER' | 'IMPORT_TRUNCATED' = 'IMPORT_BAD_HEADER'): AppError =>
  new AppError(code, line === null ? `${file}: ${why}` : `${file}: line ${line}: ${why}`, { file, ...(line === null ? {} : { line }) });

/** Shortest decimal of a float32 value that reads back as the same float32. */
function formatFloat32(v: number): string {
  for (let p = 1; p <= 9; p++) {
    const s = Number(v.toPrecision(p));
    if (Math.fround(s) === v) return String(s);
  }
  return String(v);
}

function checkLabels(file: string, what: string, labels: readonly string[], noSpace: boolean): void {
  const seen = new Set<string>();
  for (const l of labels) {
    if (!l) throw badInput(file, `an empty ${what} label`);
    if (noSpace ? /\s/.test(l) : /[\t\r\n]/.test(l))
      throw badInput(file, `${what} label ${JSON.stringify(l)} contains ${noSpace ? 'white space' : 'a tab or a line break'}`);
    if (seen.has(l)) throw badInput(file, `${what} label ${JSON.stringify(l)} appears twice`);
    seen.add(l);
  }
}

/**
 * The TRC text of marker trajectories (see the module comment for the layout).
 * @param opts.rotation applied to every coordinate (p′ = R·p) before writing; default none (coordinates as given)
 * @throws AppError BAD_REQUEST naming `t.fileName` for inconsistent input
 */
export function writeTrc(t: TrcWritable, opts: { rotation?: Mat3 } = {}): string {
  const file = t.fileName || 'TRC';
  const m = t.markers.length;
  if (m === 0) throw badInput(file, 'no markers to write');
  checkLabels(file, 'marker', t.markers, false);
  if (/[\t\r\n]/.test(t.units) || !t.units) throw badInput(file, `units ${JSON.stringify(t.units)} must be a non-empty word`);
  if (!(t.rateHz > 0) || !Number.isFinite(t.rateHz)) throw badInput(file, `the frame rate must be a positive number of Hz, got ${t.rateHz}`);
  if (t.coordinates.length % (3 * m) !== 0) throw badInput(file, `${t.coordinates.length} coordinates are not frames × ${m} markers × 3`);
  const frames = t.coordinates.length / (3 * m);
  const firstFrame = t.firstFrame ?? 1;
  const startTimeS = t.startTimeS ?? 0;
  const f32 = t.coordinates instanceof Float32Array;
  const fmt = (v: number): string => (Number.isNaN(v) ? '' : f32 ? formatFloat32(v) : String(v));
  const R = opts.rotation;
  const lines: string[] = [
    `PathFileType\t4\t(X/Y/Z)\t${t.fileName}`,
    TRC_KEYS.join('\t'),
    [
      t.rateHz,
      t.cameraRateHz ?? t.rateHz,
      frames,
      m,
      t.units,
      t.origDataRateHz ?? t.rateHz,
      t.origDataStartFrame ?? firstFrame,
      t.origNumFrames ?? frames,
    ].join('\t'),
    'Frame#\tTime\t' + t.markers.map((l) => `${l}\t\t\t`).join(''),
    '\t\t' + t.markers.map((_, k) => `X${k + 1}\tY${k + 1}\tZ${k + 1}\t`).join(''),
    '',
  ];
  const out: string[] = new Array<string>(2 + 3 * m);
  for (let f = 0; f < frames; f++) {
    out[0] = String(firstFrame + f);
    out[1] = String(startTimeS + f / t.rateHz);
    for (let k = 0; k < m; k++) {
      const o = (f * m + k) * 3;
      let x = t.coordinates[o]!,
        y = t.coordinates[o + 1]!,
        z = t.coordinates[o + 2]!;
      if (Number.isNaN(x) || Number.isNaN(y) || Number.isNaN(z)) x = y = z = NaN;
      else if (R) {
        const rx = R[0] * x + R[1] * y + R[2] * z;
        const ry = R[3] * x + R[4] * y + R[5] * z;
        const rz = R[6] * x + R[7] * y + R[8] * z;
        [x, y, z] = f32 ? [Math.fround(rx), Math.fround(ry), Math.fround(rz)] : [rx, ry, rz];
      }
      if (!Number.isNaN(x) && (!Number.isFinite(x) || !Number.isFinite(y) || !Number.isFinite(z)))
        throw badInput(file, `marker ${t.markers[k]} at frame ${firstFrame + f} has an infinite coordinate`);
      out[2 + 3 * k] = fmt(x);
      out[3 + 3 * k] = fmt(y);
      out[4 + 3 * k] = fmt(z);
    }
    lines.push(out.join('\t') + '\t');
  }
  return lines.join('\n') + '\n';
}

/**
 * A C3D file's markers as TRC input: the points whose labels are not listed in POINT:ANGLES, FORCES, MOMENTS,
 * POWERS, SCALARS or REACTIONS (modelled outputs, not markers), invalid points (residual −1) as NaN, in the
 * file's POINT:UNITS and lab frame; Frame# from the header's first frame, time 0 at the first frame.
 */
export function c3dToTrc(c: C3dFile, fileName: string): TrcWritable {
  const modelled = new Set(c3dModelledPointLabels(c));
  const idx = c.labels.points.map((l, k) => (modelled.has(l) ? -1 : k)).filter((k) => k >= 0);
  const m = idx.length;
  const coords = new Float32Array(c.frameCount * m * 3);
  for (let f = 0; f < c.frameCount; f++)
    for (let j = 0; j < m; j++) {
      const s = (f * c.pointCount + idx[j]!) * 4;
      const o = (f * m + j) * 3;
      const invalid = c.points[s + 3]! < 0;
      coords[o] = invalid ? NaN : c.points[s]!;
      coords[o + 1] = invalid ? NaN : c.points[s + 1]!;
      coords[o + 2] = invalid ? NaN : c.points[s + 2]!;
    }
  return {
    fileName,
    markers: idx.map((k) => c.labels.points[k]!),
    rateHz: c.rates.pointHz,
    units: c.units.points || 'mm',
    coordinates: coords,
    firstFrame: c.header.firstFrame,
    origDataStartFrame: c.header.firstFrame,
  };
}

/** Labels listed (case-insensitive parameter names) in a C3D's POINT:ANGLES, FORCES, MOMENTS, POWERS, SCALARS and REACTIONS (modelled outputs). */
export function c3dModelledPointLabels(c: C3dFile, groups: readonly string[] = ['ANGLES', 'FORCES', 'MOMENTS', 'POWERS', 'SCALARS', 'REACTIONS']): string[] {
  const out: string[] = [];
  for (const g of groups) {
    const point = Object.values(c.groups).find((x) => x.name.toUpperCase() === 'POINT');
    const p = point && Object.values(point.params).find((x) => x.name.toUpperCase() === g);
    if (p && p.type === 'char') for (const v of p.values as string[]) if (v.trim()) out.push(v.trim());
  }
  return out;
}

/** OpenSim's FileAdapter::tokenize: split on tabs, keep empty fields, drop one trailing empty field; trim each. */
function tokenize(line: string): string[] {
  const t = line.replace(/\r$/, '').split('\t');
  if (t.length && t[t.length - 1] === '') t.pop();
  return t.map((s) => s.trim());
}

function parseNumber(file: string, line: number, what: string, s: string): number {
  if (/^[+-]?nan$/i.test(s)) return NaN;
  const v = s === '' ? NaN : Number(s);
  if (Number.isNaN(v)) throw badFile(file, line, `${what} ${JSON.stringify(s)} is not a number`);
  return v;
}

/**
 * Reads TRC text as OpenSim's TRCFileAdapter does: header lines 1–5, then data rows after optional blank lines,
 * ending at the first blank line; a marker with any empty field is NaN.
 * @param file name for messages
 * @throws AppError IMPORT_BAD_HEADER / IMPORT_TRUNCATED `<file>: line N: <reason>`
 */
export function readTrc(text: string, file = 'TRC data'): TrcData {
  const lines = text.split('\n');
  const first = (lines[0] ?? '').split(/[ \t\r]+/).filter(Boolean);
  if (first[0] !== 'PathFileType') throw badFile(file, 1, `not a TRC file (the first line does not start with PathFileType)`);
  if (lines.length < 5) throw badFile(file, null, `only ${lines.length} lines; a TRC header has 5`, 'IMPORT_TRUNCATED');
  const keys = tokenize(lines[1]!).filter(Boolean);
  if (keys.join('\t') !== TRC_KEYS.join('\t')) throw badFile(file, 2, `expected the keys ${TRC_KEYS.join(' ')}, found ${keys.join(' ') || 'none'}`);
  const vals = tokenize(lines[2]!).filter(Boolean);
  if (vals.length !== keys.length) throw badFile(file, 3, `${vals.length} values for ${keys.length} keys`);
  const num = (k: number): number => {
    const v = Number(vals[k]);
    if (!Number.isFinite(v)) throw badFile(file, 3, `${TRC_KEYS[k]} ${JSON.stringify(vals[k])} is not a number`);
    return v;
  };
  const numMarkers = num(3);
  const numFrames = num(2);
  const labels = tokenize(lines[3]!).filter(Boolean);
  if (labels.length !== numMarkers + 2) throw badFile(file, 4, `${labels.length - 2} marker labels, NumMarkers says ${numMarkers}`);
  if (labels[0] !== 'Frame#' || labels[1] !== 'Time') throw badFile(file, 4, `the labels must start with Frame# and Time, found ${labels[0]} ${labels[1]}`);
  const markers = labels.slice(2);
  const xyz = tokenize(lines[4]!).filter(Boolean);
  for (let i = 1; i <= numMarkers; i++)
    ['X', 'Y', 'Z'].forEach((a, j) => {
      const got = xyz[(i - 1) * 3 + j];
      if (got !== `${a}${i}`) throw badFile(file, 5, `expected ${a}${i}, found ${got ?? 'nothing'}`);
    });
  let l = 5;
  while (l < lines.length && tokenize(lines[l]!).every((s) => s === '')) l++;
  const expected = 3 * numMarkers + 2;
  const frameNumbers: number[] = [];
  const timeS: number[] = [];
  const coords: number[] = [];
  for (; l < lines.length; l++) {
    const row = tokenize(lines[l]!);
    if (row.every((s) => s === '')) break;
    if (row.length !== expected) throw badFile(file, l + 1, `${row.length} fields, expected ${expected} (Frame#, Time and X, Y, Z of ${numMarkers} markers)`);
    frameNumbers.push(parseNumber(file, l + 1, 'Frame#', row[0]!));
    timeS.push(parseNumber(file, l + 1, 'Time', row[1]!));
    for (let k = 0; k < numMarkers; k++) {
      const c = 2 + 3 * k;
      const missing = row[c] === '' || row[c + 1] === '' || row[c + 2] === '';
      for (let a = 0; a < 3; a++) coords.push(missing ? NaN : parseNumber(file, l + 1, `${markers[k]} ${'XYZ'[a]}`, row[c + a]!));
    }
  }
  if (timeS.length !== numFrames)
    throw badFile(
      file,
      null,
      `NumFrames says ${numFrames} but there are ${timeS.length} data rows`,
      timeS.length < numFrames ? 'IMPORT_TRUNCATED' : 'IMPORT_BAD_HEADER',
    );
  return {
    fileName: first.slice(3).join(' '),
    markers,
    rateHz: num(0),
    cameraRateHz: num(1),
    units: vals[4]!,
    origDataRateHz: num(5),
    origDataStartFrame: num(6),
    origNumFrames: num(7),
    frameNumbers: Float64Array.from(frameNumbers),
    timeS: Float64Array.from(timeS),
    coordinates: Float64Array.from(coords),
  };
}

/**
 * The `.mot` / `.sto` text (version 1, as OpenSim's Storage writes it) of a time series: header (name, version,
 * nRows, nColumns counting time, inDegrees, endheader), the labels line `time␉…` and one tab-separated row per time.
 * Values keep their unit (degrees when inDegrees, V for EMG envelopes…); OpenSim does not convert them.
 * @throws AppError BAD_REQUEST naming `t.name` for inconsistent input
 */
export function writeStorage(t: StorageTable): string {
  const file = t.name || 'storage';
  if (!t.name || /[=\r\n]/.test(t.name) || t.name.trim() === 'endheader')
    throw badInput(file, `the name ${JSON.stringify(t.name)} must be a non-empty line without '='`);
  const labels = t.columns.map((c) => c.label);
  checkLabels(file, 'column', labels, true);
  if (labels.some((l) => l.toLowerCase() === 'time')) throw badInput(file, `a column may not be labelled time (the first column is)`);
  const n = t.timeS.length;
  for (const c of t.columns) if (c.values.length !== n) throw badInput(file, `column ${c.label} has ${c.values.length} values for ${n} times`);
  for (let i = 0; i < n; i++) {
    const ti = t.timeS[i]!;
    if (!Number.isFinite(ti)) throw badInput(file, `time ${i} is ${ti}`);
    if (i > 0 && !(ti > t.timeS[i - 1]!)) throw badInput(file, `times must increase strictly (row ${i}: ${ti} after ${t.timeS[i - 1]})`);
  }
  const lines = [
    t.name,
    'version=1',
    `nRows=${n}`,
    `nColumns=${t.columns.length + 1}`,
    `inDegrees=${t.inDegrees ? 'yes' : 'no'}`,
    'endheader',
    ['time', ...labels].join('\t'),
  ];
  const row: string[] = new Array<string>(t.columns.length + 1);
  for (let i = 0; i < n; i++) {
    row[0] = String(t.timeS[i]);
    for (let k = 0; k < t.columns.length; k++) {
      const v = t.columns[k]!.values[i]!;
      if (v === Infinity || v === -Infinity) throw badInput(file, `column ${labels[k]} row ${i} is ${v}`);
      row[k + 1] = Number.isNaN(v) ? 'NaN' : String(v);
    }
    lines.push(row.join('\t'));
  }
  return lines.join('\n') + '\n';
}

/** For the app's services: a session's angles or envelopes as `.mot` text (`writeStorage`). */
export const motionToMot: (t: StorageTable) => string = writeStorage;

/**
 * Reads `.mot` / `.sto` text: header lines up to `endheader` (`key=value` lines as `header`, the first other line as
 * the name), blank lines, the labels line (first label `time`, any case; tab separated, or white-space separated
 * when it has no tab) and one row of numbers per line up to the end or a blank line. nRows / nColumns, when present,
 * must match the data.
 * @param file name for messages
 * @throws AppError IMPORT_BAD_HEADER / IMPORT_TRUNCATED `<file>: line N: <reason>`
 */
export function readStorage(text: string, file = 'storage data'): StorageData {
  const lines = text.split('\n').map((s) => s.replace(/\r$/, ''));
  const header: Record<string, string> = {};
  let name = '';
  let l = 0;
  for (; l < lines.length; l++) {
    const line = lines[l]!;
    if (line.trim() === 'endheader') break;
    const kv = /^(.*?)=(.*)$/.exec(line);
    if (kv && kv[1]!.trim() && kv[2]!.trim()) header[kv[1]!.trim()] = kv[2]!.trim();
    else if (!name && line.trim()) name = line.trim();
  }
  if (l >= lines.length) throw badFile(file, null, `no 'endheader' line: not an OpenSim storage file`);
  l++;
  while (l < lines.length && !lines[l]!.trim()) l++;
  if (l >= lines.length) throw badFile(file, null, 'no column labels after endheader', 'IMPORT_TRUNCATED');
  const labelLine = lines[l]!;
  const labels = (labelLine.includes('\t') ? labelLine.split('\t') : labelLine.trim().split(/\s+/)).map((s) => s.trim()).filter(Boolean);
  if (labels[0]?.toLowerCase() !== 'time') throw badFile(file, l + 1, `the first column label must be time, found ${JSON.stringify(labels[0] ?? '')}`);
  const nc = labels.length;
  const timeS: number[] = [];
  const cols: number[][] = labels.slice(1).map(() => []);
  for (l++; l < lines.length; l++) {
    const s = lines[l]!.trim();
    if (!s) break;
    const row = s.split(/\s+/);
    if (row.length !== nc) throw badFile(file, l + 1, `${row.length} values for ${nc} columns`);
    timeS.push(parseNumber(file, l + 1, 'time', row[0]!));
    for (let k = 1; k < nc; k++) cols[k - 1]!.push(parseNumber(file, l + 1, labels[k]!, row[k]!));
  }
  if (header['nRows'] !== undefined && Number(header['nRows']) !== timeS.length)
    throw badFile(
      file,
      null,
      `nRows=${header['nRows']} but there are ${timeS.length} data rows`,
      Number(header['nRows']) > timeS.length ? 'IMPORT_TRUNCATED' : 'IMPORT_BAD_HEADER',
    );
  if (header['nColumns'] !== undefined && Number(header['nColumns']) !== nc)
    throw badFile(file, null, `nColumns=${header['nColumns']} but the labels name ${nc} columns`);
  const deg = header['inDegrees']?.toLowerCase();
  return {
    name,
    header,
    inDegrees: deg === 'yes' ? true : deg === 'no' ? false : null,
    timeS: Float64Array.from(timeS),
    columns: labels.slice(1).map((label, k) => ({ label, values: Float64Array.from(cols[k]!) })),
  };
}

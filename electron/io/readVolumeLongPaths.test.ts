/**
 * A DICOM series of many files in a deep folder — as a PACS retrieval leaves
 * it: `<data dir>/pacs/incoming/<study UID>/<series UID>/<file>` — is read
 * whole. itk-wasm hands each file path to its pipeline as a command-line
 * argument on the 64 KiB WebAssembly stack; 600 slices at ~230 bytes of path
 * each (≈ 140 KB) overflowed it ("memory access out of bounds") before
 * `withShortPaths`. The series is synthetic with a known value per voxel
 * (50·k + i + 3·j), written as classic CT files by dcmjs
 * (tests/helpers/ctToDicom.ts), and must come back voxel for voxel, in slice order.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, expect, it } from 'vitest';
import type { Volume } from '../engine/volume.js';
import { ITK_ARGV_BUDGET_BYTES, readVolume } from './readVolume.js';
import { writeCtSeries } from '../../tests/helpers/ctToDicom.js';
import { tmpDir } from '../../tests/helpers/tmp.js';

const tmp = tmpDir('orthotwin-longpaths-');
afterAll(() => tmp.cleanup());

it('reads a 600-slice series whose file paths add up to far more than the WebAssembly stack, voxel for voxel', async () => {
  const [nx, ny, nz] = [16, 12, 600];
  const data = new Int16Array(nx * ny * nz);
  for (let k = 0; k < nz; k++) for (let j = 0; j < ny; j++) for (let i = 0; i < nx; i++) data[i + nx * (j + ny * k)] = 50 * k + i + 3 * j;
  const vol: Volume = { dims: [nx, ny, nz], spacingMm: [0.7, 0.8, 0.5], originLps: [-5, 10, 100], direction: [1, 0, 0, 0, 1, 0, 0, 0, 1], data };
  const uid = (): string => `2.25.${BigInt('0x' + crypto.randomBytes(15).toString('hex')).toString()}`;
  const dir = path.join(tmp.dir, 'data', 'pacs', 'incoming', uid(), uid(), uid());
  const { files } = writeCtSeries(vol, dir, { patientName: 'LONG^PATHS', patientId: 'LP1', studyDate: '20250101' });
  const argvBytes = files.reduce((n, f) => n + Buffer.byteLength(f) + 1, 0);
  expect(argvBytes).toBeGreaterThan(100 * 1024);
  expect(argvBytes).toBeGreaterThan(ITK_ARGV_BUDGET_BYTES);
  const { volume } = await readVolume(dir);
  expect(volume.dims).toEqual([nx, ny, nz]);
  expect(volume.originLps.map((x) => Math.round(x * 1000) / 1000)).toEqual([-5, 10, 100]);
  let mismatches = 0;
  for (let v = 0; v < data.length; v++) if (volume.data[v] !== data[v]) mismatches++;
  expect(mismatches).toBe(0);
  // the short links are gone again
  expect(fs.readdirSync(os.tmpdir()).filter((f) => f.startsWith('ot-') && fs.existsSync(path.join(os.tmpdir(), f, '0')))).toEqual([]);
}, 120_000);

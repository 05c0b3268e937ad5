/**
 * `exchange.exportFile` (the bytes of an export for the renderer's download):
 * a file under `<data dir>/exports/` comes back whole (base64 decodes to the
 * same bytes, SHA-256 as Node computes it, MIME by extension); a file
 * elsewhere — given directly, by `..`, or through a symlink out of the folder —
 * is refused naming the path, a missing one is NOT_FOUND.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { tmpDir } from '../../tests/helpers/tmp.js';
import { readExportFile } from './index.js';

const tmp = tmpDir();
afterAll(() => tmp.cleanup());
const exportsDir = path.join(tmp.dir, 'exports');
fs.mkdirSync(exportsDir, { recursive: true });

it('hands out an export whole, and nothing outside the exports folder', () => {
  const bytes = crypto.randomBytes(70_001);
  const f = path.join(exportsDir, 'twin-1-bone.3mf');
  fs.writeFileSync(f, bytes);
  const r = readExportFile(tmp.dir, f);
  expect(r).toMatchObject({ fileName: 'twin-1-bone.3mf', mime: 'model/3mf', bytes: 70_001, sha256: crypto.createHash('sha256').update(bytes).digest('hex') });
  expect(Buffer.from(r.base64, 'base64').equals(bytes)).toBe(true);
  fs.writeFileSync(path.join(exportsDir, 'sr.dcm'), 'x');
  expect(readExportFile(tmp.dir, path.join(exportsDir, 'sr.dcm')).mime).toBe('application/dicom');

  const outside = path.join(tmp.dir, 'policy.json');
  fs.writeFileSync(outside, '{}');
  expect(() => readExportFile(tmp.dir, outside)).toThrow(`${outside}: not an export of this workstation`);
  expect(() => readExportFile(tmp.dir, path.join(exportsDir, '..', 'policy.json'))).toThrow('not an export of this workstation');
  fs.symlinkSync(outside, path.join(exportsDir, 'link.json'));
  expect(() => readExportFile(tmp.dir, path.join(exportsDir, 'link.json'))).toThrow('not an export of this workstation');
  expect(() => readExportFile(tmp.dir, path.join(exportsDir, 'gone.stl'))).toThrow(/gone\.stl: no such file/);
});

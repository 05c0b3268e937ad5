/**
 * Where and how the exchange capability writes an export: the default path
 * `<data dir>/exports/twin-<id8>-<what>-<UTC stamp>.<ext>` (or the caller's),
 * written once — an existing file is never overwritten — and its SHA-256 for
 * the audit and the result.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { AppError } from '../../electron/contract/errors.js';

/** The export's absolute path: `out` when given, else `<dataDir>/exports/twin-<first 8 of the id>-<what>-<YYYYMMDDTHHMMSSZ>.<ext>`. */
export function exportPath(dataDir: string, twinId: string, what: string, ext: string, out?: string): string {
  const stamp = new Date()
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
  return path.resolve(out ?? path.join(dataDir, 'exports', `twin-${twinId.slice(0, 8)}-${what}-${stamp}.${ext}`));
}

/**
 * Writes `bytes` to `file` (its folder created), never over an existing file.
 * @returns the bytes' SHA-256 (hex)
 * @throws AppError BAD_REQUEST when the file exists; the file system's error otherwise
 */
export async function writeNewExport(file: string, bytes: Uint8Array): Promise<string> {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  try {
    await fs.promises.writeFile(file, bytes, { flag: 'wx' });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') throw new AppError('BAD_REQUEST', `${file}: the file exists (an export never overwrites)`, { file });
    throw e;
  }
  return crypto.createHash('sha256').update(bytes).digest('hex');
}

/**
 * Encryption of the store's files at rest (issue 6 §4): volumes, meshes,
 * label maps and reports under `store/` are sealed with AES-256-GCM under the
 * store's file key — a random 256-bit key kept inside the encrypted database
 * (`store_meta`), so rotating the database key needs no file rewrite and the
 * files are as safe as the database. Layout: "OTSEAL01" (8 bytes), a 12-byte
 * IV, the ciphertext, the 16-byte GCM tag. Files without the magic are
 * plaintext (a store that is not encrypted, or files from before it was).
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import { AppError } from '../contract/errors.js';

const MAGIC = Buffer.from('OTSEAL01', 'latin1');

export const isSealed = (b: Uint8Array): boolean => b.length >= MAGIC.length + 28 && Buffer.from(b.buffer, b.byteOffset, MAGIC.length).equals(MAGIC);

/** Seals bytes under a 256-bit key (a fresh IV each time). */
export function sealBytes(data: Uint8Array, key: Buffer): Buffer {
  const iv = crypto.randomBytes(12);
  const c = crypto.createCipheriv('aes-256-gcm', key, iv);
  const body = Buffer.concat([c.update(data), c.final()]);
  return Buffer.concat([MAGIC, iv, body, c.getAuthTag()]);
}

/**
 * Opens sealed bytes; plaintext passes through.
 * @throws AppError STORE_FAILED naming `label` when the bytes are sealed and the key is missing or wrong, or they were altered (GCM authentication)
 */
export function unsealBytes(data: Uint8Array, key: Buffer | null, label: string): Buffer {
  if (!isSealed(data)) return Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  if (!key) throw new AppError('STORE_FAILED', `${label}: the file is encrypted and the store has no file key`);
  const b = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  const iv = b.subarray(8, 20);
  const tag = b.subarray(b.length - 16);
  const d = crypto.createDecipheriv('aes-256-gcm', key, iv);
  d.setAuthTag(tag);
  try {
    return Buffer.concat([d.update(b.subarray(20, b.length - 16)), d.final()]);
  } catch {
    throw new AppError('STORE_FAILED', `${label}: the encrypted file does not open with the store's key (altered, or from another store)`);
  }
}

/** Reads a store file, unsealing it when sealed. */
export async function readStoreFile(file: string, key: Buffer | null): Promise<Buffer> {
  return unsealBytes(await fs.promises.readFile(file), key, file);
}

/** Synchronous readStoreFile (workers). */
/** The store's file key as a job request carries it (hex), or null for a plaintext store. */
export const fileKeyOf = (req: { fileKey: string | null }): Buffer | null => (req.fileKey ? Buffer.from(req.fileKey, 'hex') : null);

export function readStoreFileSync(file: string, key: Buffer | null): Buffer {
  return unsealBytes(fs.readFileSync(file), key, file);
}

/**
 * Where the twin store's encryption key lives (issue 6 §4). The store is
 * encrypted with SQLCipher 4 compatible encryption (AES-256-CBC,
 * HMAC-SHA512, via better-sqlite3-multiple-ciphers) under a random 256-bit
 * key; the key itself is kept by a `KeyStore`:
 * - on the desktop, in the operating system's keystore through Electron's
 *   `safeStorage` (DPAPI, Keychain, libsecret): electron/main/storeKey.ts;
 * - in browser mode and for the CLI, in a key file the administrator gives
 *   (`--store-key-file`, owner-only permissions; a hex key, 64 digits).
 * Rotation writes the new key only after the store was re-encrypted with it,
 * and keeps the previous file as `.previous` until the next open succeeds.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import { AppError } from '../contract/errors.js';

export interface KeyStore {
  /** The current key (32 bytes), or null when the store is not encrypted. */
  load(): Buffer | null;
  /** Persists a new key (after a rotation, or the first key of a new store). */
  save(key: Buffer): void;
  /** Where the key lives, for messages (never the key). */
  readonly description: string;
}

export const newStoreKey = (): Buffer => crypto.randomBytes(32);

/** Parses a 64-hex-digit key. @throws AppError BAD_REQUEST naming the source otherwise */
export function parseKeyHex(text: string, source: string): Buffer {
  const t = text.trim();
  if (!/^[0-9a-fA-F]{64}$/.test(t)) throw new AppError('BAD_REQUEST', `${source}: the twin store key must be 64 hexadecimal digits (256 bits)`);
  return Buffer.from(t, 'hex');
}

/**
 * A key in a file the administrator manages (browser mode, CLI). A missing
 * file is created with a new random key when `create` is set (owner-only).
 */
export function fileKeyStore(file: string, create = true): KeyStore {
  return {
    description: `key file ${file}`,
    load() {
      try {
        return parseKeyHex(fs.readFileSync(file, 'utf8'), file);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
        if (!create) throw new AppError('BAD_REQUEST', `${file}: no such key file`, { file });
        const key = newStoreKey();
        fs.writeFileSync(file, key.toString('hex'), { mode: 0o600, flag: 'wx' });
        return key;
      }
    },
    save(key) {
      if (fs.existsSync(file)) fs.copyFileSync(file, `${file}.previous`);
      const tmp = `${file}.tmp`;
      fs.writeFileSync(tmp, key.toString('hex'), { mode: 0o600 });
      fs.renameSync(tmp, file);
    },
  };
}

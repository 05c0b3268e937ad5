/**
 * The desktop's key store for the twin store's encryption key: the key
 * (random, 256 bits) is kept encrypted by Electron's `safeStorage` — the
 * operating system's keystore (Windows DPAPI, macOS Keychain, libsecret or
 * kwallet on Linux) — in `store.key` beside the data. Where the OS offers no
 * keystore (safeStorage unavailable, or Linux's `basic_text` fallback) the
 * store stays unencrypted unless the site policy requires encryption, in
 * which case OrthoTwin refuses to start with the reason.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { SafeStorage } from 'electron';
import { AppError } from '../contract/errors.js';
import type { KeyStore } from '../services/storeKey.js';
import { newStoreKey, parseKeyHex } from '../services/storeKey.js';

/**
 * @returns the key store, or null when the OS has no keystore and encryption is not required
 * @throws AppError BAD_REQUEST when `required` and the OS has no usable keystore
 */
export function safeStorageKeyStore(
  safeStorage: Pick<SafeStorage, 'isEncryptionAvailable' | 'encryptString' | 'decryptString'> & { getSelectedStorageBackend?: () => string },
  dataDir: string,
  required: boolean,
): KeyStore | null {
  const file = path.join(dataDir, 'store.key');
  const weak = process.platform === 'linux' && safeStorage.getSelectedStorageBackend?.() === 'basic_text';
  if (!safeStorage.isEncryptionAvailable() || weak) {
    if (required || fs.existsSync(file))
      throw new AppError(
        'BAD_REQUEST',
        `the operating system offers no keystore for the twin store's key (${weak ? 'only basic_text' : 'safeStorage unavailable'})`,
      );
    return null;
  }
  const write = (key: Buffer): void => {
    fs.mkdirSync(dataDir, { recursive: true });
    if (fs.existsSync(file)) fs.copyFileSync(file, `${file}.previous`);
    fs.writeFileSync(`${file}.tmp`, safeStorage.encryptString(key.toString('hex')), { mode: 0o600 });
    fs.renameSync(`${file}.tmp`, file);
  };
  return {
    description: `the operating system's keystore (${file})`,
    load() {
      if (!fs.existsSync(file)) {
        const key = newStoreKey();
        write(key);
        return key;
      }
      return parseKeyHex(safeStorage.decryptString(fs.readFileSync(file)), file);
    },
    save: write,
  };
}

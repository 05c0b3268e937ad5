/**
 * The SHA-256 of a source file, read in 4 MiB pieces (a volume file of a few
 * hundred MB hashes in about a second): what a scan and an import record of a
 * volume file, so the same file imported again into a patient is recognised
 * whatever its path (issue 20 §1).
 */
import crypto from 'node:crypto';
import fs from 'node:fs';

/** The SHA-256 (hex) of the file's bytes. */
export function fileSha256(file: string): string {
  const hash = crypto.createHash('sha256');
  const buf = Buffer.alloc(4 << 20);
  const fd = fs.openSync(file, 'r');
  try {
    for (;;) {
      const n = fs.readSync(fd, buf, 0, buf.length, null);
      if (n <= 0) break;
      hash.update(buf.subarray(0, n));
    }
  } finally {
    fs.closeSync(fd);
  }
  return hash.digest('hex');
}

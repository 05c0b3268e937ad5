/**
 * CRC-16/ARC as the NDI Combined API computes it (ndicapi `CalcCRC16`,
 * "polynomial X^16 + X^15 + X^2 + 1"): reflected polynomial 0xA001, initial
 * value 0, no final xor. Check value: crc16Ndi("123456789") = 0xBB3D.
 * Table-driven (one table of 256 entries, built once).
 *
 * @param buf bytes covered by the CRC
 * @param crc running CRC to continue from (default 0)
 * @returns the 16-bit CRC
 */
export function crc16Ndi(buf: Uint8Array, crc = 0): number {
  let c = crc & 0xffff;
  for (let i = 0; i < buf.length; i++) c = (c >>> 8) ^ TABLE[(c ^ buf[i]!) & 0xff]!;
  return c;
}

/** CRC-16/ARC of an ASCII string (NDI command and reply texts). */
export function crc16NdiText(text: string): number {
  let c = 0;
  for (let i = 0; i < text.length; i++) c = (c >>> 8) ^ TABLE[(c ^ text.charCodeAt(i)) & 0xff]!;
  return c;
}

const TABLE = (() => {
  const t = new Uint16Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0xa001 : c >>> 1;
    t[n] = c;
  }
  return t;
})();

/**
 * CRC-64/ECMA-182 as OpenIGTLink computes it (`igtl_util.c crc64`):
 * polynomial 0x42F0E1EBA9EA3693, MSB first, initial value 0, no final xor;
 * check value crc64("123456789") = 0x6C40DF5F0B497347. The 64-bit state is
 * kept as two uint32 halves with a split lookup table so the inner loop runs
 * without BigInt (image bodies are megabytes at 30 fps).
 */

const HI = new Uint32Array(256);
const LO = new Uint32Array(256);
{
  const POLY_HI = 0x42f0e1eb;
  const POLY_LO = 0xa9ea3693;
  for (let i = 0; i < 256; i++) {
    let hi = i << 24;
    let lo = 0;
    for (let k = 0; k < 8; k++) {
      const top = hi & 0x80000000;
      hi = ((hi << 1) | (lo >>> 31)) >>> 0;
      lo = (lo << 1) >>> 0;
      if (top) {
        hi = (hi ^ POLY_HI) >>> 0;
        lo = (lo ^ POLY_LO) >>> 0;
      }
    }
    HI[i] = hi >>> 0;
    LO[i] = lo >>> 0;
  }
}

/**
 * CRC-64 of `bytes[offset, offset + length)`, continuing from `crc`
 * (OpenIGTLink: start at 0n over the whole message body).
 * @returns the CRC as an unsigned 64-bit bigint
 */
export function crc64(bytes: Uint8Array, crc = 0n, offset = 0, length = bytes.length - offset): bigint {
  let hi = Number((crc >> 32n) & 0xffffffffn) >>> 0;
  let lo = Number(crc & 0xffffffffn) >>> 0;
  const end = offset + length;
  for (let i = offset; i < end; i++) {
    const t = ((hi >>> 24) ^ bytes[i]!) & 0xff;
    // (crc << 8) ^ table[t]
    hi = (((hi << 8) | (lo >>> 24)) ^ HI[t]!) >>> 0;
    lo = ((lo << 8) ^ LO[t]!) >>> 0;
  }
  return (BigInt(hi) << 32n) | BigInt(lo);
}

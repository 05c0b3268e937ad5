/**
 * CRC-64/ECMA-182 as OpenIGTLink computes it (`igtl_util.c crc64`):
 * polynomial 0x42F0E1EBA9EA3693, MSB first, initial value 0, no final xor;
 * check value crc64("123456789") = 0x6C40DF5F0B497347. The 64-bit state is
 * kept as two uint32 halves with split lookup tables so the inner loop runs
 * without BigInt, eight bytes per step (slice-by-8: table k holds the CRC of
 * a byte followed by k zero bytes), since image bodies are megabytes at 30 fps.
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

/** Slice-by-8 tables: THI[k][i], TLO[k][i] = CRC of byte i followed by k zero bytes. */
const THI: Uint32Array[] = [HI];
const TLO: Uint32Array[] = [LO];
for (let k = 1; k < 8; k++) {
  const ph = THI[k - 1]!;
  const pl = TLO[k - 1]!;
  const h = new Uint32Array(256);
  const l = new Uint32Array(256);
  for (let i = 0; i < 256; i++) {
    const t = ph[i]! >>> 24;
    h[i] = (((ph[i]! << 8) | (pl[i]! >>> 24)) ^ HI[t]!) >>> 0;
    l[i] = ((pl[i]! << 8) ^ LO[t]!) >>> 0;
  }
  THI.push(h);
  TLO.push(l);
}
const [H0, H1, H2, H3, H4, H5, H6, H7] = THI as [Uint32Array, Uint32Array, Uint32Array, Uint32Array, Uint32Array, Uint32Array, Uint32Array, Uint32Array];
const [L0, L1, L2, L3, L4, L5, L6, L7] = TLO as [Uint32Array, Uint32Array, Uint32Array, Uint32Array, Uint32Array, Uint32Array, Uint32Array, Uint32Array];

/**
 * CRC-64 of `bytes[offset, offset + length)`, continuing from `crc`
 * (OpenIGTLink: start at 0n over the whole message body).
 * @returns the CRC as an unsigned 64-bit bigint
 */
export function crc64(bytes: Uint8Array, crc = 0n, offset = 0, length = bytes.length - offset): bigint {
  let hi = Number((crc >> 32n) & 0xffffffffn) >>> 0;
  let lo = Number(crc & 0xffffffffn) >>> 0;
  const end = offset + length;
  let i = offset;
  for (; i + 8 <= end; i += 8) {
    const xh = (hi ^ ((bytes[i]! << 24) | (bytes[i + 1]! << 16) | (bytes[i + 2]! << 8) | bytes[i + 3]!)) >>> 0;
    const xl = (lo ^ ((bytes[i + 4]! << 24) | (bytes[i + 5]! << 16) | (bytes[i + 6]! << 8) | bytes[i + 7]!)) >>> 0;
    hi =
      (H7[xh >>> 24]! ^
        H6[(xh >>> 16) & 0xff]! ^
        H5[(xh >>> 8) & 0xff]! ^
        H4[xh & 0xff]! ^
        H3[xl >>> 24]! ^
        H2[(xl >>> 16) & 0xff]! ^
        H1[(xl >>> 8) & 0xff]! ^
        H0[xl & 0xff]!) >>>
      0;
    lo =
      (L7[xh >>> 24]! ^
        L6[(xh >>> 16) & 0xff]! ^
        L5[(xh >>> 8) & 0xff]! ^
        L4[xh & 0xff]! ^
        L3[xl >>> 24]! ^
        L2[(xl >>> 16) & 0xff]! ^
        L1[(xl >>> 8) & 0xff]! ^
        L0[xl & 0xff]!) >>>
      0;
  }
  for (; i < end; i++) {
    const t = ((hi >>> 24) ^ bytes[i]!) & 0xff;
    // (crc << 8) ^ table[t]
    hi = (((hi << 8) | (lo >>> 24)) ^ HI[t]!) >>> 0;
    lo = ((lo << 8) ^ LO[t]!) >>> 0;
  }
  return (BigInt(hi) << 32n) | BigInt(lo);
}

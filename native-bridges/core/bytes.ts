/**
 * Byte helpers shared by the stream framers (device → host byte streams
 * reassembled into frames).
 */

/** The bytes still buffered followed by a received chunk (a copy: `pending` is never aliased to the chunk). */
export function appendBytes(pending: Uint8Array, chunk: Uint8Array): Uint8Array<ArrayBuffer> {
  if (pending.length === 0) return new Uint8Array(chunk);
  const b = new Uint8Array(pending.length + chunk.length);
  b.set(pending);
  b.set(chunk, pending.length);
  return b;
}

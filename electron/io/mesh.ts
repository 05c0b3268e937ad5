/**
 * Mesh files: VTK XML PolyData (.vtp, VTK file formats, "binary" inline
 * base64 with UInt32 headers, as read by VTK, ParaView, 3D Slicer and vtk.js)
 * and STL, binary and ASCII (the de-facto format of 3D Systems' StereoLithography
 * Interface Specification, 1989/1992: for 3D printing and other planning tools).
 * Coordinates are LPS mm as in the twin; the VTP carries a FieldData note
 * saying so; STL has no unit or frame field, so an STL is read as LPS mm.
 */
import { triangleCross, type TriangleMesh } from '../engine/surface.js';

function b64Block(bytes: Uint8Array): string {
  const header = Buffer.alloc(4);
  header.writeUInt32LE(bytes.byteLength, 0);
  return Buffer.concat([header, Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)]).toString('base64');
}

const u8 = (a: ArrayBufferView): Uint8Array => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);

/**
 * Encodes a triangle mesh as a VTK XML PolyData file: normals as point data
 * when present, and optional per-vertex Float32 scalar arrays (the first is
 * the active scalars, e.g. HU_mean for a grey-level textured bone mesh).
 * @throws Error when a scalar array's length is not the vertex count
 */
export function encodeVtp(mesh: TriangleMesh, scalars: Record<string, Float32Array> = {}): Buffer {
  const nP = mesh.points.length / 3;
  const nT = mesh.triangles.length / 3;
  const conn = new Int32Array(mesh.triangles);
  const offsets = new Int32Array(nT);
  for (let t = 0; t < nT; t++) offsets[t] = 3 * (t + 1);
  const parts = [
    '<?xml version="1.0"?>',
    '<VTKFile type="PolyData" version="1.0" byte_order="LittleEndian" header_type="UInt32">',
    '<PolyData>',
    '<FieldData><StringArray type="String" Name="CoordinateSystem" NumberOfTuples="1" format="ascii">76 80 83 0</StringArray></FieldData>',
    `<Piece NumberOfPoints="${nP}" NumberOfVerts="0" NumberOfLines="0" NumberOfStrips="0" NumberOfPolys="${nT}">`,
    pointData(mesh, scalars),
    `<Points><DataArray type="Float32" Name="Points" NumberOfComponents="3" format="binary">${b64Block(u8(mesh.points))}</DataArray></Points>`,
    '<Polys>',
    `<DataArray type="Int32" Name="connectivity" format="binary">${b64Block(u8(conn))}</DataArray>`,
    `<DataArray type="Int32" Name="offsets" format="binary">${b64Block(u8(offsets))}</DataArray>`,
    '</Polys>',
    '</Piece>',
    '</PolyData>',
    '</VTKFile>',
    '',
  ];
  return Buffer.from(parts.join('\n'), 'latin1');
}

function pointData(mesh: TriangleMesh, scalars: Record<string, Float32Array>): string {
  const nP = mesh.points.length / 3;
  const names = Object.keys(scalars);
  for (const n of names) if (scalars[n]!.length !== nP) throw new Error(`encodeVtp: point array ${n} has ${scalars[n]!.length} values for ${nP} vertices`);
  if (!mesh.normals && !names.length) return '<PointData/>';
  const attrs = `${mesh.normals ? ' Normals="Normals"' : ''}${names.length ? ` Scalars="${names[0]}"` : ''}`;
  const arrays = [
    ...(mesh.normals ? [`<DataArray type="Float32" Name="Normals" NumberOfComponents="3" format="binary">${b64Block(u8(mesh.normals))}</DataArray>`] : []),
    ...names.map((n) => `<DataArray type="Float32" Name="${n}" NumberOfComponents="1" format="binary">${b64Block(u8(scalars[n]!))}</DataArray>`),
  ];
  return `<PointData${attrs}>${arrays.join('')}</PointData>`;
}

function vtpArray(text: string, name: string): Buffer | null {
  const m = new RegExp(`Name="${name}"[^>]*format="binary">([^<]*)<`).exec(text);
  if (!m) return null;
  const b = Buffer.from((m[1] as string).trim(), 'base64');
  return b.subarray(4, 4 + b.readUInt32LE(0));
}

const f32 = (b: Buffer): Float32Array => new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));

/**
 * Decodes a VTP written by `encodeVtp` (points, triangles, normals when
 * present). For tests and re-reading the store.
 * @throws Error when the points or the connectivity are missing
 */
export function decodeVtp(buf: Buffer): TriangleMesh {
  const text = buf.toString('latin1');
  const pts = vtpArray(text, 'Points');
  const conn = vtpArray(text, 'connectivity');
  if (!pts || !conn) throw new Error(`VTP: no ${pts ? 'connectivity' : 'Points'} array`);
  const normals = vtpArray(text, 'Normals');
  const triangles = new Uint32Array(new Int32Array(conn.buffer.slice(conn.byteOffset, conn.byteOffset + conn.byteLength)));
  return { points: f32(pts), triangles, ...(normals ? { normals: f32(normals) } : {}) };
}

/** A Float32 point-data array of a VTP written by `encodeVtp` (e.g. HU_mean), or null when absent. */
export function vtpPointArray(buf: Buffer, name: string): Float32Array | null {
  const b = vtpArray(buf.toString('latin1'), name);
  return b ? f32(b) : null;
}

/** Unit facet normal of triangle f from its winding (0 for a degenerate triangle). */
function facetNormal(mesh: TriangleMesh, f: number, n: Float64Array): [number, number, number] {
  const t = mesh.triangles;
  triangleCross(mesh.points, 3 * (t[3 * f] as number), 3 * (t[3 * f + 1] as number), 3 * (t[3 * f + 2] as number), n);
  const l = Math.hypot(n[0] as number, n[1] as number, n[2] as number) || 1;
  return [(n[0] as number) / l, (n[1] as number) / l, (n[2] as number) / l];
}

/**
 * Encodes a triangle mesh as binary STL: an 80-byte header (`name`, latin1),
 * the UInt32 facet count, then per facet the unit normal (from the winding,
 * counter-clockwise seen from outside), three vertices (Float32 little endian,
 * LPS mm) and a zero attribute word.
 */
export function encodeStl(mesh: TriangleMesh, name = 'OrthoTwin LPS mm'): Buffer {
  const nT = mesh.triangles.length / 3;
  const buf = Buffer.alloc(84 + 50 * nT);
  buf.write(name.slice(0, 79), 0, 'latin1');
  buf.writeUInt32LE(nT, 80);
  const p = mesh.points;
  const t = mesh.triangles;
  let o = 84;
  const n = new Float64Array(3);
  for (let f = 0; f < nT; f++) {
    for (const x of facetNormal(mesh, f, n)) {
      buf.writeFloatLE(x, o);
      o += 4;
    }
    for (let k = 0; k < 3; k++) {
      const q = 3 * (t[3 * f + k] as number);
      buf.writeFloatLE(p[q] as number, o);
      buf.writeFloatLE(p[q + 1] as number, o + 4);
      buf.writeFloatLE(p[q + 2] as number, o + 8);
      o += 12;
    }
    buf.writeUInt16LE(0, o);
    o += 2;
  }
  return buf;
}

/** A Float32 value in STL's e-notation with 9 significant digits (enough to read back the same Float32). */
const e9 = (x: number): string => x.toExponential(8);

/**
 * Encodes a triangle mesh as ASCII STL (`solid name` … `facet normal` /
 * `outer loop` / 3 × `vertex x y z` / `endloop` / `endfacet` … `endsolid
 * name`), coordinates LPS mm in e-notation with 9 significant digits, so that
 * reading it back gives the same Float32 coordinates as the binary file.
 * @param name the solid's name: one line, no spaces kept (spaces become `_`)
 */
export function encodeStlAscii(mesh: TriangleMesh, name = 'OrthoTwin_LPS_mm'): Buffer {
  const solid = name.replace(/\s+/g, '_') || 'mesh';
  const p = mesh.points;
  const t = mesh.triangles;
  const nT = t.length / 3;
  const n = new Float64Array(3);
  const out: string[] = [`solid ${solid}`];
  for (let f = 0; f < nT; f++) {
    out.push(`  facet normal ${facetNormal(mesh, f, n).map(e9).join(' ')}`, '    outer loop');
    for (let k = 0; k < 3; k++) {
      const q = 3 * (t[3 * f + k] as number);
      out.push(`      vertex ${e9(p[q] as number)} ${e9(p[q + 1] as number)} ${e9(p[q + 2] as number)}`);
    }
    out.push('    endloop', '  endfacet');
  }
  out.push(`endsolid ${solid}`, '');
  return Buffer.from(out.join('\n'), 'latin1');
}

/** Merges vertices with identical (Float32) coordinates: the indexed mesh of a triangle soup. */
class Welder {
  private readonly index = new Map<string, number>();
  readonly pts: number[] = [];
  constructor(private readonly source: string) {}
  /** The vertex index of (x, y, z) rounded to Float32. @throws Error naming the file and facet for a coordinate that is not a number */
  vertex(x: number, y: number, z: number, facet: number): number {
    if (!(Number.isFinite(x) && Number.isFinite(y) && Number.isFinite(z)))
      throw new Error(`${this.source}: triangle ${facet} has a vertex that is not a number (${x}, ${y}, ${z}); the mesh is corrupt`);
    const fx = Math.fround(x),
      fy = Math.fround(y),
      fz = Math.fround(z);
    // -0 and 0 are the same point
    const key = `${fx + 0},${fy + 0},${fz + 0}`;
    let v = this.index.get(key);
    if (v === undefined) {
      v = this.pts.length / 3;
      this.index.set(key, v);
      this.pts.push(fx, fy, fz);
    }
    return v;
  }
}

/**
 * Decodes an STL, binary or ASCII, into an indexed mesh (LPS mm assumed):
 * vertices with identical Float32 coordinates are welded (exact, no
 * tolerance), so the mesh's topology (shared edges, closedness) can be
 * checked and vertex normals computed. Stored facet normals are ignored (the
 * winding decides). A file whose size is exactly 84 + 50 × its declared facet
 * count is binary (even when its header starts with "solid", as some CAD
 * programs write); otherwise a file starting with `solid` is read as ASCII.
 * @param source the file's name, for the errors
 * @throws Error naming `source` and the reason: too short, a binary facet count
 * that does not match the size (truncated or padded), a coordinate that is not a
 * number, or for ASCII the line and the keyword expected there
 */
export function decodeStl(buf: Buffer, source = 'STL file'): TriangleMesh {
  const ascii = /^\s*solid\b/.test(buf.subarray(0, 512).toString('latin1'));
  const binaryFits = buf.length >= 84 && 84 + 50 * buf.readUInt32LE(80) === buf.length;
  if (binaryFits) return decodeBinaryStl(buf, source);
  if (ascii) return decodeAsciiStl(buf, source);
  if (buf.length < 84) throw new Error(`${source}: too short for a binary STL (${buf.length} bytes) and not an ASCII STL (no "solid" at the start)`);
  const nT = buf.readUInt32LE(80);
  throw new Error(
    `${source}: not an ASCII STL (no "solid" at the start) and not a binary STL: ${nT} triangles declared but ${buf.length} bytes (expected ${84 + 50 * nT}${
      buf.length < 84 + 50 * nT ? '; the file is truncated' : ''
    })`,
  );
}

function decodeBinaryStl(buf: Buffer, source: string): TriangleMesh {
  const nT = buf.readUInt32LE(80);
  const w = new Welder(source);
  const triangles = new Uint32Array(3 * nT);
  for (let t = 0; t < nT; t++)
    for (let k = 0; k < 3; k++) {
      const o = 84 + 50 * t + 12 + 12 * k;
      triangles[3 * t + k] = w.vertex(buf.readFloatLE(o), buf.readFloatLE(o + 4), buf.readFloatLE(o + 8), t + 1);
    }
  return { points: Float32Array.from(w.pts), triangles };
}

const NUMBER = /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/;

function decodeAsciiStl(buf: Buffer, source: string): TriangleMesh {
  const lines = buf.toString('latin1').split(/\r?\n|\r/);
  const w = new Welder(source);
  const tris: number[] = [];
  let ln = 0;
  /** The next non-empty line's words, and its 1-based line number; null at the end. */
  const next = (): string[] | null => {
    while (ln < lines.length) {
      const words = (lines[ln++] as string).trim().split(/\s+/);
      if (words[0]) return words;
    }
    return null;
  };
  const fail = (what: string, got: string[] | null): never => {
    throw new Error(
      `${source}: not a binary STL (size does not match) and not a valid ASCII STL: ${
        got ? `line ${ln}: expected ${what}, found "${got.join(' ').slice(0, 60)}"` : `the file ends (line ${lines.length}) where ${what} was expected`
      }`,
    );
  };
  const num = (s: string | undefined, words: string[]): number => {
    if (s === undefined || !NUMBER.test(s)) fail('three numbers', words);
    return Number(s);
  };
  let words = next();
  if (!words || words[0]!.toLowerCase() !== 'solid') fail('"solid"', words);
  let solids = 0;
  for (;;) {
    // inside a solid: facets until endsolid
    words = next();
    const kw = words?.[0]?.toLowerCase();
    if (kw === 'endsolid') {
      solids++;
      words = next();
      if (!words) break;
      if (words[0]!.toLowerCase() !== 'solid') fail('"solid" or the end of the file', words);
      continue;
    }
    if (kw !== 'facet' || words![1]?.toLowerCase() !== 'normal') fail('"facet normal" or "endsolid"', words);
    for (let k = 2; k < 5; k++) num(words![k], words!);
    words = next();
    if (words?.[0]?.toLowerCase() !== 'outer' || words[1]?.toLowerCase() !== 'loop') fail('"outer loop"', words);
    const facet = tris.length / 3 + 1;
    for (let k = 0; k < 3; k++) {
      words = next();
      if (words?.[0]?.toLowerCase() !== 'vertex') fail('"vertex x y z"', words);
      tris.push(w.vertex(num(words![1], words!), num(words![2], words!), num(words![3], words!), facet));
    }
    words = next();
    if (words?.[0]?.toLowerCase() !== 'endloop') fail('"endloop" (a facet has three vertices)', words);
    words = next();
    if (words?.[0]?.toLowerCase() !== 'endfacet') fail('"endfacet"', words);
  }
  if (solids === 0 || tris.length === 0) throw new Error(`${source}: an ASCII STL without any facet`);
  return { points: Float32Array.from(w.pts), triangles: Uint32Array.from(tris) };
}

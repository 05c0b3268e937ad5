/**
 * Mesh files: VTK XML PolyData (.vtp, VTK file formats, "binary" inline
 * base64 with UInt32 headers, as read by VTK, ParaView, 3D Slicer and vtk.js)
 * and binary STL (for 3D printing and other planning tools). Coordinates are
 * LPS mm as in the twin; the VTP carries a FieldData note saying so.
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

/** Encodes a triangle mesh as binary STL (facet normals from the winding, LPS mm). */
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
    const a = 3 * (t[3 * f] as number),
      b = 3 * (t[3 * f + 1] as number),
      c = 3 * (t[3 * f + 2] as number);
    triangleCross(p, a, b, c, n);
    let nx = n[0] as number,
      ny = n[1] as number,
      nz = n[2] as number;
    const l = Math.hypot(nx, ny, nz) || 1;
    nx /= l;
    ny /= l;
    nz /= l;
    buf.writeFloatLE(nx, o);
    buf.writeFloatLE(ny, o + 4);
    buf.writeFloatLE(nz, o + 8);
    o += 12;
    for (const q of [a, b, c]) {
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

/**
 * Decodes a binary STL (LPS mm assumed) into an indexed mesh: vertices with
 * identical coordinates are merged, so that vertex normals can be computed.
 * @throws Error naming `source` for an ASCII or truncated STL
 */
export function decodeStl(buf: Buffer, source = 'STL file'): TriangleMesh {
  if (buf.length < 84) throw new Error(`${source}: too short for a binary STL (${buf.length} bytes)`);
  const nT = buf.readUInt32LE(80);
  if (84 + 50 * nT !== buf.length) {
    const ascii = buf.subarray(0, 5).toString('latin1') === 'solid';
    throw new Error(
      `${source}: ${ascii ? 'ASCII STL is not supported (save it as binary STL)' : `${nT} triangles declared but ${buf.length} bytes (expected ${84 + 50 * nT})`}`,
    );
  }
  const index = new Map<string, number>();
  const pts: number[] = [];
  const triangles = new Uint32Array(3 * nT);
  for (let t = 0; t < nT; t++)
    for (let k = 0; k < 3; k++) {
      const o = 84 + 50 * t + 12 + 12 * k;
      const x = buf.readFloatLE(o),
        y = buf.readFloatLE(o + 4),
        z = buf.readFloatLE(o + 8);
      if (!(Number.isFinite(x) && Number.isFinite(y) && Number.isFinite(z)))
        throw new Error(`${source}: triangle ${t + 1} has a vertex that is not a number (${x}, ${y}, ${z}); the mesh is corrupt`);
      const key = `${x},${y},${z}`;
      let v = index.get(key);
      if (v === undefined) {
        v = pts.length / 3;
        index.set(key, v);
        pts.push(x, y, z);
      }
      triangles[3 * t + k] = v;
    }
  return { points: Float32Array.from(pts), triangles };
}

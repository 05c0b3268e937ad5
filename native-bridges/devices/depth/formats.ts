/**
 * Depth data behind one interface: a point cloud (organised or not) or a
 * depth frame with pinhole intrinsics, each with timestamps. Readers for the
 * file formats depth cameras and PCL write: PCD v0.5/v0.7 (ascii, binary,
 * binary_compressed with LZF), PLY (ascii, binary little/big endian
 * vertices), depth PNG (uint16) with an intrinsics JSON. Pure: bytes in.
 *
 * Units and frames: points in millimetres in the camera frame (x right,
 * y down, z forward along the optical axis, as RealSense / OpenCV); files in
 * metres (PCD, PLY from PCL) are scaled by `unitMm` (default 1000 for PCD
 * and PLY, i.e. metres). Invalid points (NaN in organised clouds, depth 0)
 * are kept as NaN so an organised cloud keeps its grid.
 *
 * Sources: PCL io/pcd_io.cpp (header grammar, binary_compressed = u32
 * compressed size, u32 size, LZF of the fields stored one after another),
 * liblzf lzf_d.c (decompression), Paul Bourke's PLY description,
 * librealsense rs2_deproject_pixel_to_point (no-distortion model).
 */

export interface PointCloud {
  /** x, y, z per point (mm, camera frame); NaN where the sensor saw nothing. */
  points: Float32Array;
  /** RGBA per point when the file has colour. */
  colors?: Uint8Array;
  /** Organised clouds: width × height = number of points; unorganised: height 1. */
  width: number;
  height: number;
  deviceTimeUs?: number;
  hostTimeUs?: number;
  seq?: number;
}

export interface PinholeIntrinsics {
  width: number;
  height: number;
  /** Focal lengths and principal point (pixels). */
  fx: number;
  fy: number;
  cx: number;
  cy: number;
  /** Millimetres per depth unit (RealSense D4xx default 1 mm). */
  depthScaleMm: number;
}

export interface DepthFrame {
  /** Depth per pixel in depth units (0 = no measurement), row-major. */
  depth: Uint16Array;
  intrinsics: PinholeIntrinsics;
  deviceTimeUs: number;
  hostTimeUs: number;
  seq: number;
}

export class DepthFormatError extends Error {
  constructor(
    readonly source: string,
    reason: string,
  ) {
    super(`${source}: ${reason}`);
    this.name = 'DepthFormatError';
  }
}

/** LZF decompression (liblzf lzf_d.c). @throws DepthFormatError on a corrupt stream. */
export function lzfDecompress(input: Uint8Array, outLength: number, source = 'LZF data'): Uint8Array {
  const out = new Uint8Array(outLength);
  let ip = 0;
  let op = 0;
  while (ip < input.length) {
    const ctrl = input[ip++]!;
    if (ctrl < 32) {
      const n = ctrl + 1;
      if (op + n > outLength || ip + n > input.length) throw new DepthFormatError(source, 'LZF literal run past the end');
      out.set(input.subarray(ip, ip + n), op);
      ip += n;
      op += n;
    } else {
      let len = ctrl >> 5;
      let ref = op - ((ctrl & 0x1f) << 8) - 1;
      if (len === 7) len += input[ip++]!;
      ref -= input[ip++]!;
      len += 2;
      if (ref < 0 || op + len > outLength) throw new DepthFormatError(source, 'LZF back-reference out of range');
      for (let k = 0; k < len; k++) out[op++] = out[ref++]!;
    }
  }
  if (op !== outLength) throw new DepthFormatError(source, `LZF data decompressed to ${op} bytes, header says ${outLength}`);
  return out;
}

interface PcdHeader {
  fields: string[];
  size: number[];
  type: string[];
  count: number[];
  width: number;
  height: number;
  points: number;
  data: 'ascii' | 'binary' | 'binary_compressed';
  bodyOffset: number;
}

function parsePcdHeader(bytes: Uint8Array, source: string): PcdHeader {
  const h: Partial<PcdHeader> = {};
  let p = 0;
  const dec = new TextDecoder('latin1');
  while (p < bytes.length) {
    let e = bytes.indexOf(0x0a, p);
    if (e < 0) e = bytes.length;
    const line = dec.decode(bytes.subarray(p, e)).trim();
    p = e + 1;
    if (!line || line.startsWith('#')) continue;
    const [key, ...rest] = line.split(/\s+/);
    switch (key) {
      case 'VERSION':
        break;
      case 'FIELDS':
        h.fields = rest;
        break;
      case 'SIZE':
        h.size = rest.map(Number);
        break;
      case 'TYPE':
        h.type = rest;
        break;
      case 'COUNT':
        h.count = rest.map(Number);
        break;
      case 'WIDTH':
        h.width = Number(rest[0]);
        break;
      case 'HEIGHT':
        h.height = Number(rest[0]);
        break;
      case 'POINTS':
        h.points = Number(rest[0]);
        break;
      case 'VIEWPOINT':
        break;
      case 'DATA': {
        const d = rest[0];
        if (d !== 'ascii' && d !== 'binary' && d !== 'binary_compressed') throw new DepthFormatError(source, `unknown PCD DATA "${d}"`);
        h.data = d;
        h.bodyOffset = p;
        break;
      }
      default:
        throw new DepthFormatError(source, `unexpected PCD header line "${line.slice(0, 60)}"`);
    }
    if (h.data) break;
  }
  if (!h.fields || !h.size || !h.type || !h.data || h.width === undefined)
    throw new DepthFormatError(source, 'incomplete PCD header (FIELDS, SIZE, TYPE, WIDTH and DATA are required)');
  h.count ??= h.fields.map(() => 1);
  h.height ??= 1;
  h.points ??= h.width * h.height;
  if (h.size.length !== h.fields.length || h.type.length !== h.fields.length || h.count.length !== h.fields.length)
    throw new DepthFormatError(source, 'PCD FIELDS, SIZE, TYPE and COUNT differ in length');
  if (!Number.isInteger(h.points) || h.points < 0 || h.points > 50_000_000) throw new DepthFormatError(source, `implausible PCD POINTS ${h.points}`);
  return h as PcdHeader;
}

function readScalar(v: DataView, off: number, type: string, size: number): number {
  if (type === 'F') return size === 8 ? v.getFloat64(off, true) : v.getFloat32(off, true);
  if (type === 'U') return size === 1 ? v.getUint8(off) : size === 2 ? v.getUint16(off, true) : v.getUint32(off, true);
  return size === 1 ? v.getInt8(off) : size === 2 ? v.getInt16(off, true) : v.getInt32(off, true);
}

/**
 * Reads a PCD file (PCL). Needs fields x, y, z; takes colour from rgb/rgba
 * (packed 0x00RRGGBB / 0xAARRGGBB).
 * @param unitMm millimetres per file unit (PCL writes metres: 1000)
 * @throws DepthFormatError naming the file and the reason; with unitMm 1000, a cloud in millimetres (`checkMetres`)
 */
export function readPcd(bytes: Uint8Array, source = 'PCD file', unitMm = 1000): PointCloud {
  return checkMetres(readPcdPoints(bytes, source, unitMm), source, unitMm);
}

function readPcdPoints(bytes: Uint8Array, source: string, unitMm: number): PointCloud {
  const h = parsePcdHeader(bytes, source);
  const ix = h.fields.indexOf('x');
  const iy = h.fields.indexOf('y');
  const iz = h.fields.indexOf('z');
  if (ix < 0 || iy < 0 || iz < 0) throw new DepthFormatError(source, `PCD without x y z fields (has ${h.fields.join(' ')})`);
  const ic = h.fields.findIndex((f) => f === 'rgb' || f === 'rgba');
  const n = h.points;
  const points = new Float32Array(3 * n);
  const colors = ic >= 0 ? new Uint8Array(4 * n) : undefined;
  const setColour = (i: number, packed: number): void => {
    if (!colors) return;
    colors[4 * i] = (packed >>> 16) & 0xff;
    colors[4 * i + 1] = (packed >>> 8) & 0xff;
    colors[4 * i + 2] = packed & 0xff;
    colors[4 * i + 3] = h.fields[ic] === 'rgba' ? (packed >>> 24) & 0xff : 255;
  };
  const body = bytes.subarray(h.bodyOffset);
  if (h.data === 'ascii') {
    const text = new TextDecoder('latin1').decode(body);
    const lines = text.split('\n');
    const colOf: number[] = [];
    let c = 0;
    for (let f = 0; f < h.fields.length; f++) {
      colOf.push(c);
      c += h.count[f]!;
    }
    let i = 0;
    for (const line of lines) {
      if (i >= n) break;
      const t = line.trim();
      if (!t) continue;
      const v = t.split(/\s+/);
      points[3 * i] = Number(v[colOf[ix]!]) * unitMm;
      points[3 * i + 1] = Number(v[colOf[iy]!]) * unitMm;
      points[3 * i + 2] = Number(v[colOf[iz]!]) * unitMm;
      if (colors) {
        const raw = v[colOf[ic]!]!;
        // PCL writes packed rgb as the float with the same bits, or as an integer
        const asNum = Number(raw);
        const packed = h.type[ic] === 'F' ? new Uint32Array(new Float32Array([asNum]).buffer)[0]! : asNum >>> 0;
        setColour(i, packed);
      }
      i++;
    }
    if (i < n) throw new DepthFormatError(source, `PCD has ${i} data lines, header says ${n} points`);
    return { points, ...(colors ? { colors } : {}), width: h.width, height: h.height };
  }
  const pointSize = h.size.reduce((s, sz, f) => s + sz * h.count[f]!, 0);
  if (h.data === 'binary') {
    if (body.length < pointSize * n)
      throw new DepthFormatError(source, `PCD binary data truncated: ${body.length} bytes for ${n} points of ${pointSize} bytes`);
    const v = new DataView(body.buffer, body.byteOffset, body.byteLength);
    const offs: number[] = [];
    let o = 0;
    for (let f = 0; f < h.fields.length; f++) {
      offs.push(o);
      o += h.size[f]! * h.count[f]!;
    }
    for (let i = 0; i < n; i++) {
      const b = i * pointSize;
      points[3 * i] = readScalar(v, b + offs[ix]!, h.type[ix]!, h.size[ix]!) * unitMm;
      points[3 * i + 1] = readScalar(v, b + offs[iy]!, h.type[iy]!, h.size[iy]!) * unitMm;
      points[3 * i + 2] = readScalar(v, b + offs[iz]!, h.type[iz]!, h.size[iz]!) * unitMm;
      if (colors) setColour(i, v.getUint32(b + offs[ic]!, true));
    }
    return { points, ...(colors ? { colors } : {}), width: h.width, height: h.height };
  }
  // binary_compressed: u32 compressed size, u32 uncompressed size, LZF; fields stored one after another
  if (body.length < 8) throw new DepthFormatError(source, 'PCD binary_compressed data truncated');
  const hv = new DataView(body.buffer, body.byteOffset, 8);
  const csize = hv.getUint32(0, true);
  const usize = hv.getUint32(4, true);
  if (8 + csize > body.length) throw new DepthFormatError(source, `PCD compressed block claims ${csize} bytes, file has ${body.length - 8}`);
  if (usize !== pointSize * n) throw new DepthFormatError(source, `PCD uncompressed size ${usize} ≠ ${n} points × ${pointSize} bytes`);
  const raw = lzfDecompress(body.subarray(8, 8 + csize), usize, source);
  const v = new DataView(raw.buffer);
  const base: number[] = [];
  let o = 0;
  for (let f = 0; f < h.fields.length; f++) {
    base.push(o);
    o += h.size[f]! * h.count[f]! * n;
  }
  const step = (f: number): number => h.size[f]! * h.count[f]!;
  for (let i = 0; i < n; i++) {
    points[3 * i] = readScalar(v, base[ix]! + i * step(ix), h.type[ix]!, h.size[ix]!) * unitMm;
    points[3 * i + 1] = readScalar(v, base[iy]! + i * step(iy), h.type[iy]!, h.size[iy]!) * unitMm;
    points[3 * i + 2] = readScalar(v, base[iz]! + i * step(iz), h.type[iz]!, h.size[iz]!) * unitMm;
    if (colors) setColour(i, v.getUint32(base[ic]! + i * step(ic), true));
  }
  return { points, ...(colors ? { colors } : {}), width: h.width, height: h.height };
}

/**
 * Reads the vertices (x, y, z and, when present, red/green/blue) of a PLY
 * file: ascii, binary_little_endian or binary_big_endian.
 * @param unitMm millimetres per file unit (default 1000: metres)
 * @throws DepthFormatError naming the file and the reason; with unitMm 1000, a cloud in millimetres (`checkMetres`)
 */
export function readPly(bytes: Uint8Array, source = 'PLY file', unitMm = 1000): PointCloud {
  return checkMetres(readPlyPoints(bytes, source, unitMm), source, unitMm);
}

function readPlyPoints(bytes: Uint8Array, source: string, unitMm: number): PointCloud {
  const dec = new TextDecoder('latin1');
  const headEnd = dec.decode(bytes.subarray(0, Math.min(bytes.length, 65536))).indexOf('end_header');
  if (!dec.decode(bytes.subarray(0, 3)).startsWith('ply') || headEnd < 0)
    throw new DepthFormatError(source, 'not a PLY file (no "ply" magic or no end_header)');
  let bodyOff = headEnd + 'end_header'.length;
  if (bytes[bodyOff] === 0x0d) bodyOff++;
  if (bytes[bodyOff] === 0x0a) bodyOff++;
  const lines = dec.decode(bytes.subarray(0, headEnd)).split(/\r?\n/);
  let format = '';
  const elements: { name: string; count: number; props: { name: string; type: string; list?: [string, string] }[] }[] = [];
  for (const l of lines) {
    const t = l.trim().split(/\s+/);
    if (t[0] === 'format') format = t[1] ?? '';
    else if (t[0] === 'element') elements.push({ name: t[1]!, count: Number(t[2]), props: [] });
    else if (t[0] === 'property') {
      const el = elements.at(-1);
      if (!el) throw new DepthFormatError(source, 'PLY property before any element');
      if (t[1] === 'list') el.props.push({ name: t[4]!, type: 'list', list: [t[2]!, t[3]!] });
      else el.props.push({ name: t[2]!, type: t[1]! });
    }
  }
  const vert = elements.find((e) => e.name === 'vertex');
  if (!vert) throw new DepthFormatError(source, 'PLY without a vertex element');
  if (elements[0] !== vert) throw new DepthFormatError(source, 'PLY vertex element must come first');
  const names = vert.props.map((p) => p.name);
  const [px, py, pz] = ['x', 'y', 'z'].map((a) => names.indexOf(a));
  if (px! < 0 || py! < 0 || pz! < 0) throw new DepthFormatError(source, 'PLY vertices without x y z');
  const pr = names.indexOf('red');
  const n = vert.count;
  const points = new Float32Array(3 * n);
  const colors = pr >= 0 ? new Uint8Array(4 * n) : undefined;
  if (format === 'ascii') {
    const rows = dec.decode(bytes.subarray(bodyOff)).split(/\r?\n/);
    for (let i = 0; i < n; i++) {
      const v = (rows[i] ?? '').trim().split(/\s+/).map(Number);
      if (v.length < names.length) throw new DepthFormatError(source, `PLY vertex ${i} has ${v.length} values, expected ${names.length}`);
      points.set([v[px!]! * unitMm, v[py!]! * unitMm, v[pz!]! * unitMm], 3 * i);
      if (colors) colors.set([v[pr]!, v[pr + 1]!, v[pr + 2]!, 255], 4 * i);
    }
    return { points, ...(colors ? { colors } : {}), width: n, height: 1 };
  }
  const le = format === 'binary_little_endian';
  if (!le && format !== 'binary_big_endian') throw new DepthFormatError(source, `unknown PLY format "${format}"`);
  const SIZES: Record<string, number> = {
    char: 1,
    int8: 1,
    uchar: 1,
    uint8: 1,
    short: 2,
    int16: 2,
    ushort: 2,
    uint16: 2,
    int: 4,
    int32: 4,
    uint: 4,
    uint32: 4,
    float: 4,
    float32: 4,
    double: 8,
    float64: 8,
  };
  const read = (v: DataView, o: number, t: string): number => {
    switch (t) {
      case 'char':
      case 'int8':
        return v.getInt8(o);
      case 'uchar':
      case 'uint8':
        return v.getUint8(o);
      case 'short':
      case 'int16':
        return v.getInt16(o, le);
      case 'ushort':
      case 'uint16':
        return v.getUint16(o, le);
      case 'int':
      case 'int32':
        return v.getInt32(o, le);
      case 'uint':
      case 'uint32':
        return v.getUint32(o, le);
      case 'float':
      case 'float32':
        return v.getFloat32(o, le);
      default:
        return v.getFloat64(o, le);
    }
  };
  if (vert.props.some((p) => p.list || !SIZES[p.type])) throw new DepthFormatError(source, 'PLY vertex with list or unknown property types');
  const offs: number[] = [];
  let stride = 0;
  for (const p of vert.props) {
    offs.push(stride);
    stride += SIZES[p.type]!;
  }
  if (bytes.length - bodyOff < stride * n) throw new DepthFormatError(source, `PLY vertex data truncated (${n} vertices of ${stride} bytes)`);
  const v = new DataView(bytes.buffer, bytes.byteOffset + bodyOff, stride * n);
  for (let i = 0; i < n; i++) {
    const b = i * stride;
    points[3 * i] = read(v, b + offs[px!]!, vert.props[px!]!.type) * unitMm;
    points[3 * i + 1] = read(v, b + offs[py!]!, vert.props[py!]!.type) * unitMm;
    points[3 * i + 2] = read(v, b + offs[pz!]!, vert.props[pz!]!.type) * unitMm;
    if (colors) for (let k = 0; k < 3; k++) colors[4 * i + k] = read(v, b + offs[pr + k]!, vert.props[pr + k]!.type);
    if (colors) colors[4 * i + 3] = 255;
  }
  return { points, ...(colors ? { colors } : {}), width: n, height: 1 };
}

/**
 * A depth camera in metres sees at most about 10 m (RealSense D4xx ≈ 10 m, Azure Kinect ≈ 5.5 m, PCL's scans a few
 * metres or less); a median depth (|z|, file units) above this is millimetres: a person 2 m away is 2000 in mm.
 */
export const METRE_MEDIAN_DEPTH_MAX = 20;

/**
 * Where metres are expected (`unitMm` 1000), refuses a cloud whose finite points' median depth |z| (in the file's
 * units) exceeds `METRE_MEDIAN_DEPTH_MAX`: it is in millimetres, and taking it as metres would put the scene
 * kilometres away. Other units pass unchecked. Returns the cloud.
 * @throws DepthFormatError "looks like millimetres (median depth N), expected metres"
 */
export function checkMetres(c: PointCloud, source: string, unitMm: number): PointCloud {
  if (unitMm !== 1000) return c;
  const z: number[] = [];
  for (let i = 2; i < c.points.length; i += 3) {
    const v = c.points[i]!;
    if (Number.isFinite(v) && v !== 0) z.push(Math.abs(v) / unitMm);
  }
  if (!z.length) return c;
  z.sort((a, b) => a - b);
  const median = z[z.length >> 1]!;
  if (median > METRE_MEDIAN_DEPTH_MAX)
    throw new DepthFormatError(
      source,
      `looks like millimetres (median depth ${median.toPrecision(4)}), expected metres (a depth camera in metres sees up to about 10; ` +
        `convert the cloud to metres, or read it with its unit in millimetres)`,
    );
  return c;
}

/**
 * Deprojects a depth frame to an organised point cloud (mm, camera frame),
 * pinhole model without distortion (rs2_deproject_pixel_to_point):
 * x = (u − cx)·z/fx, y = (v − cy)·z/fy, z = depth·depthScaleMm; depth 0 → NaN.
 */
export function deproject(f: DepthFrame): PointCloud {
  const { width: w, height: h, fx, fy, cx, cy, depthScaleMm } = f.intrinsics;
  if (f.depth.length !== w * h) throw new DepthFormatError('depth frame', `${f.depth.length} pixels for ${w}×${h} intrinsics`);
  const points = new Float32Array(3 * w * h);
  for (let v = 0; v < h; v++)
    for (let u = 0; u < w; u++) {
      const i = v * w + u;
      const d = f.depth[i]!;
      if (d === 0) {
        points[3 * i] = points[3 * i + 1] = points[3 * i + 2] = NaN;
        continue;
      }
      const z = d * depthScaleMm;
      points[3 * i] = ((u - cx) * z) / fx;
      points[3 * i + 1] = ((v - cy) * z) / fy;
      points[3 * i + 2] = z;
    }
  return { points, width: w, height: h, deviceTimeUs: f.deviceTimeUs, hostTimeUs: f.hostTimeUs, seq: f.seq };
}

/** Number of valid (finite) points. */
export function validPoints(c: PointCloud): number {
  let n = 0;
  for (let i = 0; i < c.points.length; i += 3) if (Number.isFinite(c.points[i + 2]!)) n++;
  return n;
}

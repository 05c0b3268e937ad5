import fs from 'node:fs';
import path from 'node:path';
import { PNG } from 'pngjs';
import { describe, expect, it } from 'vitest';
import { DATA } from '../../../tests/helpers/data.js';
import { tmpDir } from '../../../tests/helpers/tmp.js';
import { deproject, DepthFormatError, lzfDecompress, readPcd, readPly, validPoints } from './formats.js';
import { loadDepthFile } from './files.js';
import { D435_INTRINSICS, DEFAULT_DEPTH_NOISE, DepthSimulator, renderDepth, type SurfaceMesh } from './simulator.js';
import { backPhantomMesh, DepthFileSource, depthFrameFromIgtl, overheadPose, pointCloudFromIgtl, SimulatedDepthSource, type DepthSample } from './source.js';

const depthDir = DATA ? path.join(DATA, 'depth') : null;
if (!depthDir) console.warn('depth: shared data absent — the real PCD files are not read');

describe.skipIf(!depthDir)('real PCD files (PCL test data)', () => {
  it('five_people.pcd (binary_compressed, organised 640×480, x y z rgba) loads', () => {
    const c = loadDepthFile(path.join(depthDir!, 'five_people.pcd'));
    expect([c.width, c.height]).toEqual([640, 480]);
    expect(c.points.length).toBe(3 * 640 * 480);
    expect(validPoints(c)).toBe(239075);
    expect(c.colors).toHaveLength(4 * 640 * 480);
    // Kinect range: every valid point 1.7–9.8 m in front of the camera
    let zmin = Infinity;
    let zmax = 0;
    for (let i = 2; i < c.points.length; i += 3) {
      const z = c.points[i]!;
      if (Number.isFinite(z)) {
        zmin = Math.min(zmin, z);
        zmax = Math.max(zmax, z);
      }
    }
    expect(zmin).toBeGreaterThan(1700);
    expect(zmax).toBeLessThan(9800);
  });

  it('bun0.pcd (ascii v0.7) and bun4.pcd (ascii v0.5) load in millimetres', () => {
    const a = loadDepthFile(path.join(depthDir!, 'bun0.pcd'));
    const b = loadDepthFile(path.join(depthDir!, 'bun4.pcd'));
    expect(a.width * a.height).toBe(397);
    expect(b.width * b.height).toBe(361);
    expect(a.points[0]).toBeCloseTo(5.4215998, 4);
    expect(b.points[1]).toBeCloseTo(113.49, 3);
  });
});

describe('depth formats', () => {
  it('PCD binary and PLY (ascii, binary) read what was written; bad input names the file', () => {
    const pts = [0.1, -0.2, 1.5, 0.3, 0.4, 2.0];
    const head = (data: string): string =>
      `# .PCD v0.7\nVERSION 0.7\nFIELDS x y z\nSIZE 4 4 4\nTYPE F F F\nCOUNT 1 1 1\nWIDTH 2\nHEIGHT 1\nVIEWPOINT 0 0 0 1 0 0 0\nPOINTS 2\nDATA ${data}\n`;
    const bin = new Uint8Array([...new TextEncoder().encode(head('binary')), ...new Uint8Array(new Float32Array(pts).buffer)]);
    expect(Array.from(readPcd(bin).points)).toEqual(pts.map((p) => Math.fround(p) * 1000).map((x) => Math.fround(x)));
    const plyA = new TextEncoder().encode(
      'ply\nformat ascii 1.0\nelement vertex 2\nproperty float x\nproperty float y\nproperty float z\nend_header\n0.1 -0.2 1.5\n0.3 0.4 2\n',
    );
    expect(Array.from(readPly(plyA).points).map((x) => Math.round(x))).toEqual([100, -200, 1500, 300, 400, 2000]);
    const hdr = new TextEncoder().encode(
      'ply\nformat binary_little_endian 1.0\nelement vertex 2\nproperty float x\nproperty float y\nproperty float z\nproperty uchar red\nproperty uchar green\nproperty uchar blue\nend_header\n',
    );
    const body = new Uint8Array(2 * 15);
    const v = new DataView(body.buffer);
    for (let i = 0; i < 2; i++) {
      for (let k = 0; k < 3; k++) v.setFloat32(15 * i + 4 * k, pts[3 * i + k]!, true);
      body.set([10 * i, 20, 30], 15 * i + 12);
    }
    const ply = readPly(new Uint8Array([...hdr, ...body]), 'scan.ply');
    expect(Math.round(ply.points[5]!)).toBe(2000);
    expect(Array.from(ply.colors!.slice(4, 8))).toEqual([10, 20, 30, 255]);
    expect(() => readPcd(new TextEncoder().encode(head('binary')), 'cut.pcd')).toThrow(/cut\.pcd: PCD binary data truncated/);
    expect(() => readPly(new TextEncoder().encode('hello'), 'x.ply')).toThrow(DepthFormatError);
    expect(() => lzfDecompress(new Uint8Array([0x20, 0x05]), 10)).toThrow(/back-reference/);
  });

  it('LZF: literal runs and back-references', () => {
    // "abcabcabc": literal "abc" then a back-reference of 6 bytes at distance 3
    const out = lzfDecompress(new Uint8Array([2, 97, 98, 99, (4 << 5) | 0, 2]), 9);
    expect(new TextDecoder().decode(out)).toBe('abcabcabc');
  });

  it('a 16-bit depth PNG with its intrinsics deprojects to millimetres', () => {
    const t = tmpDir();
    const K = { width: 4, height: 2, fx: 2, fy: 2, cx: 1.5, cy: 0.5, depthScaleMm: 1 };
    const png = new PNG({ width: 4, height: 2, bitDepth: 16, colorType: 0, inputColorType: 0, inputHasAlpha: false });
    const depth = [1000, 1000, 0, 2000, 1000, 1000, 1000, 1000];
    // pngjs takes 16-bit grey input as native (little-endian) 16-bit values
    const buf = Buffer.alloc(16);
    depth.forEach((d, i) => buf.writeUInt16LE(d, 2 * i));
    png.data = buf;
    fs.writeFileSync(path.join(t.dir, 'd.png'), PNG.sync.write(png, { bitDepth: 16, colorType: 0, inputColorType: 0, inputHasAlpha: false }));
    fs.writeFileSync(path.join(t.dir, 'd.json'), JSON.stringify(K));
    const c = loadDepthFile(path.join(t.dir, 'd.png'));
    expect(validPoints(c)).toBe(7);
    expect(Number.isNaN(c.points[6])).toBe(true);
    // pixel (3,0): z 2000, x = (3 − 1.5)·2000/2 = 1500, y = (0 − 0.5)·2000/2 = −500
    expect([c.points[9], c.points[10], c.points[11]]).toEqual([1500, -500, 2000]);
    expect(() => loadDepthFile(path.join(t.dir, 'nothing.png'))).toThrow(/nothing\.png: file not found/);
    fs.rmSync(path.join(t.dir, 'd.json'));
    expect(() => loadDepthFile(path.join(t.dir, 'd.png'))).toThrow(/needs its intrinsics in d\.json/);
    t.cleanup();
  });
});

/** A w×h-mm plane at z = 0 (world), two triangles, and a sphere. */
function plane(w: number, h: number): SurfaceMesh {
  return { points: new Float32Array([-w / 2, -h / 2, 0, w / 2, -h / 2, 0, w / 2, h / 2, 0, -w / 2, h / 2, 0]), triangles: new Uint32Array([0, 1, 2, 0, 2, 3]) };
}
function sphere(r: number, n = 48): SurfaceMesh {
  const pts: number[] = [];
  const tris: number[] = [];
  for (let i = 0; i <= n; i++)
    for (let j = 0; j <= n; j++) {
      const th = (Math.PI * i) / n;
      const ph = (2 * Math.PI * j) / n;
      pts.push(r * Math.sin(th) * Math.cos(ph), r * Math.sin(th) * Math.sin(ph), r * Math.cos(th));
    }
  for (let i = 0; i < n; i++)
    for (let j = 0; j < n; j++) {
      const a = i * (n + 1) + j;
      tris.push(a, a + n + 1, a + 1, a + 1, a + n + 1, a + n + 2);
    }
  return { points: new Float32Array(pts), triangles: new Uint32Array(tris) };
}
/** Camera 1 m above the origin looking down −z (world): camera z = −world z. */
const camAbove = [1, 0, 0, 0, 0, -1, 0, 0, 0, 0, -1, 1000, 0, 0, 0, 1];

describe('depth camera simulator', () => {
  it('renders a plane at 1 m with the stereo noise model σ = z²·σd/(f·b)', () => {
    const z = renderDepth(plane(3000, 3000), camAbove, D435_INTRINSICS, { ...DEFAULT_DEPTH_NOISE, blobs: 0 }, 7);
    const vals = Array.from(z).filter((v) => v > 0);
    expect(vals.length).toBe(640 * 480);
    const mean = vals.reduce((s, v) => s + v, 0) / vals.length;
    const sd = Math.sqrt(vals.reduce((s, v) => s + (v - mean) ** 2, 0) / vals.length);
    const expected = (1000 * 1000 * 0.08) / (615 * 50);
    expect(mean).toBeCloseTo(1000, 0);
    expect(sd).toBeGreaterThan(expected * 0.95);
    expect(sd).toBeLessThan(expected * 1.05);
    const exact = renderDepth(plane(3000, 3000), camAbove, D435_INTRINSICS, { ...DEFAULT_DEPTH_NOISE, subpixelPx: 0, blobs: 0 });
    expect(exact[240 * 640 + 320]).toBeCloseTo(1000, 3);
  });

  it('a sphere: the visible cap at the right depth, no return at grazing angles, holes in blobs; deprojection puts it back', () => {
    const s = sphere(100);
    const exact = renderDepth(s, camAbove, D435_INTRINSICS, { ...DEFAULT_DEPTH_NOISE, subpixelPx: 0, blobs: 0 });
    // centre pixel: the top of the sphere at z = 1000 − 100 (faceted: within 0.5 mm)
    expect(Math.abs(exact[240 * 640 + 320]! - 900)).toBeLessThan(0.5);
    // the silhouette: apparent radius ≈ f·r/√(d² − r²) = 61.8 px, but grazing pixels (cos < 0.17) give no return
    let ring = 0;
    let rim = 0;
    for (let y = 0; y < 480; y++)
      for (let x = 0; x < 640; x++) {
        const rr = Math.hypot(x - 319.5, y - 239.5);
        if (rr < 50 && exact[y * 640 + x]! > 0) ring++;
        if (rr > 61 && exact[y * 640 + x]! > 0) rim++;
      }
    expect(ring).toBeGreaterThan(Math.PI * 50 * 50 * 0.97);
    expect(rim).toBe(0);
    const sim = new DepthSimulator(s, () => camAbove, { fps: 30 });
    const f = sim.frame(3);
    expect(f.deviceTimeUs).toBeCloseTo(100_000, 6);
    const cloud = deproject(f);
    let maxErr = 0;
    for (let i = 0; i < cloud.points.length; i += 3) {
      const z = cloud.points[i + 2]!;
      if (!Number.isFinite(z)) continue;
      // back to world: z_w = 1000 − z_c, y_w = −y_c
      maxErr = Math.max(maxErr, Math.abs(Math.hypot(cloud.points[i]!, -cloud.points[i + 1]!, 1000 - z) - 100));
    }
    expect(maxErr).toBeLessThan(15); // noise σ ≈ 2 mm at 0.9 m, rounded to mm, faceting
    expect(Array.from(sim.frame(3).depth)).toEqual(Array.from(f.depth)); // reproducible per frame
  });
});

describe('depth sources', () => {
  it('the simulator source renders the default back phantom from above: the midline groove 600 mm away, timestamps and seq', async () => {
    const mesh = backPhantomMesh();
    const src = new SimulatedDepthSource(mesh, overheadPose(mesh), { fps: 30, noise: { ...DEFAULT_DEPTH_NOISE, subpixelPx: 0, blobs: 0 } });
    const got: DepthSample[] = [];
    src.start((s) => got.push(s));
    await new Promise((r) => setTimeout(r, 150));
    src.stop();
    expect(got.length).toBeGreaterThanOrEqual(3);
    const f = got.map((s) => (s.kind === 'depth' ? s.frame : null))[1]!;
    expect(f.seq).toBe(1);
    expect(f.deviceTimeUs).toBeCloseTo(1e6 / 30, 6);
    expect(f.hostTimeUs).toBeGreaterThan(got[0]!.kind === 'depth' ? got[0]!.frame.hostTimeUs : Infinity);
    // the camera is 600 mm above the highest point of the back; the midline (y = 110 − 6 mm groove) lies deeper
    const crest = Math.max(...Array.from(mesh.points).filter((_, i) => i % 3 === 1));
    expect(crest).toBeGreaterThan(108);
    const centre = f.depth[240 * 640 + 320]!;
    expect(Math.abs(centre - (crest + 600 - 104))).toBeLessThanOrEqual(1);
    // 50 mm to the side (≈ 51 px at 606 mm) the back is off the groove and curves away: deeper than the crest
    const side = f.depth[240 * 640 + 320 + 51]!;
    expect(side).toBeGreaterThan(600);
    expect(side).toBeLessThan(centre + 10);
    expect(deproject(f).points.length).toBe(640 * 480 * 3);
  });

  it('OpenIGTLink uint16 IMAGE → depth frame (either byte order), POLYDATA → point cloud', () => {
    const t = { deviceTimeUs: 5, hostTimeUs: 6, seq: 7 };
    const px = new Uint8Array(2 * 6);
    const dv = new DataView(px.buffer);
    [0, 500, 501, 502, 65535, 1000].forEach((d, i) => dv.setUint16(2 * i, d, false));
    const image = {
      type: 'IMAGE' as const,
      numComponents: 1,
      scalarType: 5,
      endian: 1 as const,
      coordinate: 2 as const,
      size: [3, 2, 1] as [number, number, number],
      matrix: [1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0],
      subvolumeOffset: [0, 0, 0] as [number, number, number],
      subvolumeSize: [3, 2, 1] as [number, number, number],
      pixels: px,
    };
    const f = depthFrameFromIgtl(image, { fx: '615', fy: '616', depthScaleMm: '0.25' }, t)!;
    expect(Array.from(f.depth)).toEqual([0, 500, 501, 502, 65535, 1000]);
    expect(f.intrinsics).toEqual({ width: 3, height: 2, fx: 615, fy: 616, cx: 1, cy: 0.5, depthScaleMm: 0.25 });
    expect(f.seq).toBe(7);
    expect(depthFrameFromIgtl({ ...image, scalarType: 3 }, {}, t)).toBeNull();
    const cells = { count: 0, data: new Uint32Array(0) };
    const pd = {
      type: 'POLYDATA' as const,
      points: Float32Array.of(1, 2, 3, 4, 5, 6),
      vertices: cells,
      lines: cells,
      polygons: cells,
      triangleStrips: cells,
      attributes: [],
    };
    expect(pointCloudFromIgtl(pd, t)).toEqual({ kind: 'points', cloud: { points: Float32Array.of(1, 2, 3, 4, 5, 6), width: 2, height: 1, ...t } });
  });

  it('a missing or malformed depth file is refused with its name', () => {
    expect(() => new DepthFileSource('/nonexistent/scan.pcd')).toThrow(/scan.pcd: file not found/);
  });
});

describe.skipIf(!depthDir)('depth file source (real PCD)', () => {
  it('five_people.pcd is emitted again and again at the requested rate', async () => {
    const src = new DepthFileSource(path.join(depthDir!, 'five_people.pcd'), 20);
    const got: DepthSample[] = [];
    src.start((s) => got.push(s));
    await new Promise((r) => setTimeout(r, 180));
    src.stop();
    expect(got.length).toBeGreaterThanOrEqual(3);
    const clouds = got.map((s) => (s.kind === 'points' ? s.cloud : null));
    expect(clouds.map((c) => c!.seq).slice(0, 3)).toEqual([0, 1, 2]);
    expect(clouds[2]!.deviceTimeUs).toBe(100_000);
    expect([clouds[0]!.width, clouds[0]!.height]).toEqual([640, 480]);
    expect(validPoints(clouds[0]!)).toBe(239075);
  });
});

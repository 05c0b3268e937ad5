/**
 * A depth cloud in millimetres where metres are expected is refused, naming
 * the file and its median depth (issue 24 §5). Real clouds from the shared
 * data (PCL's five_people.pcd from a Kinect, binary_compressed; the Stanford
 * bunny scan bun0.pcd, ascii) are read, scaled ×1000 and written back as
 * ascii PCD and as PLY: the metre originals load, the millimetre copies are
 * refused with the median depth in the message (that of the originals
 * ×1000), and read with their unit (unitMm 1) they equal the originals.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { loadDepthFile } from './files.js';
import { readPcd, readPly } from './formats.js';
import { dataPath, describeData } from '../../../tests/helpers/data.js';
import { tmpDir } from '../../../tests/helpers/tmp.js';

const tmp = tmpDir('depth-units-');
afterAll(() => tmp.cleanup());

function finite(points: Float32Array): number[] {
  const out: number[] = [];
  for (let i = 0; i < points.length; i += 3) if (Number.isFinite(points[i + 2]!) && points[i + 2] !== 0) out.push(points[i]!, points[i + 1]!, points[i + 2]!);
  return out;
}
const medianAbsZ = (xyz: number[]): number => {
  const z = xyz.filter((_, i) => i % 3 === 2).map(Math.abs);
  z.sort((a, b) => a - b);
  return z[z.length >> 1]!;
};

describeData('depth clouds in millimetres where metres are expected', () => {
  for (const name of ['five_people.pcd', 'bun0.pcd']) {
    it(`${name}: the metre original loads; ×1000 as PCD and PLY is refused, naming the file and the median depth`, () => {
      const file = dataPath(`depth/${name}`);
      const metres = finite(readPcd(new Uint8Array(fs.readFileSync(file)), name, 1).points); // file units
      expect(loadDepthFile(file).points.length).toBeGreaterThan(0);
      const mm = metres.map((x) => x * 1000);
      const med = medianAbsZ(mm);
      const n = mm.length / 3;
      const rows: string[] = [];
      for (let i = 0; i < n; i++) rows.push(`${mm[3 * i]} ${mm[3 * i + 1]} ${mm[3 * i + 2]}`);
      const pcd = path.join(tmp.dir, name.replace('.pcd', '_mm.pcd'));
      fs.writeFileSync(
        pcd,
        `# .PCD v0.7\nVERSION 0.7\nFIELDS x y z\nSIZE 4 4 4\nTYPE F F F\nCOUNT 1 1 1\nWIDTH ${n}\nHEIGHT 1\nVIEWPOINT 0 0 0 1 0 0 0\nPOINTS ${n}\nDATA ascii\n${rows.join('\n')}\n`,
      );
      const ply = path.join(tmp.dir, name.replace('.pcd', '_mm.ply'));
      fs.writeFileSync(
        ply,
        `ply\nformat ascii 1.0\nelement vertex ${n}\nproperty float x\nproperty float y\nproperty float z\nend_header\n${rows.join('\n')}\n`,
      );
      for (const f of [pcd, ply]) {
        let msg = '';
        try {
          loadDepthFile(f);
        } catch (e) {
          msg = (e as Error).message;
        }
        console.log(`[depth units] ${path.basename(f)}: ${msg}`);
        expect(msg).toContain(path.basename(f));
        expect(msg).toMatch(/looks like millimetres \(median depth ([\d.e+]+)\), expected metres/);
        const said = Number(/median depth ([\d.e+]+)/.exec(msg)![1]);
        expect(Math.abs(said - med) / med).toBeLessThan(1e-3);
        // read with its unit, the copy is the original (mm)
        const back = /\.pcd$/.test(f) ? readPcd(new Uint8Array(fs.readFileSync(f)), f, 1) : readPly(new Uint8Array(fs.readFileSync(f)), f, 1);
        const orig = loadDepthFile(file).points;
        const o = finite(orig);
        const b = finite(back.points);
        expect(b.length).toBe(o.length);
        expect(Math.max(...b.slice(0, 3000).map((x, i) => Math.abs(x - o[i]!)))).toBeLessThan(1e-3 * Math.max(1, med));
      }
    });
  }
});

import { describe, expect, it } from 'vitest';
import { decodeNrrd, encodeNrrd } from './nrrd.js';
import { decodeVtp, encodeStl, encodeVtp } from './mesh.js';
import { indexToLps } from '../engine/volume.js';
import type { TriangleMesh } from '../engine/surface.js';

// a unit right tetrahedron, outward-oriented
const TET: TriangleMesh = {
  points: new Float32Array([0, 0, 0, 10, 0, 0, 0, 10, 0, 0, 0, 10]),
  triangles: new Uint32Array([0, 2, 1, 0, 1, 3, 0, 3, 2, 1, 2, 3]),
};

describe('store codecs', () => {
  it('NRRD keeps voxels and the oblique LPS geometry (raw and gzip)', () => {
    const c = Math.cos(0.3),
      s = Math.sin(0.3);
    const v = {
      dims: [3, 4, 5] as [number, number, number],
      spacingMm: [0.5, 0.7, 2] as [number, number, number],
      originLps: [-10.25, 3.5, 99] as [number, number, number],
      direction: [c, -s, 0, s, c, 0, 0, 0, 1] as [number, number, number, number, number, number, number, number, number],
      data: Int16Array.from({ length: 60 }, (_, i) => i * 37 - 1000),
    };
    for (const gzip of [false, true]) {
      const back = decodeNrrd(encodeNrrd(v, { gzip }), 'test');
      expect(Array.from(back.data)).toEqual(Array.from(v.data));
      expect(back.dims).toEqual(v.dims);
      for (const ijk of [
        [0, 0, 0],
        [2, 3, 4],
        [1, 0, 2],
      ]) {
        const a = indexToLps(v, ijk),
          b = indexToLps(back, ijk);
        for (let q = 0; q < 3; q++) expect(b[q]).toBeCloseTo(a[q]!, 9);
      }
    }
  });

  it('a truncated NRRD is refused with its name', () => {
    const v = {
      dims: [4, 4, 4] as [number, number, number],
      spacingMm: [1, 1, 1] as [number, number, number],
      originLps: [0, 0, 0] as [number, number, number],
      direction: [1, 0, 0, 0, 1, 0, 0, 0, 1] as [number, number, number, number, number, number, number, number, number],
      data: new Uint8Array(64),
    };
    const buf = encodeNrrd(v, { gzip: false });
    expect(() => decodeNrrd(buf.subarray(0, buf.length - 10), 'cut.nrrd')).toThrow(/cut\.nrrd: 64 voxel bytes expected, 54 present/);
  });

  it('VTP round-trips points and triangles', () => {
    const back = decodeVtp(encodeVtp(TET));
    expect(Array.from(back.points)).toEqual(Array.from(TET.points));
    expect(Array.from(back.triangles)).toEqual(Array.from(TET.triangles));
  });

  it('binary STL: 84-byte header, 50 bytes per facet, outward unit normals', () => {
    const stl = encodeStl(TET);
    expect(stl.length).toBe(84 + 50 * 4);
    expect(stl.readUInt32LE(80)).toBe(4);
    // facet 0 (0,2,1) lies in z = 0 and faces −z
    expect([stl.readFloatLE(84), stl.readFloatLE(88), stl.readFloatLE(92)]).toEqual([0, 0, -1]);
    // facet 3 (1,2,3) faces (1,1,1)/√3
    const o = 84 + 3 * 50;
    for (let q = 0; q < 3; q++) expect(stl.readFloatLE(o + 4 * q)).toBeCloseTo(1 / Math.sqrt(3), 6);
  });
});

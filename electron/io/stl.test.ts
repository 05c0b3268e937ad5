/**
 * STL reading and writing (binary and ASCII): a hand-written ASCII file (the
 * format as 3D Systems' specification spells it) read to its known values,
 * binary ↔ ASCII round trips giving the same Float32 coordinates, exact
 * welding into an indexed mesh, and errors naming the file and the reason.
 */
import { describe, expect, it } from 'vitest';
import { decodeStl, encodeStl, encodeStlAscii } from './mesh.js';
import type { TriangleMesh } from '../engine/surface.js';

// a right tetrahedron with legs 10 mm, outward-oriented, as an ASCII STL written by hand
const TET_ASCII = `solid tet
  facet normal 0 0 -1
    outer loop
      vertex 0 0 0
      vertex 0 10 0
      vertex 10 0 0
    endloop
  endfacet
  facet normal 0 -1 0
    outer loop
      vertex 0 0 0
      vertex 10 0 0
      vertex 0 0 10
    endloop
  endfacet
  FACET NORMAL -1 0 0
    OUTER LOOP
      VERTEX 0.0 0.0 0.0
      VERTEX 0.0 0.0 1.0e+01
      VERTEX 0.0 10.0 0.0
    ENDLOOP
  ENDFACET
  facet normal 0.577 0.577 0.577
    outer loop
      vertex 10 0 0
      vertex 0 10 0
      vertex 0 0 10
    endloop
  endfacet
endsolid tet
`;

describe('STL', () => {
  it('reads an ASCII STL into an indexed mesh: 4 vertices welded from 12 corners, the winding kept', () => {
    const m = decodeStl(Buffer.from(TET_ASCII), 'tet.stl');
    expect(Array.from(m.points)).toEqual([0, 0, 0, 0, 10, 0, 10, 0, 0, 0, 0, 10]);
    expect(Array.from(m.triangles)).toEqual([0, 1, 2, 0, 2, 3, 0, 3, 1, 2, 1, 3]);
  });

  it('binary and ASCII round trips give the same Float32 coordinates and triangles', () => {
    // coordinates that need all of Float32's digits
    const m: TriangleMesh = {
      points: Float32Array.from([0.1, -123.456789, 987.654321, 10.000001, 1e-7, -0.3, 3.3333333, 7.7777777, -99.999999, -5.5, 2.25, 1234.5678]),
      // vertices in order of first use: decoding numbers them so
      triangles: new Uint32Array([0, 1, 2, 0, 3, 1, 0, 2, 3, 1, 3, 2]),
    };
    const bin = decodeStl(encodeStl(m), 'm.stl');
    const asc = decodeStl(encodeStlAscii(m, 'my part'), 'm.stl');
    for (const back of [bin, asc]) {
      expect(Array.from(back.points)).toEqual(Array.from(m.points));
      expect(Array.from(back.triangles)).toEqual(Array.from(m.triangles));
    }
    const text = encodeStlAscii(m, 'my part').toString('latin1');
    expect(text.startsWith('solid my_part\n  facet normal ')).toBe(true);
    expect(text.trimEnd().endsWith('endsolid my_part')).toBe(true);
    expect(text.match(/^\s*facet normal/gm)!.length).toBe(4);
  });

  it('reads a binary STL whose header starts with "solid" as binary (its size says so)', () => {
    const b = encodeStl(decodeStl(Buffer.from(TET_ASCII)), 'solid made by a CAD program');
    expect(b.subarray(0, 5).toString('latin1')).toBe('solid');
    expect(decodeStl(b, 'cad.stl').triangles.length).toBe(12);
  });

  it('refuses bad files naming the file and the reason', () => {
    const bin = encodeStl(decodeStl(Buffer.from(TET_ASCII)), 'OrthoTwin');
    expect(() => decodeStl(bin.subarray(0, bin.length - 7), 'cut.stl')).toThrow(
      /^cut\.stl: not an ASCII STL .* 4 triangles declared but 277 bytes \(expected 284; the file is truncated\)$/,
    );
    const padded = Buffer.concat([bin, Buffer.alloc(50)]);
    expect(() => decodeStl(padded, 'pad.stl')).toThrow(/pad\.stl: .*4 triangles declared but 334 bytes \(expected 284\)/);
    expect(() => decodeStl(Buffer.alloc(20), 'tiny.stl')).toThrow(/tiny\.stl: too short for a binary STL \(20 bytes\)/);
    expect(() => decodeStl(Buffer.from(TET_ASCII.replace('endloop', 'endlop')), 'kw.stl')).toThrow(
      /kw\.stl: .*line 7: expected "endloop" \(a facet has three vertices\), found "endlop"/,
    );
    expect(() => decodeStl(Buffer.from(TET_ASCII.replace('vertex 0 10 0', 'vertex 0 ten 0')), 'num.stl')).toThrow(
      /num\.stl: .*line 5: expected three numbers, found "vertex 0 ten 0"/,
    );
    expect(() => decodeStl(Buffer.from(TET_ASCII.replace('endsolid tet\n', '')), 'end.stl')).toThrow(
      /end\.stl: .*the file ends \(line \d+\) where "facet normal" or "endsolid" was expected/,
    );
    expect(() => decodeStl(Buffer.from('solid empty\nendsolid empty\n'), 'empty.stl')).toThrow(/empty\.stl: an ASCII STL without any facet/);
  });
});

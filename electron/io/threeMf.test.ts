/**
 * 3MF writing (3MF Core Specification 1.3): the package's parts and the model
 * XML as the specification spells them, a round trip through the reader,
 * Float32 coordinates kept exactly, and errors naming the object. (The
 * independent reader, lib3mf, is in tests/integration/print3d.test.ts.)
 */
import { describe, expect, it } from 'vitest';
import { strFromU8, unzipSync } from 'fflate';
import { CORE_NS, decode3mf, encode3mf, type ThreeMfModel } from './threeMf.js';

const TET = {
  points: Float32Array.from([0.1, -123.456789, 987.654321, 10, 0, 0, 0, 10, 0, 0, 0, 10]),
  triangles: new Uint32Array([0, 2, 1, 0, 1, 3, 0, 3, 2, 1, 2, 3]),
};

const MODEL: ThreeMfModel = {
  objects: [
    { name: 'Bone', mesh: TET, material: 'bone' },
    { name: 'Skin & shell', mesh: TET, material: 'skin' },
    { name: 'Screw L4 left', mesh: TET, material: 'bone', partNumber: 'S-6.5x45' },
  ],
  materials: {
    bone: { name: 'Bone', displayColor: '#e3dac9' },
    skin: { name: 'Skin', displayColor: '#F1C27D80' },
    unused: { name: 'x', displayColor: '#000000' },
  },
  metadata: { Title: 'Twin <1>', Application: 'OrthoTwin' },
};

describe('3MF', () => {
  it('writes the OPC parts and a core model in millimetres with base materials, named objects and build items', () => {
    const files = unzipSync(encode3mf(MODEL));
    expect(Object.keys(files).sort()).toEqual(['3D/3dmodel.model', '[Content_Types].xml', '_rels/.rels']);
    expect(strFromU8(files['[Content_Types].xml']!)).toContain('Extension="model" ContentType="application/vnd.ms-package.3dmanufacturing-3dmodel+xml"');
    expect(strFromU8(files['_rels/.rels']!)).toContain(
      '<Relationship Target="/3D/3dmodel.model" Id="rel0" Type="http://schemas.microsoft.com/3dmanufacturing/2013/01/3dmodel"/>',
    );
    const xml = strFromU8(files['3D/3dmodel.model']!);
    expect(xml).toContain(`<model unit="millimeter" xml:lang="en-US" xmlns="${CORE_NS}">`);
    expect(xml).toContain('<metadata name="Title">Twin &lt;1&gt;</metadata>');
    // only the materials in use, in first-use order, colours as #RRGGBBAA
    expect(xml).toContain(
      '<basematerials id="1">\n<base name="Bone" displaycolor="#E3DAC9FF"/>\n<base name="Skin" displaycolor="#F1C27D80"/>\n</basematerials>',
    );
    expect(xml).toContain('<object id="3" type="model" name="Skin &amp; shell" pid="1" pindex="1">');
    expect(xml).toContain('<object id="4" type="model" name="Screw L4 left" partnumber="S-6.5x45" pid="1" pindex="0">');
    expect(xml).toContain('<vertex x="0.1" y="-123.45679" z="987.6543"/>');
    expect(xml).toContain('<triangle v1="0" v2="2" v3="1"/>');
    expect(xml).toContain('<build>\n<item objectid="2"/>\n<item objectid="3"/>\n<item objectid="4"/>\n</build>');
  });

  it('reads back what it wrote: Float32 coordinates exactly, triangles, names, materials, metadata', () => {
    const r = decode3mf(encode3mf(MODEL), 'm.3mf');
    expect(r).toMatchObject({ unit: 'millimeter', lang: 'en-US', metadata: { Title: 'Twin <1>', Application: 'OrthoTwin' }, build: [2, 3, 4] });
    expect(r.objects.map((o) => [o.id, o.name, o.material?.name, o.material?.displayColor, o.partNumber])).toEqual([
      [2, 'Bone', 'Bone', '#E3DAC9FF', null],
      [3, 'Skin & shell', 'Skin', '#F1C27D80', null],
      [4, 'Screw L4 left', 'Bone', '#E3DAC9FF', 'S-6.5x45'],
    ]);
    for (const o of r.objects) {
      expect(Array.from(o.mesh.points)).toEqual(Array.from(TET.points));
      expect(Array.from(o.mesh.triangles)).toEqual(Array.from(TET.triangles));
    }
  });

  it('refuses bad input naming the object, material or file', () => {
    expect(() => encode3mf({ ...MODEL, objects: [{ name: 'Disc', mesh: TET, material: 'disc' }] })).toThrow(
      /object Disc uses the material "disc", which is not defined/,
    );
    expect(() => encode3mf({ ...MODEL, materials: { ...MODEL.materials, bone: { name: 'Bone', displayColor: 'ivory' } } })).toThrow(
      /material Bone has the colour "ivory"; expected #RRGGBB or #RRGGBBAA/,
    );
    const bad = { points: TET.points, triangles: Uint32Array.from([0, 1, 1]) };
    expect(() => encode3mf({ ...MODEL, objects: [{ name: 'Bone', mesh: bad, material: 'bone' }] })).toThrow(
      /object Bone: triangle 0 \(0, 1, 1\) has a vertex out of range or repeated/,
    );
    expect(() => encode3mf({ ...MODEL, objects: [] })).toThrow(/no object/);
    expect(() => decode3mf(Buffer.from('not a zip'), 'x.3mf')).toThrow(/^x\.3mf: not a 3MF package \(not a readable zip/);
  });
});

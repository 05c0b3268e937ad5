import { describe, expect, it } from 'vitest';
import { parsePlusConfig, plusTransform, PlusConfigError, readPlusConfig } from './plusConfig.js';
import { mul4 } from '../../math/rigid.js';

const XML = `<PlusConfiguration version="2.1">
  <CoordinateDefinitions>
    <Transform From="Image" To="TransducerOriginPixel" Matrix="1 0 0 -410  0 1 0 5  0 0 1 0  0 0 0 1" Date="2011.12.06"/>
    <Transform From="TransducerOriginPixel" To="TransducerOrigin" Matrix="0.08 0 0 0  0 0.07 0 0  0 0 0.075 0  0 0 0 1"/>
    <Transform From="Probe" To="TransducerOrigin" Matrix="0 -1 0 10  1 0 0 -3  0 0 1 2  0 0 0 1" Error="0.5"/>
  </CoordinateDefinitions>
  <VolumeReconstruction OutputSpacing="0.5 0.5 0.5" ClipRectangleOrigin="0 0" ClipRectangleSize="820 616"
    Interpolation="LINEAR" CompoundingMode="MEAN" FillHoles="ON">
    <HoleFilling><HoleFillingElement Type="STICK" StickLengthLimit="7" NumberOfSticksToUse="2"/></HoleFilling>
  </VolumeReconstruction>
  <Segmentation ApproximateSpacingMmPerPixel="0.078" ClipRectangleOrigin="27 27"/>
  <PhantomDefinition><Geometry>
    <Pattern Type="NWire">
      <Wire Name="7:G1_g1" EndPointFront="30.0 0.0 20.0" EndPointBack="30.0 40.0 20.0" />
      <Wire Name="8:L1_h1" EndPointFront="55.0 0.0 20.0" EndPointBack="35.0 40.0 20.0" />
      <Wire Name="9:M1_m1" EndPointFront="60.0 0.0 20.0" EndPointBack="60.0 40.0 20.0" />
    </Pattern>
  </Geometry></PhantomDefinition>
</PlusConfiguration>`;

describe('PLUS configuration', () => {
  it('reads transforms, reconstruction settings, N-wires and segmentation attributes', () => {
    const c = parsePlusConfig(XML, 'test.xml');
    expect(c.transforms.map((t) => `${t.from}To${t.to}`)).toEqual([
      'ImageToTransducerOriginPixel',
      'TransducerOriginPixelToTransducerOrigin',
      'ProbeToTransducerOrigin',
    ]);
    expect(c.transforms[2]!.error).toBe(0.5);
    expect(c.transforms[0]!.matrix[3]).toBe(-410);
    expect(c.reconstruction).toEqual({
      outputSpacingMm: [0.5, 0.5, 0.5],
      clipOrigin: [0, 0],
      clipSize: [820, 616],
      interpolation: 'linear',
      compounding: 'mean',
      fillHoles: true,
      stickLengthLimit: 7,
      numberOfSticks: 2,
    });
    expect(c.nWirePatterns.length).toBe(1);
    expect(c.nWirePatterns[0]![1]).toEqual({ name: '8:L1_h1', front: [55, 0, 20], back: [35, 40, 20] });
    expect(c.segmentation['ApproximateSpacingMmPerPixel']).toBe('0.078');
  });

  it('chains coordinate definitions, inverting where needed (Image → Probe through TransducerOrigin)', () => {
    const c = parsePlusConfig(XML);
    const m = plusTransform(c, 'Image', 'Probe')!;
    // pixel (410, −5) is the transducer origin → Probe = (ProbeToTransducerOrigin)⁻¹ · 0
    const p = mul4(m, [410, 0, 0, 0, -5, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0]);
    // column 0 of the product is the mapped point
    expect([p[0], p[4], p[8]].map((v) => Number(v!.toFixed(9)))).toEqual([3, 10, -2]);
    // one pixel along x is 0.08 mm along TransducerOrigin x = −Probe y … mapped by the inverse rotation
    expect(Math.hypot(m[0]!, m[4]!, m[8]!)).toBeCloseTo(0.08, 12);
    expect(Math.hypot(m[1]!, m[5]!, m[9]!)).toBeCloseTo(0.07, 12);
    expect(plusTransform(c, 'Image', 'Tracker')).toBeNull();
  });

  it('names the file and the reason for bad input', () => {
    expect(() => parsePlusConfig('<Other/>', 'x.xml')).toThrow(/x\.xml: no <PlusConfiguration>/);
    expect(() =>
      parsePlusConfig(
        '<PlusConfiguration><CoordinateDefinitions><Transform From="A" To="B" Matrix="1 2 3"/></CoordinateDefinitions></PlusConfiguration>',
        'y.xml',
      ),
    ).toThrow(PlusConfigError);
    expect(() =>
      parsePlusConfig(
        '<PlusConfiguration><PhantomDefinition><Geometry><Pattern Type="NWire"><Wire Name="a" EndPointFront="0 0 0" EndPointBack="0 1 0"/></Pattern></Geometry></PhantomDefinition></PlusConfiguration>',
        'z.xml',
      ),
    ).toThrow(/z\.xml: N-wire pattern 0 has 1 wires/);
  });

  it('a file that is not XML (a binary sequence) is named with the reason in one sentence, the words of the parser only as the detail line', () => {
    const binary = 'ObjectType = Image\nElementDataFile = LOCAL\n' + String.fromCharCode(...Array.from({ length: 4000 }, (_, i) => (i * 37) % 256));
    let err: unknown;
    try {
      parsePlusConfig(binary, '/data/us/SpinePhantomFreehand.igs.mha');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(PlusConfigError);
    const [sentence, ...rest] = (err as Error).message.split('\n');
    expect(sentence).toBe(
      '/data/us/SpinePhantomFreehand.igs.mha: not a PLUS device-set configuration: it is not XML (a PLUS configuration is an XML file such as PlusDeviceSet_*.xml).',
    );
    expect(rest).toHaveLength(1);
    expect(rest[0]).toMatch(/^XML parser: ./);
    expect((err as PlusConfigError).detail).toBe(rest[0]);
  });

  it('a file that cannot be read says why in words, the errno only as the detail line', () => {
    expect(() => readPlusConfig('/nonexistent/PlusDeviceSet_x.xml')).toThrow(
      "/nonexistent/PlusDeviceSet_x.xml: cannot be read: the file does not exist.\nENOENT: no such file or directory, open '/nonexistent/PlusDeviceSet_x.xml'",
    );
  });
});

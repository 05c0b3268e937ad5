/**
 * The fusion loop's scheduling and bookkeeping without a page: frames fused
 * in the message's own call (so a stream's acknowledgement follows the
 * drawing), waiting for a tracker sample still on its way, latest wins,
 * freeze, untracked frames, NCC, latency stamps and the status snapshot. The
 * drawing surfaces (canvases, vtk.js views) are fakes.
 */
import { describe, expect, it, vi } from 'vitest';
import type { StreamHeader } from '../../../../electron/contract/devices.js';
import { hostClockUs } from '../../../../native-bridges/core/clock.js';
import { boxResample, type ImagePlane } from '../fusionMath.js';
import { FusionLoop, toolTracker, type FusionSettings, type FusionSurfaces } from './fusionLoop.js';

/** A 16 × 12 frame: a gradient along the rows and down the columns. */
const frame = (w: number, h: number): Uint8Array => Uint8Array.from({ length: w * h }, (_, k) => 10 * (k % w) + 3 * Math.floor(k / w));

/** Surfaces without a page: the reslice's grey levels are the frame's gradient on an 8 × 6 grid (NCC 1 with the frame). */
function fakeSurfaces(): FusionSurfaces & { planes: ImagePlane[]; updates3d: number } {
  const planes: ImagePlane[] = [];
  const reslicer = {
    backend: 'cpu' as const,
    show: (p: ImagePlane) => void planes.push(p),
    readBack: () => ({ grey: Uint8Array.from(boxResample(frame(16, 12), 16, 12, 8, 6), Math.round), width: 8, height: 6 }),
  };
  const s = {
    planes,
    updates3d: 0,
    drawUltrasound: () => ({ dw: 16, dh: 12 }),
    reslicer: () => reslicer,
    drawOverlay: () => undefined,
    has3d: () => true,
    update3d: () => (s.updates3d++, 1),
    nextFrame: (cb: () => void) => void setTimeout(cb, 0),
  };
  return s;
}

const CAL = [0.5, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1];
const at = (x: number): number[] => [1, 0, 0, x, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1];
const pose = (tUs: number, ok = true): { header: StreamHeader; payload: Uint8Array } => ({
  header: {
    device: 'trk',
    stream: 'pose',
    seq: tUs,
    deviceTimeUs: tUs,
    hostTimeUs: hostClockUs(),
    dropped: 0,
    poses: [{ name: 'Probe', matrix: ok ? at(tUs / 1000) : null, state: ok ? 'ok' : 'missing' }],
  },
  payload: new Uint8Array(0),
});
const image = (seq: number, tUs: number): { header: StreamHeader; payload: Uint8Array } => ({
  header: { device: 'us', stream: 'image', seq, deviceTimeUs: tUs, hostTimeUs: hostClockUs(), dropped: 2, width: 16, height: 12, scalar: 'uint8' },
  payload: frame(16, 12),
});

const SETTINGS: FusionSettings = {
  opacity: 0.5,
  colourMap: 'hot',
  edgesOnly: false,
  probeTool: 'Probe',
  referenceTool: '',
  usDevice: 'us',
  frozen: false,
  patientFrame: { kind: 'tracker' },
  registration: null,
  imageToProbe: CAL,
};

function startLoop(): { loop: FusionLoop; aspects: number[]; surfaces: ReturnType<typeof fakeSurfaces> } {
  const aspects: number[] = [];
  const surfaces = fakeSurfaces();
  const loop = new FusionLoop(surfaces, { onAspect: (a) => aspects.push(a), onStats: () => undefined });
  loop.configure(SETTINGS);
  loop.start();
  return { loop, aspects, surfaces };
}

describe('FusionLoop', () => {
  it('with a model chosen fuses only its frames (raw ones go to the split view); an SR ×2 frame is placed through binning 0.5', () => {
    const { loop } = startLoop();
    loop.configure({ ...SETTINGS, enhance: 'sr2' });
    loop.ingest(pose(0));
    loop.ingest(pose(10_000));
    // the raw frame is not fused
    loop.ingest(image(1, 5_000));
    expect(loop.metrics.received).toBe(0);
    // the model's output: 32 × 24 upsampled pixels at binning 0.5, same acquisition time
    const up = image(1, 5_000);
    const enhancement = { model: 'sr2', applied: true, version: '1.0.0', validation: 'phantom only', ms: 12 };
    loop.ingest({
      header: { ...up.header, width: 32, height: 24, binning: 0.5, enhancement },
      payload: Uint8Array.from({ length: 32 * 24 }, (_, k) => frame(16, 12)[Math.floor(Math.floor(k / 32) / 2) * 16 + Math.floor((k % 32) / 2)]!),
    });
    expect(loop.metrics.received).toBe(1);
    expect(loop.metrics.shown).toBe(1);
    // ImageToProbe · binningMatrix(0.5): half the calibration's pixel spacing, the same 8 × 12 mm rectangle
    expect(loop.plane!.spacingMm).toEqual([0.25, 0.5]);
    // upsampled pixel (0, 0) sits at source pixel (−0.25, −0.25): x = 5 mm (probe) + 0.5 × −0.25
    expect(loop.imageToVolume![3]).toBeCloseTo(5 - 0.125, 9);
    expect(loop.stats().enhancement).toEqual(enhancement);
    // another model's frames (a switch still in flight) are not fused either
    loop.ingest({ header: { ...up.header, seq: 2, enhancement: { model: 'denoise', applied: true } }, payload: up.payload });
    expect(loop.metrics.received).toBe(1);
    // enhancement off: the raw frames again, no label
    loop.configure(SETTINGS);
    loop.ingest(image(3, 6_000));
    expect(loop.metrics.received).toBe(2);
    expect(loop.stats().enhancement).toBeNull();
    loop.stop();
  });

  it('fuses a frame in the message that brought it: placed, resliced, NCC and latency kept', async () => {
    // the 3D view is updated when 500 ms passed since its last update (performance.now(), from 0 in a fresh worker)
    while (performance.now() < 600) await new Promise((r) => setTimeout(r, 50));
    const { loop, aspects, surfaces } = startLoop();
    loop.ingest(pose(0));
    loop.ingest(pose(10_000));
    loop.ingest(image(1, 5_000));
    // within the call: the stream's acknowledgement (after the listener returns) follows the drawing
    const M = loop.metrics;
    expect(M.received).toBe(1);
    expect(M.shown).toBe(1);
    expect(M.lastSeq).toBe(1);
    expect(M.upstreamDropped).toBe(2);
    expect(surfaces.planes).toHaveLength(1);
    // ImageToVolume = ProbeToTracker(5 ms: x = 5 mm, interpolated) · ImageToProbe
    expect(loop.imageToVolume![3]).toBeCloseTo(5, 6);
    expect(loop.plane!.spacingMm).toEqual([0.5, 1]);
    // the views follow the image rectangle's aspect (12 mm high, 8 mm wide)
    expect(aspects).toEqual([1.5]);
    expect(M.ncc).toHaveLength(1);
    expect(M.ncc[0]!.ncc).toBeGreaterThan(0.99);
    expect(M.ncc[0]!.pixels).toBe(48);
    expect(M.stages).toHaveLength(1);
    expect(M.transport).toHaveLength(1);
    expect(loop.cine.length).toBe(1);
    // the latency at the display's next frame; the 3D view in a task of its own after it
    expect(M.latenciesMs).toHaveLength(0);
    await vi.waitFor(() => expect(M.view3dMs).toHaveLength(1));
    expect(M.latenciesMs).toHaveLength(1);
    expect(surfaces.updates3d).toBe(1);
    const s = loop.stats();
    expect(s.shown).toBe(1);
    expect(s.tools).toEqual(['Probe']);
    expect(s.toolsByDevice).toEqual([{ device: 'trk', tools: ['Probe'] }]);
    expect(s.frameDevice).toBe('us');
    expect(s.refused).toBe(0);
    expect(s.dropped).toBe(2);
    expect(s.cineLength).toBe(1);
    loop.stop();
  });

  it('waits for the tracker sample of a frame still on its way; a newer frame supersedes the waiting one', () => {
    const { loop } = startLoop();
    loop.ingest(pose(0));
    loop.ingest(image(1, 80_000));
    expect(loop.metrics.shown).toBe(0);
    loop.ingest(image(2, 90_000));
    expect(loop.metrics.superseded).toBe(1);
    loop.ingest(pose(100_000));
    expect(loop.metrics.shown).toBe(1);
    expect(loop.metrics.lastSeq).toBe(2);
    expect(loop.metrics.untracked).toBe(0);
    loop.stop();
  });

  it('counts a frame without a pose as untracked, and fuses nothing while frozen', () => {
    const { loop } = startLoop();
    loop.ingest(pose(0, false));
    loop.ingest(pose(10_000, false));
    loop.ingest(image(1, 5_000));
    expect(loop.metrics.shown).toBe(1);
    expect(loop.metrics.untracked).toBe(1);
    expect(loop.imageToVolume).toBeNull();
    loop.configure({ ...SETTINGS, frozen: true });
    loop.ingest(image(2, 6_000));
    expect(loop.metrics.shown).toBe(1);
    expect(loop.metrics.received).toBe(2);
    loop.metrics.reset();
    expect(loop.metrics.received).toBe(0);
    expect(loop.metrics.lastSeq).toBe(1);
    loop.stop();
  });

  describe('the probe / reference pair', () => {
    /** A pose message of `device` with the named tools (x = t ms for every tool). */
    const poses = (device: string, tUs: number, names: string[]): { header: StreamHeader; payload: Uint8Array } => ({
      header: {
        device,
        stream: 'pose',
        seq: tUs,
        deviceTimeUs: tUs,
        hostTimeUs: hostClockUs(),
        dropped: 0,
        poses: names.map((name) => ({ name, matrix: at(tUs / 1000), state: 'ok' as const })),
      },
      payload: new Uint8Array(0),
    });
    /** The tracked-ultrasound replay ("us": image, Probe, Reference) and a second tracker ("ndi": Reference, Port1). */
    const feed = (loop: FusionLoop, seq: number, tUs: number): void => {
      loop.ingest(poses('us', tUs - 5_000, ['Probe', 'Reference']));
      loop.ingest(poses('ndi', tUs - 5_000, ['Reference', 'Port1']));
      loop.ingest(poses('us', tUs + 5_000, ['Probe', 'Reference']));
      loop.ingest(poses('ndi', tUs + 5_000, ['Reference', 'Port1']));
      loop.ingest(image(seq, tUs));
    };
    const THROUGH_REFERENCE: FusionSettings = { ...SETTINGS, referenceTool: 'Reference', patientFrame: { kind: 'reference', referenceToVolume: at(0) } };

    it('takes a tool from the frame own device first, else from a tracker that has it', () => {
      const seen = [
        { device: 'ndi', tools: ['Reference', 'Port1'] },
        { device: 'us', tools: ['Probe', 'Reference'] },
      ];
      expect(toolTracker(seen, 'Reference', 'us')).toBe('us');
      expect(toolTracker(seen, 'Port1', 'us')).toBe('ndi');
      expect(toolTracker(seen, 'Stylus', 'us')).toBeNull();
      expect(toolTracker(seen, '', 'us')).toBeNull();
    });

    it('places a frame with two tools of one tracker (the reference of the frame own device, not the other tracker)', () => {
      const { loop } = startLoop();
      loop.configure(THROUGH_REFERENCE);
      feed(loop, 1, 100_000);
      expect(loop.metrics.shown).toBe(1);
      expect(loop.metrics.refused).toBe(0);
      expect(loop.imageToVolume).not.toBeNull();
      loop.stop();
    });

    it('places no frame with the same tool as the probe and the reference, keeping the other settings', () => {
      const { loop } = startLoop();
      loop.configure({ ...THROUGH_REFERENCE, referenceTool: 'Probe' });
      feed(loop, 1, 100_000);
      expect(loop.metrics.shown).toBe(1);
      expect(loop.metrics.refused).toBe(1);
      expect(loop.metrics.untracked).toBe(0);
      expect(loop.imageToVolume).toBeNull();
      expect(loop.metrics.ncc).toHaveLength(0);
      // another reference chosen: placed again
      loop.configure(THROUGH_REFERENCE);
      feed(loop, 2, 200_000);
      expect(loop.imageToVolume).not.toBeNull();
      expect(loop.metrics.ncc).toHaveLength(1);
      loop.stop();
    });

    it('places no frame with a reference of another tracker than the probe', () => {
      const { loop } = startLoop();
      loop.configure({ ...THROUGH_REFERENCE, referenceTool: 'Port1' });
      feed(loop, 1, 100_000);
      expect(loop.metrics.refused).toBe(1);
      expect(loop.imageToVolume).toBeNull();
      expect(loop.stats().refused).toBe(1);
      loop.stop();
    });

    it('through the depth camera the reference is not used: placed whatever the reference choice', () => {
      const camera: FusionSettings = { ...SETTINGS, patientFrame: { kind: 'camera', cameraToTracker: at(0), cameraToVolume: at(0) } };
      for (const referenceTool of ['Port1', 'Probe', 'Reference', 'Absent', '']) {
        const { loop } = startLoop();
        loop.configure({ ...camera, referenceTool });
        feed(loop, 1, 100_000);
        expect(loop.metrics.refused, referenceTool).toBe(0);
        expect(loop.imageToVolume, referenceTool).not.toBeNull();
        loop.stop();
      }
    });
  });
});

/**
 * Calibrations of a setup stored with residuals and dates (issue 5, item 4):
 * import of a PLUS configuration's coordinate definitions, pivot calibration
 * from a recorded (here generated) stylus sequence, and the N-wire probe
 * calibration job on PLUS's fCal recording. The import and job parts need the
 * shared data.
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServices, type ServiceHost } from '../../electron/services/index.js';
import { writePlusSequence } from '../../native-bridges/recording/plusSequence.js';
import { rigidFromRotationVector, mul4, applyPoint } from '../../math/rigid.js';
import { rng } from '../../native-bridges/devices/depth/simulator.js';
import { plateSweep } from '../helpers/plateSweep.js';
import { dataPath, describeData } from '../helpers/data.js';
import { insertCalibration } from '../../capabilities/fusion/repo.js';
import { tmpDir } from '../helpers/tmp.js';

const tmp = tmpDir('calib-');
let host: ServiceHost;
beforeAll(() => {
  host = createServices({ dataDir: path.join(tmp.dir, 'data'), transport: 'cli' });
});
afterAll(() => {
  host.close();
  tmp.cleanup();
});

describe('calibrations: pivot from a recording', () => {
  it('a generated stylus recording (0.2 mm noise, reference tool moving) gives StylusTipToStylus within 0.3 mm, stored with its residuals', async () => {
    const r = rng(42);
    const g = (): number => Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
    const tip = [3.1, -1.7, 152.2];
    const pivotInRef = [10, -40, 60];
    const frames = Array.from({ length: 150 }, (_, i) => {
      const ref = rigidFromRotationVector([0.01 * Math.sin(i / 9), 0.02, -0.01], [100 + 0.5 * Math.sin(i / 7), -20, -800]);
      const R = rigidFromRotationVector([0.5 * (r() - 0.5), 0.5 * (r() - 0.5), 2 * Math.PI * r()]);
      const rt = applyPoint(R, tip[0]!, tip[1]!, tip[2]!);
      const stylusInRef = [...R];
      for (let k = 0; k < 3; k++) stylusInRef[4 * k + 3] = pivotInRef[k]! - rt[k]! + 0.2 * g();
      const stylusToTracker = mul4(ref, stylusInRef);
      return {
        timestampS: i / 20,
        transforms: {
          StylusToTracker: { matrix: stylusToTracker, status: i === 7 ? 'INVALID' : 'OK' },
          ReferenceToTracker: { matrix: ref, status: 'OK' },
        },
        fields: {},
      };
    });
    const file = path.join(tmp.dir, 'pivot.igs.mha');
    writePlusSequence(file, { width: 0, height: 0, elementType: 'uint8', imageOrientation: 'XX', imageType: 'UNKNOWN', frames, pixels: new Uint8Array(0) });
    const rec = await host.impl.calibrations.pivot('Bay 1', file, 'Stylus');
    expect(rec.kind).toBe('StylusTipToStylus');
    expect(rec.fromFrame).toBe('StylusTip');
    const m = rec.matrix!;
    expect(Math.hypot(m[3]! - tip[0]!, m[7]! - tip[1]!, m[11]! - tip[2]!)).toBeLessThan(0.3);
    expect(rec.errorMm).toBeGreaterThan(0.1);
    expect(rec.errorMm).toBeLessThan(0.6);
    expect(rec.residuals['posesUsed']! + rec.residuals['posesRejected']!).toBe(149);
    expect((await host.impl.calibrations.list('Bay 1')).map((c) => c.id)).toEqual([rec.id]);
    await expect(Promise.resolve().then(() => host.impl.calibrations.pivot('Bay 1', file, 'Needle'))).rejects.toThrow(
      /pivot\.igs\.mha: no valid NeedleToTracker transforms/,
    );
  });
});

describe('calibrations: temporal offset from a recorded plate sweep', () => {
  it('a video recorded 150 ms late against its tracker (separate sequences, as the recorder writes them) gives TemporalOffset −150 ms within 5 ms', async () => {
    const rec = plateSweep(77, 150, 15);
    const pixels = new Uint8Array(rec.frames.length * rec.cols * rec.rows);
    rec.frames.forEach((f, i) =>
      pixels.set(
        Uint8Array.from(f, (v) => Math.round(v)),
        i * f.length,
      ),
    );
    const video = path.join(tmp.dir, 'Probe_Image.igs.mha');
    writePlusSequence(video, {
      width: rec.cols,
      height: rec.rows,
      elementType: 'uint8',
      imageOrientation: 'MF',
      imageType: 'BRIGHTNESS',
      frames: rec.videoT.map((t) => ({ timestampS: t, transforms: {}, fields: {} })),
      pixels,
    });
    const tracker = path.join(tmp.dir, 'Tracker_Tracking.igs.mha');
    writePlusSequence(tracker, {
      width: 0,
      height: 0,
      elementType: 'uint8',
      imageOrientation: 'XX',
      imageType: 'UNKNOWN',
      frames: rec.trackerT.map((t, i) => {
        const p = rec.positions[i]!;
        return {
          timestampS: t,
          transforms: { ProbeToTracker: { matrix: [1, 0, 0, p[0]!, 0, 1, 0, p[1]!, 0, 0, 1, p[2]!, 0, 0, 0, 1], status: 'OK' } },
          fields: {},
        };
      }),
      pixels: new Uint8Array(0),
    });
    const cal = await host.impl.calibrations.temporal('Bay T', video, { tool: 'Probe', maxLagMs: 500, trackerPath: tracker });
    expect(cal).toMatchObject({ kind: 'TemporalOffset', fromFrame: 'Video', toFrame: 'Tracker', matrix: null, method: 'line-motion-correlation' });
    expect(Math.abs(cal.valueMs! + 150)).toBeLessThan(5);
    expect(cal.residuals['peakNcc']).toBeGreaterThan(0.95);
    expect(cal.residuals['framesWithLine']).toBe(rec.frames.length);
    // the video's own file has no probe poses: a clear error naming it
    await expect(Promise.resolve().then(() => host.impl.calibrations.temporal('Bay T', video, { tool: 'Probe', maxLagMs: 500 }))).rejects.toThrow(
      /Probe_Image\.igs\.mha: fewer than 10 valid ProbeToReference \/ ProbeToTracker poses/,
    );
  }, 60_000);
});

describeData('calibrations: PLUS import and the N-wire probe job', () => {
  it('imports a PLUS configuration with errors and dates; the current value of a kind is the newest', async () => {
    const cfg = dataPath('us/PlusDeviceSet_SpinePhantomFreehandReconstructionOnly.xml');
    const first = await host.impl.calibrations.importPlus('Bay 2', cfg);
    expect(first.map((c) => c.kind)).toEqual(['ImageToProbe', 'PhantomToReference']);
    expect(first[0]!.errorMm).toBeCloseTo(1.68149, 5);
    expect(first[0]!.calibratedAt).toBe('022312_110631');
    expect(first[0]!.matrix![3]).toBeCloseTo(15.3978, 4);
    expect(first.map((c) => c.status)).toEqual(['accepted', 'accepted']); // the setup had none: current at once
    // a second import is proposed beside the current ones, not applied silently (issue 20 §2)
    const again = await host.impl.calibrations.importPlus('Bay 2', cfg);
    expect(again.map((c) => c.status)).toEqual(['proposed', 'proposed']);
    expect((await host.impl.calibrations.list('Bay 2')).length).toBe(4);
    expect((await host.impl.calibrations.current('Bay 2')).map((c) => c.id).sort()).toEqual(first.map((c) => c.id).sort());
    // accepted, it becomes current for its kind; rejected, it stays in the history and is never used
    expect(host.impl.calibrations.accept(again[0]!.id)).toMatchObject({ status: 'accepted', reviewedBy: expect.any(String) });
    expect(host.impl.calibrations.reject(again[1]!.id)).toMatchObject({ status: 'rejected' });
    expect((await host.impl.calibrations.current('Bay 2')).map((c) => c.id).sort()).toEqual([again[0]!.id, first[1]!.id].sort());
    expect(() => host.impl.calibrations.accept(again[1]!.id)).toThrow(/is rejected, not proposed/);
    // another device set's configuration is one unit: even its kinds the setup lacks are proposed, none goes live by itself
    const other = await host.impl.calibrations.importPlus('Bay 2', dataPath('us/PlusDeviceSet_fCal_Sim_SpatialCalibration_2.0.xml'));
    expect(other.length).toBeGreaterThan(2);
    expect(new Set(other.map((c) => c.status))).toEqual(new Set(['proposed']));
    const audit = host.store.auditLog.records().filter((r) => r.action === 'calibration-accept' || r.action === 'calibration-reject');
    expect(audit.map((r) => [r.action, r.recordId])).toEqual([
      ['calibration-accept', again[0]!.id],
      ['calibration-reject', again[1]!.id],
    ]);
    // a sequence chosen by mistake: the file and the reason in one sentence, the parser's words on the detail line (Technical details)
    const seq = dataPath('us/SpinePhantomFreehand.igs.mha');
    await expect(Promise.resolve().then(() => host.impl.calibrations.importPlus('Bay 2', seq))).rejects.toThrow(
      `${seq}: not a PLUS device-set configuration: it is not XML (a PLUS configuration is an XML file such as PlusDeviceSet_*.xml).\nXML parser: Maximum nested tags exceeded`,
    );
  });

  it('the probe calibration job stores ImageToProbe with its reprojection errors', { timeout: 120_000 }, async () => {
    const id = await host.impl.calibrations.probe(
      'Bay 3',
      dataPath('us/fCal_Test_Calibration_3NWires_fCal2.0.igs.mha'),
      dataPath('us/PlusDeviceSet_fCal_Sim_SpatialCalibration_2.0.xml'),
    );
    const { job } = await host.jobs.wait(id);
    expect(job.status).toBe('done');
    const [rec] = await host.impl.calibrations.current('Bay 3');
    expect(rec!.id).toBe(job.resultId);
    expect(rec!.kind).toBe('ImageToProbe');
    expect(rec!.method).toBe('n-wire');
    expect(rec!.device).toBe('Probe · 820×616 px'); // the probe as its frames identify it
    // PLUS's result for this recording, at the image centre
    const plus = [
      -0.000519165, 0.0744587, 0.000837223, 11.2137, -0.0803067, -6.68987e-5, 0.00174527, 48.4162, 0.00181709, -0.000804192, 0.0773718, -0.398993, 0, 0, 0, 1,
    ];
    const a = applyPoint(rec!.matrix!, 410, 308, 0);
    const b = applyPoint(plus, 410, 308, 0);
    expect(Math.hypot(a[0] - b[0], a[1] - b[1], a[2] - b[2])).toBeLessThan(1);
    expect(rec!.errorMm).toBeGreaterThan(0.2);
    expect(rec!.errorMm).toBeLessThan(1.1);
    expect(rec!.residuals['framesSegmented']).toBeGreaterThan(170);
    expect(Date.parse(rec!.calibratedAt)).toBeGreaterThan(0);
    // a configuration without a phantom fails the job with the file's name
    const bad = await host.jobs.wait(
      await host.impl.calibrations.probe(
        'Bay 3',
        dataPath('us/fCal_Test_Calibration_3NWires_fCal2.0.igs.mha'),
        dataPath('us/PlusDeviceSet_SpinePhantomFreehandReconstructionOnly.xml'),
      ),
    );
    expect(bad.job.status).toBe('failed');
    expect(bad.job.error?.message).toMatch(/PlusDeviceSet_SpinePhantomFreehandReconstructionOnly\.xml: no N-wire patterns/);
    expect((await host.impl.calibrations.list('Bay 3')).length).toBe(1);
  });
});

describe('calibrations of another probe', () => {
  it('a calibration made for another probe than the setup current one of its kind is refused; an unidentified one is proposed', () => {
    const base = {
      setup: 'Bay P',
      kind: 'ImageToProbe',
      fromFrame: 'Image',
      toFrame: 'Probe',
      matrix: [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1],
      valueMs: null,
      errorMm: 0.5,
      residuals: {},
      method: 'n-wire',
      sourcePath: 'sweep-a.igs.mha',
      calibratedAt: '2026-12-01T10:00:00Z',
      createdBy: 'test',
    };
    const a = insertCalibration(host.store, { ...base, device: 'Probe · 820×616 px' });
    expect(a.status).toBe('accepted');
    expect(() => insertCalibration(host.store, { ...base, sourcePath: 'sweep-b.igs.mha', device: 'Probe · 640×480 px' })).toThrow(
      'ImageToProbe from sweep-b.igs.mha was made for Probe · 640×480 px, but setup "Bay P" works with Probe · 820×616 px: refused (use a setup of its own for that probe)',
    );
    expect(insertCalibration(host.store, { ...base, sourcePath: 'plus.xml', method: 'plus-config' }).status).toBe('proposed');
    expect(insertCalibration(host.store, { ...base, device: 'Probe · 820×616 px' }).status).toBe('proposed');
  });
});

/**
 * PLUS sequence files (the real recordings in ../shared/data/us): read with
 * their per-frame transforms, statuses and timestamps; pixels identical to an
 * independent MetaImage decoder (itk-wasm); replay as a live tracked
 * ultrasound device at the recorded rate; a recording written by OrthoTwin
 * (.igs.mha and .igs.nrrd) re-reads identically; bad files are refused with
 * the file's name and the reason.
 */
import fs from 'node:fs';
import path from 'node:path';
import { readImageNode } from '@itk-wasm/image-io';
import { afterAll, expect, it } from 'vitest';
import { PlusSequenceError, readPlusSequence, writePlusSequence, type PlusSequence } from '../../native-bridges/recording/plusSequence.js';
import { SequenceReplay, type TrackedUltrasoundSample } from '../../native-bridges/recording/replay.js';
import { dataPath, describeData } from '../helpers/data.js';
import { tmpDir } from '../helpers/tmp.js';

const replayAll = (seq: PlusSequence, speed: number): Promise<TrackedUltrasoundSample[]> =>
  new Promise((resolve) => {
    const out: TrackedUltrasoundSample[] = [];
    const r = new SequenceReplay(seq, { speed });
    r.on('sample', (s) => out.push(s));
    r.on('end', () => resolve(out));
    r.start();
  });

describeData('PLUS sequence files: read, replay, write', () => {
  const tmp = tmpDir();
  afterAll(() => tmp.cleanup());

  it('reads SpinePhantomFreehand.igs.mha: 21 frames 820×616 with three transforms per frame', async () => {
    const file = dataPath('us/SpinePhantomFreehand.igs.mha');
    const s = readPlusSequence(file);
    expect([s.width, s.height, s.frames.length, s.imageOrientation]).toEqual([820, 616, 21, 'MFA']);
    const f0 = s.frames[0]!;
    expect(f0.timestampS).toBe(215.102186);
    expect(s.frames[20]!.timestampS).toBe(216.947186);
    expect(Object.keys(f0.transforms).sort()).toEqual(['ProbeToTracker', 'ReferenceToTracker', 'StylusToTracker']);
    // as written in the header: Seq_Frame0000_ProbeToTrackerTransform = 0.231245 0.951424 -0.203269 172.641 …
    expect(f0.transforms['ProbeToTracker']).toEqual({
      matrix: [0.231245, 0.951424, -0.203269, 172.641, -0.127436, -0.17751, -0.975833, -98.0022, -0.964513, 0.25156, 0.0801977, -22.0262, 0, 0, 0, 1],
      status: 'OK',
    });
    expect(f0.fields).toEqual({ ImageStatus: 'OK' });
    // the pixels are those an independent MetaImage reader (ITK) decodes
    const itk = await readImageNode(file);
    expect(itk.size).toEqual([820, 616, 21]);
    expect(Buffer.from(s.pixels).equals(Buffer.from(itk.data as Uint8Array))).toBe(true);
  });

  it('replays it as a live device at the recorded rate, frame for frame', async () => {
    const s = readPlusSequence(dataPath('us/SpinePhantomFreehand.igs.mha'));
    const got = await replayAll(s, 1);
    expect(got.map((g) => g.seq)).toEqual([...Array(21).keys()]);
    got.forEach((g, i) => {
      expect(g.frameIndex).toBe(i);
      expect(g.deviceTimeUs).toBe(Math.round(s.frames[i]!.timestampS * 1e6));
      expect(g.transforms).toEqual(s.frames[i]!.transforms);
      expect(Buffer.from(g.image!.pixels).equals(Buffer.from(s.pixels.subarray(i * 820 * 616, (i + 1) * 820 * 616)))).toBe(true);
    });
    // host time follows the recording's clock: the whole sweep (1.845 s) and each interval (about 88 ms), with room for a loaded CI machine
    const hostSpan = (got[20]!.hostTimeUs - got[0]!.hostTimeUs) / 1e6;
    expect(Math.abs(hostSpan - 1.845)).toBeLessThan(0.3);
    const errs = got.slice(1).map((g, i) => Math.abs(g.hostTimeUs - got[i]!.hostTimeUs - (g.deviceTimeUs - got[i]!.deviceTimeUs)) / 1000);
    expect(errs.reduce((a, b) => a + b, 0) / errs.length).toBeLessThan(40);
  });

  it('a looped replay keeps its device clock running forward: each pass adds the sweep period (1.845 s + one frame interval)', async () => {
    const s = readPlusSequence(dataPath('us/SpinePhantomFreehand.igs.mha'));
    const got: TrackedUltrasoundSample[] = [];
    const r = new SequenceReplay(s, { speed: 10, loop: true });
    await new Promise<void>((resolve) => {
      r.on('sample', (x) => {
        got.push(x);
        if (got.length === 45) (r.stop(), resolve());
      });
      r.start();
    });
    expect(got).toHaveLength(45); // stopped from the listener: nothing more
    const period = (216.947186 - 215.102186) * (1 + 1 / 20);
    expect(got[21]!.frameIndex).toBe(0);
    expect(got[21]!.deviceTimeUs).toBe(Math.round((215.102186 + period) * 1e6));
    expect(got[44]!.deviceTimeUs).toBe(Math.round((s.frames[2]!.timestampS + 2 * period) * 1e6));
    got.slice(1).forEach((g, i) => expect(g.deviceTimeUs).toBeGreaterThan(got[i]!.deviceTimeUs));
  });

  it('BoneUltrasound_L14.igs.mha replays as a tracked ultrasound device (10× speed)', async () => {
    const s = readPlusSequence(dataPath('us/BoneUltrasound_L14.igs.mha'));
    expect([s.width, s.height, s.frames.length]).toEqual([820, 616, 21]);
    const got = await replayAll(s, 10);
    expect(got).toHaveLength(21);
    expect(got[0]!.transforms['ProbeToTracker']!.matrix[3]).toBe(257.956);
    expect(got.every((g) => g.image && g.image.pixels.length === 820 * 616)).toBe(true);
  });

  it('reads NRRD and tracking-only sequences (with INVALID statuses)', () => {
    const n = readPlusSequence(dataPath('us/NwirePhantomFreehand.igs.nrrd'));
    expect([n.width, n.height, n.frames.length]).toEqual([820, 616, 97]);
    expect(n.frames[96]!.transforms['StylusToTracker']!.status).toBe('INVALID');
    expect(n.frames[96]!.timestampS).toBe(355.783014);
    expect(n.frames[96]!.fields['Status']).toBe('OK');
    const t = readPlusSequence(dataPath('us/SlidingProbeTrackingData.igs.mha'));
    expect([t.width, t.height, t.frames.length, t.pixels.length]).toEqual([0, 0, 85, 0]);
    expect(t.frames[84]!.fields['ImageStatus']).toBe('INVALID');
    expect(Object.keys(t.frames[0]!.transforms).sort()).toEqual(['NeedleToTracker', 'ProbeToTracker', 'ReferenceToTracker']);
  });

  it('a recording written by OrthoTwin (.igs.mha, .igs.nrrd) re-reads identically', () => {
    const s = readPlusSequence(dataPath('us/SpinePhantomFreehand.igs.mha'));
    for (const name of ['rec.igs.mha', 'rec.igs.nrrd']) {
      const out = path.join(tmp.dir, name);
      writePlusSequence(out, s);
      const back = readPlusSequence(out);
      expect(back.frames).toEqual(s.frames);
      expect([back.width, back.height, back.imageOrientation]).toEqual([820, 616, 'MFA']);
      expect(Buffer.from(back.pixels).equals(Buffer.from(s.pixels))).toBe(true);
    }
    // ITK reads OrthoTwin's MetaImage too
    return readImageNode(path.join(tmp.dir, 'rec.igs.mha')).then((img) => expect(img.size).toEqual([820, 616, 21]));
  });

  it('refuses a truncated file and a non-sequence with the file name and the reason', () => {
    const src = fs.readFileSync(dataPath('us/SpinePhantomFreehand.igs.mha'));
    const cut = path.join(tmp.dir, 'cut.igs.mha');
    fs.writeFileSync(cut, src.subarray(0, src.length - 100_000));
    expect(() => readPlusSequence(cut)).toThrow(PlusSequenceError);
    expect(() => readPlusSequence(cut)).toThrow(/cut\.igs\.mha: compressed pixel data cannot be inflated/);
    const notSeq = path.join(tmp.dir, 'note.txt');
    fs.writeFileSync(notSeq, 'hello');
    expect(() => readPlusSequence(notSeq)).toThrow(/note\.txt: no end of header found/);
  });
});

/**
 * Live enhancement on the device streams (issue 22) with the real ONNX
 * models (models/, as the manifest lists them) in
 * their worker threads. In-process stream server: a client that asks
 * `enhance=denoise` gets the model's output (byte for byte what the
 * in-process enhancer makes of the same frame) with the header's
 * `enhancement`, a client without gets the raw frames, `raw=1` gets both;
 * SR ×2 doubles the size and, binned for display after, comes back to the
 * source's geometry; a client with a display width half the frame's gets the
 * model run on its 2 × 2 display copy (denoise: byte for byte the model's
 * output of the binned frame; SR ×2: of the 4 × 4-binned frame, upsampled to
 * the display width, with the display copy's binning and geometry), next to a
 * full-resolution client of the same model (one worker); a colour frame and a model whose file was altered
 * (SHA-256 refusal) go raw with a sentence. Through the device host
 * process: the desktop's MessagePort client switches the model on and off
 * (`setEnhance`) and keeps raw and enhanced frames apart; a replayed SpinePhantomFreehand watched with enhancement is
 * recorded with its RAW frames, byte for byte, while a 400-px view gets the model's 410 × 308 output (needs the shared
 * data).
 */
import fs from 'node:fs';
import { MessageChannel } from 'node:worker_threads';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { decodeStreamMessage, type StreamHeader } from '../../electron/contract/devices.js';
import { defaultModelStarter } from '../../electron/devicehost/liveEnhance.js';
import { startStreamServer, type StreamPort, type StreamServer } from '../../electron/devicehost/streams.js';
import { StreamClient, type StreamPortLike } from '../../capabilities/devices/ui/streamClient.js';
import { createEnhancer } from '../../electron/enhance/enhancer.js';
import { DevicesSupervisor } from '../../electron/services/devices.js';
import { binImageMessage, binningMatrix } from '../../math/imageBinning.js';
import { mul4 } from '../../math/transform.js';
import { framePixels, readPlusSequence } from '../../native-bridges/recording/plusSequence.js';
import { DATA, dataPath } from '../helpers/data.js';
import { tmpDir } from '../helpers/tmp.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const MODELS = path.resolve(import.meta.dirname, '../../models');
const MANIFEST = JSON.parse(fs.readFileSync(path.join(MODELS, 'manifest.json'), 'utf8')) as { models: { name: string; version: string; validation: string }[] };
const entry = (name: string) => MANIFEST.models.find((m) => m.name === name)!;

interface Got {
  header: StreamHeader;
  payload: Uint8Array;
}

/** A WebSocket stream client collecting every message (decoded, payload copied). */
function openStream(url: string): Promise<{ ws: WebSocket; messages: Got[] }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    const messages: Got[] = [];
    ws.on('message', (d: Buffer) => {
      const m = decodeStreamMessage(new Uint8Array(d.buffer, d.byteOffset, d.byteLength));
      messages.push({ header: m.header, payload: m.payload.slice() });
    });
    ws.once('open', () => resolve({ ws, messages }));
    ws.once('error', reject);
  });
}

/** A 64 × 48 speckle-like frame, deterministic per seq. */
function frame(seq: number): Uint8Array {
  const px = new Uint8Array(64 * 48);
  let s = 1234 + seq * 7919;
  for (let i = 0; i < px.length; i++) {
    s = (s * 1103515245 + 12345) >>> 0;
    px[i] = (((i % 64) * 3 + (s >>> 24)) >> 1) & 255;
  }
  return px;
}
const IJK = [0.2, 0, 0, 10, 0, 0.2, 0, 20, 0, 0, 1, 0, 0, 0, 0, 1];
const header = (seq: number, extra: Partial<StreamHeader> = {}): Omit<StreamHeader, 'dropped'> => ({
  device: 'us-1',
  stream: 'image',
  seq,
  deviceTimeUs: 1000 * seq,
  hostTimeUs: 1000 * seq + 3,
  width: 64,
  height: 48,
  components: 1,
  scalar: 'uint8',
  ijkToFrame: IJK,
  frame: 'Reference',
  ...extra,
});

/** Publishes `n` frames 100 ms apart (slow enough that the worker takes every one). */
async function publishFrames(server: StreamServer, n: number, extra: Partial<StreamHeader> = {}): Promise<Map<number, Uint8Array>> {
  const sent = new Map<number, Uint8Array>();
  for (let seq = 0; seq < n; seq++) {
    const px = frame(seq);
    sent.set(seq, px);
    server.publish(header(seq, extra), px);
    await sleep(100);
  }
  await sleep(300);
  return sent;
}

const tmp = tmpDir();
afterAll(() => tmp.cleanup());

describe('live enhancement on the stream server (real ONNX workers)', () => {
  let server: StreamServer | null = null;
  afterEach(async () => {
    await server?.close();
    server = null;
  });

  it('enhance=denoise gets the model output with its label; no enhance gets raw; raw=1 gets both', async () => {
    server = await startStreamServer(() => undefined);
    const denoised = await openStream(`${server.url}&enhance=denoise`);
    const plain = await openStream(server.url);
    const both = await openStream(`${server.url}&enhance=denoise&raw=1`);
    await sleep(1500); // the worker thread loads the model
    const sent = await publishFrames(server, 6);
    // the counters while clients still ask for the model (the worker is closed when none does)
    const stats = server.enhanceStats();
    for (const c of [denoised, plain, both]) c.ws.close();

    const den = entry('denoise');
    // enhance=denoise: only the model's frames, each labelled
    expect(denoised.messages.length).toBeGreaterThanOrEqual(5);
    expect(denoised.messages.every((m) => m.header.enhancement?.applied === true)).toBe(true);
    const m0 = denoised.messages[0]!;
    expect(m0.header).toMatchObject({
      device: 'us-1',
      stream: 'image',
      width: 64,
      height: 48,
      ijkToFrame: IJK,
      enhancement: { model: 'denoise', applied: true, version: den.version, validation: den.validation },
    });
    expect(m0.header.binning).toBeUndefined();
    expect(m0.header.enhancement!.ms).toBeGreaterThan(0);
    // byte for byte what the in-process enhancer makes of the same frame
    const ref = await createEnhancer({ model: 'denoise', modelsDir: MODELS });
    for (const m of denoised.messages.slice(0, 3)) {
      const want = await ref.enhance({ width: 64, height: 48, pixels: sent.get(m.header.seq)! });
      expect(Buffer.from(m.payload).equals(Buffer.from(want.pixels))).toBe(true);
    }
    await ref.close();
    // and it is not the raw frame
    expect(Buffer.from(m0.payload).equals(Buffer.from(sent.get(m0.header.seq)!))).toBe(false);

    // no enhance: the raw frames, unlabelled
    expect(plain.messages.map((m) => m.header.seq)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(plain.messages.every((m) => m.header.enhancement === undefined)).toBe(true);
    expect(Buffer.from(plain.messages[2]!.payload).equals(Buffer.from(sent.get(2)!))).toBe(true);

    // raw=1: both, the raw ones unlabelled, the model's labelled, for the same seqs
    const raw = both.messages.filter((m) => !m.header.enhancement);
    const enh = both.messages.filter((m) => m.header.enhancement);
    expect(raw.map((m) => m.header.seq)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(enh.length).toBeGreaterThanOrEqual(5);
    expect(enh.every((m) => m.header.enhancement!.applied)).toBe(true);
    expect(stats).toHaveLength(1);
    expect(stats[0]).toMatchObject({ model: 'denoise', state: 'ready', raw: 0 });
    expect(stats[0]!.enhanced).toBeGreaterThanOrEqual(5);
  }, 30_000);

  it('SR ×2: twice the size with binning 0.5; binned for a display after: back on the source grid', async () => {
    server = await startStreamServer(() => undefined);
    const full = await openStream(`${server.url}&enhance=sr2`);
    const display = await openStream(`${server.url}&enhance=sr2&imageMaxWidth=64`);
    await sleep(1500);
    await publishFrames(server, 3);
    full.ws.close();
    display.ws.close();
    const sr = entry('sr2');
    expect(full.messages.length).toBeGreaterThanOrEqual(2);
    const f = full.messages[0]!;
    expect(f.header).toMatchObject({ width: 128, height: 96, binning: 0.5, enhancement: { model: 'sr2', applied: true, version: sr.version } });
    expect(f.payload.length).toBe(128 * 96);
    expect(f.header.ijkToFrame).toEqual(mul4(IJK, binningMatrix(0.5)));
    // upsampled pixel (0, 0) is at source pixel (−0.25, −0.25): 0.2 mm × −0.25 from the origin
    expect(f.header.ijkToFrame![3]).toBeCloseTo(10 - 0.05, 12);
    expect(f.header.ijkToFrame![0]).toBeCloseTo(0.1, 12);
    // binned 2 × 2 for a 64-px view after upsampling: source size and geometry again
    const d = display.messages[0]!;
    expect(d.header).toMatchObject({ width: 64, height: 48, binning: 1, enhancement: { model: 'sr2', applied: true } });
    d.header.ijkToFrame!.forEach((v, i) => expect(v).toBeCloseTo(IJK[i]!, 12));
  }, 30_000);

  it('display scale: a half-width client gets the model run on its 2 × 2 copy (SR ×2 on the 4 × 4 copy), beside a full-resolution client', async () => {
    server = await startStreamServer(() => undefined);
    const full = await openStream(`${server.url}&enhance=denoise`);
    const half = await openStream(`${server.url}&enhance=denoise&imageMaxWidth=32`);
    const srHalf = await openStream(`${server.url}&enhance=sr2&imageMaxWidth=32`);
    await sleep(1500);
    const sent = await publishFrames(server, 4);
    const stats = server.enhanceStats();
    for (const c of [full, half, srHalf]) c.ws.close();
    // one worker per model, whatever the display widths
    expect(stats.map((s) => s.model).sort()).toEqual(['denoise', 'sr2']);
    expect(stats.every((s) => s.state === 'ready' && s.raw === 0)).toBe(true);

    // the full-resolution client: the full frame, as before
    expect(full.messages.length).toBeGreaterThanOrEqual(3);
    expect(full.messages[0]!.header).toMatchObject({ width: 64, height: 48, ijkToFrame: IJK, enhancement: { applied: true } });
    // the half-width client: the model's output of the 2 × 2-binned frame, binning 2, the binned geometry
    expect(half.messages.length).toBeGreaterThanOrEqual(3);
    const d = entry('denoise');
    const ref = await createEnhancer({ model: 'denoise', modelsDir: MODELS });
    for (const m of half.messages.slice(0, 3)) {
      expect(m.header).toMatchObject({ width: 32, height: 24, binning: 2, enhancement: { model: 'denoise', applied: true, version: d.version } });
      expect(m.header.ijkToFrame).toEqual(mul4(IJK, binningMatrix(2)));
      const copy = binImageMessage(header(m.header.seq), sent.get(m.header.seq)!, 2);
      const want = await ref.enhance({ width: 32, height: 24, pixels: copy.payload });
      expect(Buffer.from(m.payload).equals(Buffer.from(want.pixels))).toBe(true);
    }
    await ref.close();
    // binned pixel (0, 0) is the centre of source pixels (0..1, 0..1): 0.1 mm from the origin along both axes
    expect(half.messages[0]!.header.ijkToFrame![3]).toBeCloseTo(10.1, 12);
    expect(half.messages[0]!.header.ijkToFrame![7]).toBeCloseTo(20.1, 12);

    // SR ×2 for the half-width client: the 4 × 4 copy (16 × 12) upsampled to the display width, binning 2
    expect(srHalf.messages.length).toBeGreaterThanOrEqual(3);
    const sr = await createEnhancer({ model: 'sr2', modelsDir: MODELS });
    for (const m of srHalf.messages.slice(0, 2)) {
      expect(m.header).toMatchObject({ width: 32, height: 24, binning: 2, enhancement: { model: 'sr2', applied: true } });
      m.header.ijkToFrame!.forEach((v, i) => expect(v).toBeCloseTo(mul4(IJK, binningMatrix(2))[i]!, 12));
      const copy = binImageMessage(header(m.header.seq), sent.get(m.header.seq)!, 4);
      expect(copy.header).toMatchObject({ width: 16, height: 12 });
      const want = await sr.enhance({ width: 16, height: 12, pixels: copy.payload });
      expect(Buffer.from(m.payload).equals(Buffer.from(want.pixels))).toBe(true);
    }
    await sr.close();
  }, 30_000);

  it('a model file altered on disk (SHA-256 refusal) and a colour frame: the raw frame with the reason', async () => {
    const dir = path.join(tmp.dir, 'models-broken');
    fs.cpSync(MODELS, dir, { recursive: true });
    const onnx = path.join(dir, 'us-denoise.onnx');
    const bytes = fs.readFileSync(onnx);
    const at = Math.floor(bytes.length / 2);
    bytes[at] = bytes[at]! ^ 0xff;
    fs.writeFileSync(onnx, bytes);
    server = await startStreamServer(() => undefined, undefined, { startModel: defaultModelStarter(dir) });
    const c = await openStream(`${server.url}&enhance=denoise`);
    await sleep(1500);
    const sent = await publishFrames(server, 2);
    const stats = server.enhanceStats();
    c.ws.close();
    expect(c.messages.map((m) => m.header.seq)).toEqual([0, 1]);
    for (const m of c.messages) {
      expect(m.header.enhancement).toMatchObject({ model: 'denoise', applied: false });
      expect(Buffer.from(m.payload).equals(Buffer.from(sent.get(m.header.seq)!))).toBe(true);
    }
    const why = c.messages[0]!.header.enhancement!.reason!;
    expect(why).toMatch(
      /^The denoise model could not be loaded: model denoise: .*us-denoise\.onnx: sha256 [0-9a-f]{64} does not match the manifest .* Frames are shown raw\.$/,
    );
    expect(why).toContain('us-denoise.onnx');
    expect(stats[0]).toMatchObject({ model: 'denoise', state: 'failed', enhanced: 0, raw: 2 });

    // the intact models, an RGB frame (a colour grabber's): raw, with why
    await server.close();
    server = await startStreamServer(() => undefined);
    const rgb = await openStream(`${server.url}&enhance=denoise`);
    await sleep(1500);
    server.publish(header(7, { device: 'uvc:cam', components: 3 }), new Uint8Array(64 * 48 * 3).fill(9));
    await sleep(300);
    rgb.ws.close();
    expect(rgb.messages).toHaveLength(1);
    expect(rgb.messages[0]!.header).toMatchObject({ device: 'uvc:cam', components: 3, enhancement: { model: 'denoise', applied: false } });
    expect(rgb.messages[0]!.header.enhancement!.reason).toBe(
      'The denoise model takes 8-bit grey frames; uvc:cam sends 3-component uint8 frames (a colour frame grabber?). Frames are shown raw.',
    );
    expect(rgb.messages[0]!.payload.length).toBe(64 * 48 * 3);
  }, 30_000);
});

describe('live enhancement on a MessagePort client (desktop path)', () => {
  it('setEnhance switches the model on the port; raw and enhanced frames of one device are kept apart, then off again', async () => {
    const server = await startStreamServer(() => undefined);
    try {
      const { port1, port2 } = new MessageChannel();
      server.attachPort(port1 as unknown as StreamPort);
      const client = new StreamClient({ port: async () => port2 as unknown as StreamPortLike }, null, { enhance: 'denoise', raw: true });
      client.open();
      await sleep(1500);
      await publishFrames(server, 3);
      const raw = client.latest('us-1', 'image')!;
      const enh = client.latest('us-1', 'image', true)!;
      expect(raw.header.enhancement).toBeUndefined();
      expect(raw.header.seq).toBe(2);
      expect(Buffer.from(raw.payload).equals(Buffer.from(frame(2)))).toBe(true);
      expect(enh.header.enhancement).toMatchObject({ model: 'denoise', applied: true, version: entry('denoise').version });
      expect(server.enhanceStats().map((s) => s.model)).toEqual(['denoise']);
      // SR ×2 without the raw frames: only the model's, twice the size; the denoise worker is closed
      client.setEnhance({ enhance: 'sr2', raw: false });
      expect(client.latest('us-1', 'image', true)).toBeUndefined();
      await sleep(1500);
      const before = client.received;
      await publishFrames(server, 2);
      expect(client.latest('us-1', 'image', true)!.header).toMatchObject({ width: 128, height: 96, enhancement: { model: 'sr2', applied: true } });
      expect(client.latest('us-1', 'image')!.header.seq).toBe(2); // no raw frame came since
      expect(client.received - before).toBe(2);
      expect(server.enhanceStats().map((s) => s.model)).toEqual(['sr2']);
      // off: raw frames again, no worker left
      client.setEnhance({ enhance: null, raw: false });
      await sleep(100);
      await publishFrames(server, 1);
      expect(client.latest('us-1', 'image')!.header.seq).toBe(0);
      expect(server.enhanceStats()).toEqual([]);
      client.close();
    } finally {
      await server.close();
    }
  }, 30_000);
});

describe.skipIf(!DATA)('live enhancement through the device host process', () => {
  const sup = new DevicesSupervisor();
  beforeAll(async () => {
    await sup.start();
  });
  afterAll(async () => {
    await sup.stop();
  });

  it('a replayed SpinePhantomFreehand watched with denoise: the client gets enhanced frames, the recording the raw ones byte for byte', async () => {
    const src = readPlusSequence(dataPath('us/SpinePhantomFreehand.igs.mha'));
    const { ws, messages } = await openStream(`${await sup.streamEndpoint()}&enhance=denoise&raw=1`);
    // a fusion view 400 px wide: the model runs on its 2 × 2 display copy
    const view = await openStream(`${await sup.streamEndpoint()}&enhance=denoise&imageMaxWidth=400`);
    await sleep(1500);
    const dev = await sup.connect({ kind: 'replay', path: dataPath('us/SpinePhantomFreehand.igs.mha'), loop: false });
    const dir = path.join(tmp.dir, 'enhanced-session');
    await sup.startRecording(dir);
    await sleep(2000);
    const files = await sup.stopRecording();
    await sup.disconnect(dev.id);
    ws.close();
    view.ws.close();

    const enh = messages.filter((m) => m.header.device === dev.id && m.header.stream === 'image' && m.header.enhancement);
    expect(enh.length).toBeGreaterThan(2);
    expect(enh[0]!.header).toMatchObject({ width: 820, height: 616, enhancement: { model: 'denoise', applied: true, version: entry('denoise').version } });
    const small = view.messages.filter((m) => m.header.device === dev.id && m.header.stream === 'image');
    expect(small.length).toBeGreaterThan(2);
    expect(small.every((m) => m.header.enhancement?.applied === true)).toBe(true);
    expect(small[0]!.header).toMatchObject({ width: 410, height: 308, binning: 2 });
    expect(small[0]!.payload.length).toBe(410 * 308);
    const raws = messages.filter((m) => m.header.device === dev.id && m.header.stream === 'image' && !m.header.enhancement);
    expect(raws.length).toBeGreaterThan(5);

    const image = files.find((f) => f.stream === 'image')!;
    const rec = readPlusSequence(image.path);
    expect([rec.width, rec.height]).toEqual([820, 616]);
    expect(rec.frames.length).toBeGreaterThan(10);
    for (let i = 0; i < rec.frames.length; i++) {
      const k = Number(rec.frames[i]!.fields['FrameNumber']);
      expect(Buffer.from(framePixels(rec, i)).equals(Buffer.from(framePixels(src, k)))).toBe(true);
    }
    // and an enhanced frame the client got is not what was recorded for its seq
    const e = enh[0]!;
    const ri = rec.frames.findIndex((f) => Number(f.fields['FrameNumber']) === e.header.seq);
    if (ri >= 0) expect(Buffer.from(framePixels(rec, ri)).equals(Buffer.from(e.payload))).toBe(false);
  }, 40_000);
});

/**
 * `npm run bench -- enhance` (issue 22): live ultrasound enhancement.
 * 1. Per-frame time of each model in its EnhanceWorker (a worker thread with
 *    one onnxruntime thread, as the device host runs it) on the frames of
 *    SpinePhantomFreehand.igs.mha (820 × 616): at full resolution (a client
 *    without a display width) and on the display copy the device host runs it
 *    on for the fusion view (display factor 2: the frame binned 2 × 2 for
 *    denoise, 4 × 4 for SR ×2 — `inputBinning`); two passes over its 21
 *    frames after 3 warm-up frames, the worker's own `ms` (inference with
 *    padding and conversion) and the round trip seen by the caller.
 * 2. The live fusion's tracker → screen latency and frames/s
 *    (fusionLatency.ts: built app, Chromium with software compositing, CPU
 *    reslice, 30 frames/s replay, the view's 2 × 2 display copies) with
 *    enhancement off, denoise and SR ×2, alternated twice in the same run so
 *    all see the same machine load; with a model on, the per-frame model time
 *    (at display scale) read from the fused frames' headers.
 * Returns the docs/benchmarks.md section.
 */
import fs from 'node:fs';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { inputBinning } from '../../electron/devicehost/liveEnhance.js';
import { EnhanceWorker } from '../../electron/enhance/enhanceWorker.js';
import { binImageMessage } from '../../math/imageBinning.js';
import { framePixels, readPlusSequence } from '../../native-bridges/recording/plusSequence.js';
import { measureFusionLatency, q, type FusionLatency } from './fusionLatency.js';

/** The fusion view's display factor in the latency runs (fusionLatency.ts: 2 × 2 display copies of the 820-px frames). */
const FUSION_FACTOR = 2;

/** The models' per-frame times in their worker thread (ms), on the full frames (factor 1) or the display copies the device host runs them on. */
async function workerTimes(
  dataRoot: string,
  model: 'denoise' | 'sr2',
  factor: number,
): Promise<{ version: string; ms: number[]; roundTripMs: number[]; input: string; output: string; binning: number }> {
  const seq = readPlusSequence(path.join(dataRoot, 'us', 'SpinePhantomFreehand.igs.mha'));
  const w = await EnhanceWorker.start({ model, threads: 1 });
  try {
    const b = inputBinning(w.info.scale, factor, seq.width, seq.height);
    const ms: number[] = [];
    const rt: number[] = [];
    const n = seq.frames.length;
    let input = '',
      output = '';
    for (let k = 0; k < 3 + 2 * n; k++) {
      const src = framePixels(seq, k % n);
      // binned as the device host bins it (counted in neither time: the device host bins on its own thread)
      const m = binImageMessage({ device: 'bench', width: seq.width, height: seq.height, components: 1, scalar: 'uint8' }, src, b);
      const px = b === 1 ? src.slice() : m.payload;
      const t0 = performance.now();
      const out = await w.enhance({ width: m.header.width!, height: m.header.height!, pixels: px });
      if (k >= 3) {
        rt.push(performance.now() - t0);
        ms.push(out.ms);
      }
      input = `${m.header.width}×${m.header.height}`;
      output = `${out.width}×${out.height}`;
    }
    return { version: w.info.version, ms, roundTripMs: rt, input, output, binning: b };
  } finally {
    await w.close();
  }
}

/** A w × h crop (top left at the frame's centre minus half) of frame k of a sequence, edge-replicated where the frame is smaller. */
function crop(seq: ReturnType<typeof readPlusSequence>, k: number, w: number, h: number): Uint8Array {
  const src = framePixels(seq, k);
  const out = new Uint8Array(w * h);
  const x0 = Math.max(0, Math.floor((seq.width - w) / 2));
  const y0 = Math.max(0, Math.floor((seq.height - h) / 2));
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) out[y * w + x] = src[Math.min(seq.height - 1, y0 + y) * seq.width + Math.min(seq.width - 1, x0 + x)]!;
  return out;
}

/** The issue's speed targets: per-frame worker time at a given input size, 3 warm-up frames then 40 timed (crops of the 21 frames). */
async function sizeTimes(dataRoot: string, model: 'denoise' | 'sr2', w: number, h: number): Promise<{ version: string; ms: number[] }> {
  const seq = readPlusSequence(path.join(dataRoot, 'us', 'SpinePhantomFreehand.igs.mha'));
  const wk = await EnhanceWorker.start({ model, threads: 1 });
  try {
    const ms: number[] = [];
    for (let k = 0; k < 43; k++) {
      const out = await wk.enhance({ width: w, height: h, pixels: crop(seq, k % seq.frames.length, w, h) });
      if (k >= 3) ms.push(out.ms);
    }
    return { version: wk.info.version, ms };
  } finally {
    await wk.close();
  }
}

/**
 * The reference filter's time per 512 × 512 frame (training/us_enhance/obnlm.py: OBNLM, numpy, one thread), on the same
 * crop, in this run; null with the reason where Debian's python3-scipy / python3-opencv are absent.
 */
function referenceSeconds(dataRoot: string): { s: number | null; why: string } {
  const code = [
    'import sys, time, numpy as np',
    "sys.path.insert(0, 'training/us_enhance')",
    'from data import read_sequence',
    'from obnlm import obnlm',
    'import json',
    `f = read_sequence(${JSON.stringify(path.join(dataRoot, 'us', 'SpinePhantomFreehand.igs.mha'))})[0].astype(np.float32)`,
    'y0, x0 = (f.shape[0] - 512) // 2, (f.shape[1] - 512) // 2',
    'c = np.pad(f[max(0, y0):max(0, y0) + 512, x0:x0 + 512], ((0, max(0, 512 - f.shape[0])), (0, 0)), mode="edge")',
    "h = json.load(open('models/us-denoise.eval.json'))['reference']['h']",
    'obnlm(c, h=h)',
    't = time.perf_counter()',
    'for _ in range(3): obnlm(c, h=h)',
    'print((time.perf_counter() - t) / 3)',
  ].join('\n');
  const r = spawnSync('/usr/bin/python3', ['-c', code], { encoding: 'utf8', env: { ...process.env, OMP_NUM_THREADS: '1', OPENBLAS_NUM_THREADS: '1' } });
  const s = Number(r.stdout.trim());
  return r.status === 0 && Number.isFinite(s) ? { s, why: '' } : { s: null, why: (r.stderr || r.error?.message || 'no output').trim().split('\n').pop()! };
}

/**
 * The models' held-out quality as their cards state it (models/*.eval.json, written by
 * training/us_enhance/evaluate.py at training time with PyTorch; the SR figure is re-measured through
 * onnxruntime-node by tests/integration/enhanceHeldOut.test.ts): markdown lines.
 */
export function qualityLines(modelsDir = 'models'): string[] {
  type Methods = Record<string, { psnr: number; ssim: number }>;
  const read = (f: string): Record<string, unknown> | null =>
    fs.existsSync(path.join(modelsDir, f)) ? (JSON.parse(fs.readFileSync(path.join(modelsDir, f), 'utf8')) as Record<string, unknown>) : null;
  const d = read('us-denoise.eval.json') as {
    version: string;
    heldOutFrames: number;
    synthetic: { protocol: string; methods: Methods; bestClassicalPeer: string };
    fidelityToReference: { psnr: number; ssim: number };
    noReference: Record<string, { enl: number; cnr: number }>;
    summary: Record<string, number>;
  } | null;
  const sr = read('us-sr2.eval.json') as { version: string; protocol: string; methods: Methods; summary: Record<string, number> } | null;
  if (!d || !sr) return ['Held-out quality: the models have no evaluation file (models/*.eval.json).'];
  const table = (m: Methods): string[] => [
    '| method | PSNR (dB) | SSIM |',
    '|---|---|---|',
    ...Object.entries(m).map(([k, v]) => `| ${k} | ${v.psnr.toFixed(2)} | ${v.ssim.toFixed(4)} |`),
  ];
  return [
    `Held-out quality (${d.heldOutFrames} frames never used in training or tuning: BoneUltrasound_L14, last 6 MSK images), as the model cards state it (\`models/us-*.card.md\`, from \`training/us_enhance/evaluate.py\`). Denoise ${d.version}, synthetic speckle (${d.synthetic.protocol}; peers tuned on training frames):`,
    '',
    ...table(d.synthetic.methods),
    '',
    `Denoiser against the best classical peer (${d.synthetic.bestClassicalPeer}): **${d.summary['gainOverBestPeerDb']!.toFixed(2)} dB** (issue target +3 dB: ${d.summary['gainOverBestPeerDb']! >= 3 ? 'met' : '**not met**'}); against its reference OBNLM: ${d.summary['gapToReferenceDb']! >= 0 ? '+' : ''}${d.summary['gapToReferenceDb']!.toFixed(2)} dB (target: within 1 dB); fidelity to OBNLM on the real held-out frames: PSNR ${d.fidelityToReference.psnr.toFixed(2)} dB, SSIM ${d.fidelityToReference.ssim.toFixed(4)}. No-reference (ENL / CNR, real frames): ${Object.entries(
      d.noReference,
    )
      .map(([k, v]) => `${k} ${v.enl.toFixed(0)} / ${v.cnr.toFixed(2)}`)
      .join('; ')}.`,
    '',
    `SR ×2 ${sr.version} (${sr.protocol}):`,
    '',
    ...table(sr.methods),
    '',
    `SR ×2 against Lanczos-4: **${sr.summary['gainOverLanczosDb']! >= 0 ? '+' : ''}${sr.summary['gainOverLanczosDb']!.toFixed(2)} dB** (target +0.7 dB: ${sr.summary['gainOverLanczosDb']! >= 0.7 ? 'met' : '**not met**'}).`,
    '',
  ];
}

const row = (label: string, l: FusionLatency): string =>
  `| ${label} | ${l.frames} (${(l.frames / l.seconds).toFixed(1)}/s) | ${l.dropped.upstream + l.dropped.superseded} | ${l.arrivedMs.p50.toFixed(0)} / ${l.arrivedMs.p95.toFixed(0)} | **${l.latencyMs.p50.toFixed(0)} / ${l.latencyMs.p95.toFixed(0)}** (max ${l.latencyMs.max.toFixed(0)}) | ${l.enhanceMs ? `${l.enhanceMs.p50.toFixed(0)} / ${l.enhanceMs.p95.toFixed(0)} (${l.enhanceMs.frames} frames)` : '—'} | ${l.nccMin.toFixed(3)} |`;

export async function enhanceSection(dataRoot: string, machine: string): Promise<string> {
  const workerRows: string[] = [];
  for (const model of ['denoise', 'sr2'] as const)
    for (const factor of [1, FUSION_FACTOR]) {
      const t = await workerTimes(dataRoot, model, factor);
      const where = factor === 1 ? 'full resolution' : `display copy (factor ${factor}: binned ${t.binning}×${t.binning})`;
      const line = `| ${model} ${t.version} | ${where} | ${t.input} → ${t.output} | ${t.ms.length} | ${q(t.ms, 0.5).toFixed(1)} / ${q(t.ms, 0.95).toFixed(1)} | ${q(t.roundTripMs, 0.5).toFixed(1)} / ${q(t.roundTripMs, 0.95).toFixed(1)} | ${(1000 / q(t.roundTripMs, 0.5)).toFixed(1)} |`;
      console.log(line);
      workerRows.push(line);
    }
  const targetRows: string[] = [];
  const ref = referenceSeconds(dataRoot);
  const targets: { model: 'denoise' | 'sr2'; w: number; h: number; target: number }[] = [
    { model: 'denoise', w: 512, h: 512, target: 25 },
    { model: 'denoise', w: 820, h: 616, target: 50 },
    { model: 'sr2', w: 256, h: 256, target: 40 },
  ];
  for (const t of targets) {
    const r = await sizeTimes(dataRoot, t.model, t.w, t.h);
    const p50 = q(r.ms, 0.5);
    const s = t.model === 'sr2' ? 2 : 1;
    const vsRef = t.model === 'denoise' && t.w === 512 && ref.s ? `${((ref.s * 1000) / p50).toFixed(0)}× (OBNLM ${(ref.s * 1000).toFixed(0)} ms)` : '—';
    const line = `| ${t.model} ${r.version} | ${t.w}×${t.h} → ${s * t.w}×${s * t.h} | ${p50.toFixed(1)} / ${q(r.ms, 0.95).toFixed(1)} | ≤ ${t.target} | ${q(r.ms, 0.95) <= t.target ? 'met' : '**not met**'} | ${vsRef} |`;
    console.log(line);
    targetRows.push(line);
  }
  const latencyRows: string[] = [];
  if (!fs.existsSync('dist/electron/host/serve.js'))
    latencyRows.push('| not measured: run `npm run build` first (the bench drives the built app) | | | | | | |');
  else {
    const runs: { label: string; enhance: 'denoise' | 'sr2' | null }[] = [
      { label: 'enhancement off, run 1', enhance: null },
      { label: 'denoise, run 1', enhance: 'denoise' },
      { label: 'SR ×2, run 1', enhance: 'sr2' },
      { label: 'enhancement off, run 2', enhance: null },
      { label: 'denoise, run 2', enhance: 'denoise' },
      { label: 'SR ×2, run 2', enhance: 'sr2' },
    ];
    for (const r of runs) {
      const l = await measureFusionLatency(dataRoot, 15, 'cpu', 'software', r.enhance);
      const line = row(r.label, l);
      console.log(line);
      latencyRows.push(line);
    }
  }
  return [
    '## enhance — live ultrasound enhancement (denoise, SR ×2) in the device host',
    '',
    `Measured ${new Date().toISOString().slice(0, 10)} on: ${machine}. Models: the manifest's (\`models/\`, trained; cards beside them).`,
    '',
    `Per-frame time of each model in its EnhanceWorker (one worker thread, one onnxruntime thread, as the device host runs it) on the 820×616 frames of SpinePhantomFreehand.igs.mha, two passes over its 21 frames after 3 warm-up frames: the worker's own time (padding, conversion, inference) and the round trip the device host sees. At full resolution (a client without a display width) and on the display copy the device host runs the model on for the fusion view (display factor ${FUSION_FACTOR}: denoise on the frame binned ${FUSION_FACTOR}×${FUSION_FACTOR}, SR ×2 on the frame binned ${2 * FUSION_FACTOR}×${2 * FUSION_FACTOR}, its output as wide as the display copy; the binning itself not counted).`,
    '',
    `Speed targets of issue 22 (one worker thread, one onnxruntime thread; 40 timed crops of the spine phantom's frames after 3 warm-up frames; the worker's own time per frame) and the reference filter's time on the same 512 × 512 crop in this run (\`training/us_enhance/obnlm.py\`, numpy, one thread${ref.s ? '' : `: not measured here — ${ref.why}`}):`,
    '',
    ...qualityLines(),
    '| model | input → output | worker p50 / p95 (ms) | target p95 (ms) | | faster than the reference |',
    '|---|---|---|---|---|---|',
    ...targetRows,
    '',
    '| model | run on | input → output | frames | worker p50 / p95 (ms) | round trip p50 / p95 (ms) | frames/s (round trip p50) |',
    '|---|---|---|---|---|---|---|',
    ...workerRows,
    '',
    "Live fusion tracker → screen latency (`tests/bench/fusionLatency.ts`; built app in browser mode, Chromium with software compositing, CPU reslice, SpinePhantomFreehand.igs.mha replayed at 30 frames/s, 15 s after 5 s of warm-up, each run in a fresh host and browser) with the Fusion ultrasound view's enhancement off, denoise and SR ×2, alternated twice in this one run. With a model on, the fused frames are its output on the view's display copy (latest-wins in the device host: frames arriving while the model runs replace the waiting one) and the latency is still measured from the tracker sample that places the frame, so it includes the model's time; frames fused per second against the replay's 30.",
    '',
    '| enhancement | frames fused | dropped (latest-wins) | sample → page p50 / p95 (ms) | → on screen p50 / p95 (ms) | model in the device host p50 / p95 (ms) | min NCC |',
    '|---|---|---|---|---|---|---|',
    ...latencyRows,
    '',
  ].join('\n');
}

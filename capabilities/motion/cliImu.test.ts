/**
 * `twin imu`: its defaults reproduce x-io Fusion's reference orientation of
 * the real recording; a CSV without magnetometer columns runs the 6-axis
 * update; options, settings files and bad input.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { runImu } from './cliImu.js';
import { quaternionAngleDeg } from '../../electron/engine/motion/ahrs.js';
import { dataPath, describeData } from '../../tests/helpers/data.js';
import { tmpDir } from '../../tests/helpers/tmp.js';

const tmp = tmpDir('orthotwin-imu-');
afterAll(() => tmp.cleanup());

function readCsv(p: string): { header: string; rows: number[][] } {
  const lines = fs.readFileSync(p, 'utf8').trim().split(/\r?\n/);
  return { header: lines[0]!, rows: lines.slice(1).map((l) => l.split(',').map(Number)) };
}

/** Runs the command with console output captured. */
async function run(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const log = vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void out.push(a.join(' ')));
  const error = vi.spyOn(console, 'error').mockImplementation((...a: unknown[]) => void err.push(a.join(' ')));
  const write = vi.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => (out.push(String(s)), true));
  try {
    const code = await runImu(argv);
    return { code, out: out.join('\n'), err: err.join('\n') };
  } finally {
    log.mockRestore();
    error.mockRestore();
    write.mockRestore();
  }
}

describeData('twin imu on the x-io recording', () => {
  it('with the defaults writes the reference orientation (within 0.01°) and the same flags, with the CSV timestamps', async () => {
    const out = path.join(tmp.dir, 'q.csv');
    const r = await run([dataPath('imu/fusion_sensor_data.csv'), '--out', out, '--json']);
    expect(r.code, r.err).toBe(0);
    const summary = JSON.parse(r.out) as { samples: number; accelerometerIgnored: number; magnetometerIgnored: number; update: string };
    expect(summary).toMatchObject({ samples: 13514, accelerometerIgnored: 554, magnetometerIgnored: 1370 });
    expect(summary.update).toMatch(/^9-axis/);
    const got = readCsv(out);
    expect(got.header).toBe('t,qw,qx,qy,qz,roll,pitch,yaw,accelerationIgnored,magneticIgnored');
    const ref = readCsv(dataPath('imu/fusion_reference_advanced.csv'));
    const input = fs.readFileSync(dataPath('imu/fusion_sensor_data.csv'), 'utf8').trim().split(/\r?\n/).slice(1);
    expect(got.rows.length).toBe(ref.rows.length);
    const outText = fs.readFileSync(out, 'utf8').trim().split(/\r?\n/).slice(1);
    let max = 0;
    for (let i = 0; i < ref.rows.length; i++) {
      const g = got.rows[i]!;
      const f = ref.rows[i]!;
      expect(outText[i]!.split(',')[0]).toBe(input[i]!.split(',')[0]); // the CSV's own timestamp text
      max = Math.max(max, quaternionAngleDeg({ w: f[1]!, x: f[2]!, y: f[3]!, z: f[4]! }, { w: g[1]!, x: g[2]!, y: g[3]!, z: g[4]! }));
      for (let k = 5; k < 8; k++) {
        const d = Math.abs(g[k]! - f[k]!);
        expect(Math.min(d, 360 - d)).toBeLessThan(0.01);
      }
      expect(g[8]).toBe(f[8]);
      expect(g[9]).toBe(f[9]);
    }
    expect(max).toBeLessThan(0.01);
  });

  it('--no-magnetometer and a CSV without magnetometer columns both run the 6-axis update', async () => {
    const lines = fs.readFileSync(dataPath('imu/fusion_sensor_data.csv'), 'utf8').trim().split(/\r?\n/).slice(0, 2001);
    const noMagCsv = path.join(tmp.dir, 'nomag.csv');
    fs.writeFileSync(noMagCsv, lines.map((l) => l.split(',').slice(0, 7).join(',')).join('\n') + '\n');
    const a = path.join(tmp.dir, 'a.csv');
    const b = path.join(tmp.dir, 'b.csv');
    const full = path.join(tmp.dir, 'full.csv');
    fs.writeFileSync(full, lines.join('\n') + '\n');
    expect((await run([noMagCsv, '--out', a])).code).toBe(0);
    const rb = await run([full, '--out', b, '--no-magnetometer']);
    expect(rb.code).toBe(0);
    expect(rb.out).toMatch(/6-axis/);
    const ra = readCsv(a);
    expect(ra.rows.length).toBe(2000);
    expect(ra.rows.every((r) => r[9] === 1)).toBe(true); // no magnetometer: ignored
    expect(fs.readFileSync(a, 'utf8')).toBe(fs.readFileSync(b, 'utf8'));
    // heading held at zero during start-up (6-axis), so the first 3 s have yaw 0
    expect(Math.abs(ra.rows[100]![7]!)).toBeLessThan(1e-6);
  });
});

describe('twin imu options', () => {
  const csv = path.join(tmp.dir, 'synthetic.csv');
  fs.writeFileSync(
    csv,
    'Time (s),Gyroscope X (deg/s),Gyroscope Y (deg/s),Gyroscope Z (deg/s),Accelerometer X (g),Accelerometer Y (g),Accelerometer Z (g),Magnetometer X (uT),Magnetometer Y (uT),Magnetometer Z (uT)\n' +
      Array.from({ length: 600 }, (_, i) => `${(i / 200).toFixed(3)},0,0,0,0,0.05,1,20,0,-40`).join('\n') +
      '\n',
  );

  it('--rate and --settings set the AHRS (NED: a sensor at rest with its z axis up is upside down, roll ≈ ±180°)', async () => {
    const settings = path.join(tmp.dir, 's.json');
    fs.writeFileSync(settings, JSON.stringify({ convention: 'NED', gain: 1, offset: false }));
    const out = path.join(tmp.dir, 'ned.csv');
    const r = await run([csv, '--rate', '200', '--settings', settings, '--out', out, '--json']);
    expect(r.code, r.err).toBe(0);
    const s = JSON.parse(r.out) as { settings: { sampleRateHz: number; convention: string; gain: number; offset: unknown } };
    expect(s.settings).toMatchObject({ sampleRateHz: 200, convention: 'NED', gain: 1, offset: null });
    const last = readCsv(out).rows.at(-1)!;
    expect(Math.abs(last[5]!)).toBeGreaterThan(170);
    const nwu = path.join(tmp.dir, 'nwu.csv');
    expect((await run([csv, '--rate', '200', '--out', nwu])).code).toBe(0);
    expect(Math.abs(readCsv(nwu).rows.at(-1)![5]!)).toBeLessThan(5);
  });

  it('bad usage exits 2, unreadable files exit 1, both naming the problem', async () => {
    expect((await run([])).code).toBe(2);
    expect((await run([csv])).code).toBe(2);
    expect((await run([csv, '--out', path.join(tmp.dir, 'x.csv'), '--rate', '-3'])).code).toBe(2);
    expect((await run([csv, '--out', path.join(tmp.dir, 'x.csv'), '--bogus'])).code).toBe(2);
    const badSettings = path.join(tmp.dir, 'bad.json');
    fs.writeFileSync(badSettings, JSON.stringify({ convention: 'XYZ' }));
    const rs = await run([csv, '--out', path.join(tmp.dir, 'x.csv'), '--settings', badSettings]);
    expect(rs.code).toBe(2);
    expect(rs.err).toMatch(/convention/);
    const missing = await run([path.join(tmp.dir, 'nope.csv'), '--out', path.join(tmp.dir, 'x.csv')]);
    expect(missing.code).toBe(1);
    expect(missing.err).toMatch(/nope\.csv/);
    const broken = path.join(tmp.dir, 'broken.csv');
    fs.writeFileSync(
      broken,
      'Time (s),Gyroscope X (deg/s),Gyroscope Y (deg/s),Gyroscope Z (deg/s),Accelerometer X (g),Accelerometer Y (g),Accelerometer Z (g)\n0,0,0,0,0,0,abc\n',
    );
    const rb = await run([broken, '--out', path.join(tmp.dir, 'x.csv')]);
    expect(rb.code).toBe(1);
    expect(rb.err).toMatch(/row 2 column 7/);
  });
});

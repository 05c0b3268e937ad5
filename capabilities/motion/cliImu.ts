/**
 * `npm run twin -- imu <x-io CSV> [--rate HZ] [--no-magnetometer] [--settings settings.json] [--fixed-period] --out q.csv [--json]`
 *
 * Runs an IMU recording (x-io CSV: `Time (s), Gyroscope X/Y/Z (deg/s),
 * Accelerometer X/Y/Z (g)[, Magnetometer X/Y/Z (uT)]`) through the x-io
 * Fusion AHRS (electron/engine/motion/ahrs.ts) and writes, one row per
 * sample, `t,qw,qx,qy,qz,roll,pitch,yaw,accelerationIgnored,magneticIgnored`:
 * the CSV's timestamps (s), the quaternion earth ← sensor, the ZYX Euler
 * angles in degrees (as Fusion's FusionQuaternionToEuler) and the
 * accelerometer/magnetometer rejection flags (0/1).
 *
 * Defaults are the settings of the reference orientation of
 * `imu/fusion_reference_advanced.csv` (Fusion's advanced example): NWU,
 * gain 0.5, gyroscope range 2000 °/s, acceleration and magnetic rejection
 * 10°, rejection timeout 5 s, gyroscope offset correction with the library
 * defaults (3 °/s, 3 s) at the nominal rate, sample period from the
 * timestamp differences (the first 0), 9-axis update.
 * - `--rate HZ` sets the nominal rate (AHRS start-up ramp and recovery
 *   period, and the offset correction) — default 100 Hz;
 * - `--no-magnetometer` forces the 6-axis update (also used automatically
 *   when the CSV has no magnetometer columns);
 * - `--fixed-period` uses 1/rate instead of the timestamp differences;
 * - `--settings file.json` overrides any of: `convention` ("NWU" | "ENU" |
 *   "NED"), `gain`, `gyroscopeRange` (°/s, 0 = off), `accelerationRejection`
 *   and `magneticRejection` (degrees, 0 = off), `rejectionTimeout` (s,
 *   0 = off), `sampleRate` (Hz), `offset` (false to disable the offset
 *   correction, or `{ "stationaryThreshold": °/s, "stationaryPeriod": s }`),
 *   `periodFromTimestamps` (boolean). Command-line options win over the file.
 * Prints a summary (or JSON with `--json`). Exit code 0 on success, 1 on an
 * error (naming the file), 2 on bad usage.
 */
import fs from 'node:fs';
import path from 'node:path';
import {
  FUSION_ADVANCED_AHRS_SETTINGS,
  FUSION_DEFAULT_OFFSET_SETTINGS,
  parseImuCsv,
  processImu,
  type AhrsSettings,
  type EarthConvention,
  type GyroscopeOffsetSettings,
} from '../../electron/engine/motion/ahrs.js';

const USAGE = 'usage: twin imu <x-io CSV> [--rate HZ] [--no-magnetometer] [--settings settings.json] [--fixed-period] --out q.csv [--json]';

/** What a settings file may hold (Fusion's names and units). */
interface SettingsFile {
  convention?: EarthConvention;
  gain?: number;
  gyroscopeRange?: number;
  accelerationRejection?: number;
  magneticRejection?: number;
  rejectionTimeout?: number;
  sampleRate?: number;
  offset?: false | { stationaryThreshold?: number; stationaryPeriod?: number };
  periodFromTimestamps?: boolean;
}

const NUMERIC_KEYS = ['gain', 'gyroscopeRange', 'accelerationRejection', 'magneticRejection', 'rejectionTimeout', 'sampleRate'] as const;

/** Validates a parsed settings file; returns an error message or null. */
function checkSettings(s: unknown): string | null {
  if (typeof s !== 'object' || s === null || Array.isArray(s)) return 'must be a JSON object';
  const o = s as Record<string, unknown>;
  const known = new Set<string>([...NUMERIC_KEYS, 'convention', 'offset', 'periodFromTimestamps']);
  for (const k of Object.keys(o)) if (!known.has(k)) return `unknown key "${k}" (known: ${[...known].join(', ')})`;
  for (const k of NUMERIC_KEYS) {
    const v = o[k];
    if (v !== undefined && !(typeof v === 'number' && Number.isFinite(v) && v >= 0)) return `"${k}" must be a number ≥ 0`;
  }
  if (o['sampleRate'] === 0) return '"sampleRate" must be > 0';
  if (o['convention'] !== undefined && !['NWU', 'ENU', 'NED'].includes(o['convention'] as string)) return '"convention" must be "NWU", "ENU" or "NED"';
  if (o['periodFromTimestamps'] !== undefined && typeof o['periodFromTimestamps'] !== 'boolean') return '"periodFromTimestamps" must be true or false';
  const off = o['offset'];
  if (off !== undefined && off !== false) {
    if (typeof off !== 'object' || off === null) return '"offset" must be false or { stationaryThreshold, stationaryPeriod }';
    for (const [k, v] of Object.entries(off)) {
      if (k !== 'stationaryThreshold' && k !== 'stationaryPeriod') return `unknown key "offset.${k}"`;
      if (!(typeof v === 'number' && Number.isFinite(v) && v >= 0)) return `"offset.${k}" must be a number ≥ 0`;
    }
  }
  return null;
}

/** Formats a number for the output CSV: shortest round-trip text. */
const num = (x: number): string => String(x);

/**
 * Runs the `imu` command.
 * @param argv the arguments after `imu`
 * @returns the exit code (0 success, 1 error, 2 bad usage)
 */
export async function runImu(argv: string[]): Promise<number> {
  let csvPath = '',
    outPath = '',
    settingsPath = '',
    rate: number | null = null,
    noMag = false,
    fixedPeriod = false,
    json = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--out') outPath = argv[++i] ?? '';
    else if (a === '--settings') settingsPath = argv[++i] ?? '';
    else if (a === '--rate') {
      rate = Number(argv[++i]);
      if (!(rate > 0 && Number.isFinite(rate))) return (console.error(`--rate must be a positive number of Hz\n${USAGE}`), 2);
    } else if (a === '--no-magnetometer') noMag = true;
    else if (a === '--fixed-period') fixedPeriod = true;
    else if (a === '--json') json = true;
    else if (a === '--data-dir') i++;
    else if (a.startsWith('--')) return (console.error(`unknown option ${a}\n${USAGE}`), 2);
    else if (!csvPath) csvPath = a;
    else return (console.error(`unexpected argument ${a}\n${USAGE}`), 2);
  }
  if (!csvPath || !outPath) return (console.error(USAGE), 2);

  let file: SettingsFile = {};
  if (settingsPath) {
    try {
      const parsed: unknown = JSON.parse(await fs.promises.readFile(settingsPath, 'utf8'));
      const err = checkSettings(parsed);
      if (err) return (console.error(`${settingsPath}: ${err}`), 2);
      file = parsed as SettingsFile;
    } catch (e) {
      return (console.error(`${settingsPath}: ${(e as Error).message}`), 1);
    }
  }

  const ahrs: AhrsSettings = {
    sampleRateHz: rate ?? file.sampleRate ?? FUSION_ADVANCED_AHRS_SETTINGS.sampleRateHz,
    convention: file.convention ?? FUSION_ADVANCED_AHRS_SETTINGS.convention,
    gain: file.gain ?? FUSION_ADVANCED_AHRS_SETTINGS.gain,
    gyroscopeRangeDps: file.gyroscopeRange ?? FUSION_ADVANCED_AHRS_SETTINGS.gyroscopeRangeDps,
    accelerationRejectionDeg: file.accelerationRejection ?? FUSION_ADVANCED_AHRS_SETTINGS.accelerationRejectionDeg,
    magneticRejectionDeg: file.magneticRejection ?? FUSION_ADVANCED_AHRS_SETTINGS.magneticRejectionDeg,
    rejectionTimeoutS: file.rejectionTimeout ?? FUSION_ADVANCED_AHRS_SETTINGS.rejectionTimeoutS,
  };
  const offset: GyroscopeOffsetSettings | null =
    file.offset === false
      ? null
      : {
          sampleRateHz: ahrs.sampleRateHz,
          stationaryThresholdDps: file.offset?.stationaryThreshold ?? FUSION_DEFAULT_OFFSET_SETTINGS.stationaryThresholdDps,
          stationaryPeriodS: file.offset?.stationaryPeriod ?? FUSION_DEFAULT_OFFSET_SETTINGS.stationaryPeriodS,
        };
  const periodFromTimestamps = fixedPeriod ? false : (file.periodFromTimestamps ?? true);

  try {
    const t0 = performance.now();
    let parsed: ReturnType<typeof parseImuCsv>;
    try {
      parsed = parseImuCsv(await fs.promises.readFile(csvPath, 'utf8'));
    } catch (e) {
      return (console.error(`${csvPath}: ${(e as Error).message}`), 1);
    }
    const { samples, hasMagnetometer } = parsed;
    const sixAxis = noMag || !hasMagnetometer;
    const tp = performance.now();
    const out = processImu(samples, { ahrs, offset, periodFromTimestamps, noMagnetometer: sixAxis });
    const processMs = performance.now() - tp;
    const rows = ['t,qw,qx,qy,qz,roll,pitch,yaw,accelerationIgnored,magneticIgnored'];
    for (const o of out) {
      const q = o.quaternion;
      const e = o.euler;
      rows.push(
        `${num(o.t)},${num(q.w)},${num(q.x)},${num(q.y)},${num(q.z)},${e.roll.toFixed(6)},${e.pitch.toFixed(6)},${e.yaw.toFixed(6)},` +
          `${o.accelerometerIgnored ? 1 : 0},${o.magnetometerIgnored ? 1 : 0}`,
      );
    }
    try {
      await fs.promises.writeFile(outPath, rows.join('\n') + '\n');
    } catch (e) {
      return (console.error(`${outPath}: ${(e as Error).message}`), 1);
    }
    const summary = {
      input: path.resolve(csvPath),
      out: path.resolve(outPath),
      samples: out.length,
      durationS: out.length > 1 ? out[out.length - 1]!.t - out[0]!.t : 0,
      update: sixAxis ? '6-axis (gyroscope + accelerometer)' : '9-axis (gyroscope + accelerometer + magnetometer)',
      magnetometerInFile: hasMagnetometer,
      settings: { ...ahrs, offset, periodFromTimestamps },
      accelerometerIgnored: out.filter((o) => o.accelerometerIgnored).length,
      magnetometerIgnored: sixAxis ? null : out.filter((o) => o.magnetometerIgnored).length,
      samplesPerSecond: Math.round(out.length / Math.max(processMs / 1000, 1e-9)),
      totalMs: Math.round(performance.now() - t0),
    };
    if (json) process.stdout.write(JSON.stringify(summary, null, 2) + '\n');
    else {
      console.log(`${summary.samples} samples over ${summary.durationS.toFixed(3)} s, ${summary.update}`);
      console.log(
        `settings: ${ahrs.convention}, gain ${ahrs.gain}, gyroscope range ${ahrs.gyroscopeRangeDps} °/s, rejection ${ahrs.accelerationRejectionDeg}°/${ahrs.magneticRejectionDeg}° ` +
          `timeout ${ahrs.rejectionTimeoutS} s at ${ahrs.sampleRateHz} Hz, offset correction ${offset ? `${offset.stationaryThresholdDps} °/s, ${offset.stationaryPeriodS} s` : 'off'}, ` +
          `period ${periodFromTimestamps ? 'from timestamps' : `1/${ahrs.sampleRateHz} s`}`,
      );
      console.log(`accelerometer ignored in ${summary.accelerometerIgnored} samples` + (sixAxis ? '' : `, magnetometer in ${summary.magnetometerIgnored}`));
      console.log(`written ${summary.out} (${summary.totalMs} ms)`);
    }
    return 0;
  } catch (e) {
    console.error(`${csvPath}: ${(e as Error).message}`);
    return 1;
  }
}

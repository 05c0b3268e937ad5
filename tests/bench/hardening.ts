/**
 * `npm run bench -- hardening`: how the import pipeline and the twin store
 * stand up to adversarial input, on this machine.
 *
 * 1. Bad inputs: a deterministic corpus (truncated, empty and random files of
 *    every accepted format; NIfTI headers with impossible dims, datatypes,
 *    spacing or voxels; decompression bombs; detached headers pointing outside
 *    their folder or at nothing; broken DICOM series; odd folders and paths),
 *    each built by the CLI (`twin build <input> --data-dir <fresh> --json`) in
 *    its own process under `/usr/bin/time -f %M` with a timeout, classified
 *    (clear error / unclear error / crash / hang / accepted), then its store
 *    reopened and checked.
 * 2. Kills: the example CT's build SIGKILLed at 16 moments spread over the
 *    build, one data directory; after each the store is reopened (recovery) and
 *    checked; then a last build into that directory must succeed.
 * 3. Concurrent trials: two CLI builds started at once on one data directory
 *    (one must finish, the other refuse naming the first's pid), and four
 *    imports started at once in one process.
 * 4. Peak memory (max RSS) of the CLI build of legitimate inputs against the
 *    declared voxel bytes, less the CLI's own baseline.
 * Returns the docs/benchmarks.md section (run.ts writes it).
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { fileURLToPath } from 'node:url';
import { createServices, openTwinStore } from '../../electron/services/index.js';
import { STORE_SCHEMA } from '../../electron/platform/registry.js';
import { probeVolumeFile } from '../../electron/io/headers.js';
import { scanDicom, seriesBytes } from '../../electron/io/dicom.js';
import { listTwins } from '../../capabilities/twins/repo.js';
import { filesBelow } from '../helpers/tmp.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..', '..');
const CLI = path.join(root, 'electron', 'cli', 'twin.ts');
const TIMEOUT_MS = Number(process.env['BENCH_TIMEOUT_S'] ?? 180) * 1000;
const KILLS = 16;
const TIME_BIN = '/usr/bin/time';
const haveTime = fs.existsSync(TIME_BIN);

// ───────────────────────── child processes ─────────────────────────

interface Run {
  code: number | null;
  signal: string | null;
  timedOut: boolean;
  stdout: string;
  stderr: string;
  seconds: number;
  /** Seconds from the start to the first output on stderr (the CLI's first progress line); null when none. */
  firstStderrS: number | null;
  /** Max RSS (MB) from /usr/bin/time; null when not measured. */
  peakRssMb: number | null;
  pid: number;
  /** For a run killed on purpose: whether it had already exited. */
  exitedBeforeKill?: boolean;
}

const signalName = (n: number): string => Object.entries(os.constants.signals).find(([, v]) => v === n)?.[0] ?? `signal ${n}`;

/**
 * Runs `cmd` in its own process group; with `rss`, under /usr/bin/time -f %M (max RSS). The group is SIGKILLed
 * after `timeoutMs` (a hang). A kill on purpose (SIGKILL to the command itself): `kill.afterMs` after the start,
 * or after the first output on stderr when `kill.fromStderr`.
 */
function runProcess(cmd: string[], o: { rss?: boolean; timeoutMs?: number; kill?: { afterMs: number; fromStderr?: boolean } } = {}): Promise<Run> {
  const rssFile = path.join(os.tmpdir(), `hardening-rss-${process.pid}-${Math.random().toString(36).slice(2)}`);
  const argv = o.rss && haveTime ? [TIME_BIN, '-f', '%M', '-o', rssFile, ...cmd] : cmd;
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(argv[0]!, argv.slice(1), { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let stdout = '';
    let stderr = '';
    let firstStderrS: number | null = null;
    let timedOut = false;
    let exited = false;
    let exitedBeforeKill: boolean | undefined;
    let killer: NodeJS.Timeout | null = null;
    const armKill = (): void => {
      killer = setTimeout(() => {
        exitedBeforeKill = exited;
        if (!exited) child.kill('SIGKILL');
      }, o.kill!.afterMs);
    };
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => {
      if (firstStderrS === null) {
        firstStderrS = (performance.now() - t0) / 1000;
        if (o.kill?.fromStderr) armKill();
      }
      stderr += d.toString();
    });
    if (o.kill && !o.kill.fromStderr) armKill();
    const timer = setTimeout(() => {
      timedOut = true;
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        /* already gone */
      }
    }, o.timeoutMs ?? TIMEOUT_MS);
    child.on('error', reject);
    child.on('exit', () => (exited = true));
    child.on('close', (code, sig) => {
      clearTimeout(timer);
      if (killer) clearTimeout(killer);
      if (exitedBeforeKill === undefined && o.kill) exitedBeforeKill = true;
      const seconds = (performance.now() - t0) / 1000;
      let peakRssMb: number | null = null;
      let signal: string | null = sig;
      let exitCode = code;
      if (o.rss && haveTime && fs.existsSync(rssFile)) {
        const text = fs.readFileSync(rssFile, 'utf8');
        fs.rmSync(rssFile, { force: true });
        const kb = Number(text.trim().split('\n').at(-1));
        if (Number.isFinite(kb)) peakRssMb = kb / 1024;
        const m = /terminated by signal (\d+)/.exec(text);
        if (m) ((signal = signalName(Number(m[1]))), (exitCode = null));
      }
      resolve({
        code: exitCode,
        signal,
        timedOut,
        stdout,
        stderr,
        seconds,
        firstStderrS,
        peakRssMb,
        pid: child.pid!,
        ...(exitedBeforeKill === undefined ? {} : { exitedBeforeKill }),
      });
    });
  });
}

const cli = (args: string[]): string[] => [process.execPath, '--import', 'tsx', CLI, ...args];
const build = (input: string, dataDir: string, json = true): string[] => cli(['build', input, '--data-dir', dataDir, ...(json ? ['--json'] : [])]);

// ───────────────────────── store checks ─────────────────────────

interface StoreCheck {
  problems: string[];
  patients: number;
  emptyPatients: number;
  twins: number;
  /** What the dead process left that recovery removed (kills). */
  leftBehind: { staging: number; orphans: number };
}

/**
 * Reopens a data directory's store and checks it: integrity_check ok; every volume/artefact row's file present with
 * its recorded size; no file under store/ without a row (before and after recovery); every twin has artefacts; the
 * staging root holds only the reopened store's own empty folder; no job left running or queued; the lock released.
 * `cleanExit`: the process ended by itself, so any staging folder or unreferenced file it left is a problem too.
 */
function checkStore(dataDir: string, cleanExit: boolean): StoreCheck {
  const problems: string[] = [];
  const stagingRoot = path.join(dataDir, 'staging');
  const stagingBefore = fs.existsSync(stagingRoot) ? fs.readdirSync(stagingRoot) : [];
  const storeFilesBefore = filesBelow(path.join(dataDir, 'store')).map((f) => path.normalize(path.join('store', f)));
  let store;
  try {
    store = openTwinStore(dataDir);
  } catch (e) {
    return {
      problems: [`store does not open: ${(e as Error).message.slice(0, 120)}`],
      patients: 0,
      emptyPatients: 0,
      twins: 0,
      leftBehind: { staging: 0, orphans: 0 },
    };
  }
  let result: StoreCheck;
  try {
    const integrity = store.integrityCheck();
    if (integrity !== 'ok') problems.push(`integrity_check: ${integrity.slice(0, 120)}`);
    const referenced = new Set<string>();
    for (const q of STORE_SCHEMA.storeFiles) for (const r of store.db.prepare(q).all() as { rel_path: string }[]) referenced.add(path.normalize(r.rel_path));
    const sized = store.db.prepare('SELECT rel_path, bytes FROM volumes UNION ALL SELECT rel_path, bytes FROM artefacts').all() as {
      rel_path: string;
      bytes: number;
    }[];
    const size = new Map(sized.map((r) => [path.normalize(r.rel_path), r.bytes]));
    let missing = 0;
    let wrongSize = 0;
    for (const rel of referenced) {
      const st = fs.statSync(path.join(dataDir, rel), { throwIfNoEntry: false });
      if (!st) missing++;
      else if (size.has(rel) && st.size !== size.get(rel)) wrongSize++;
    }
    if (missing) problems.push(`${missing} row(s) whose file is missing`);
    if (wrongSize) problems.push(`${wrongSize} file(s) of another size than their row`);
    const orphansBefore = storeFilesBefore.filter((f) => !referenced.has(f)).length;
    const orphansAfter = filesBelow(store.storeDir)
      .map((f) => path.normalize(path.relative(dataDir, path.join(store.storeDir, f))))
      .filter((f) => !referenced.has(f)).length;
    if (orphansAfter) problems.push(`${orphansAfter} file(s) under store/ without a row after recovery`);
    if (cleanExit && orphansBefore) problems.push(`${orphansBefore} file(s) under store/ without a row`);
    if (cleanExit && stagingBefore.length) problems.push(`staging left behind: ${stagingBefore.join(', ')}`);
    const bare = (
      store.db.prepare('SELECT COUNT(*) AS n FROM twins t WHERE NOT EXISTS (SELECT 1 FROM artefacts a WHERE a.twin_id = t.id)').get() as { n: number }
    ).n;
    if (bare) problems.push(`${bare} twin row(s) without artefacts`);
    const staging = fs.readdirSync(store.stagingRoot);
    if (staging.length !== 1 || staging[0] !== path.basename(store.stagingDir) || filesBelow(store.stagingRoot).length)
      problems.push(`staging after reopening holds ${staging.join(', ')} (${filesBelow(store.stagingRoot).length} files)`);
    const running = store.listJobs(10_000).filter((j) => j.status === 'running' || j.status === 'queued').length;
    if (running) problems.push(`${running} job(s) left running or queued`);
    const count = (sql: string): number => (store.db.prepare(sql).get() as { n: number }).n;
    result = {
      problems,
      patients: count('SELECT COUNT(*) AS n FROM patients'),
      emptyPatients: count('SELECT COUNT(*) AS n FROM patients p WHERE NOT EXISTS (SELECT 1 FROM studies s WHERE s.patient_id = p.id)'),
      twins: count('SELECT COUNT(*) AS n FROM twins'),
      leftBehind: { staging: stagingBefore.length, orphans: orphansBefore },
    };
  } finally {
    store.close();
  }
  if (fs.existsSync(path.join(dataDir, 'orthotwin.lock'))) result.problems.push('lock file left after closing');
  return result;
}

// ───────────────────────── corpus ─────────────────────────

/** Deterministic pseudo-random bytes (mulberry32). */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const randomBytes = (n: number, seed: number): Buffer => {
  const r = prng(seed);
  return Buffer.from(Uint8Array.from({ length: n }, () => Math.floor(r() * 256)));
};

/** A NIfTI-1 single-file header (352 bytes). `dim0` overrides dim[0]. */
function niftiHeader(o: { dims: number[]; dim0?: number; datatype: number; bitpix: number; pixdim?: number[]; voxOffset?: number }): Buffer {
  const h = Buffer.alloc(352);
  h.writeInt32LE(348, 0);
  const dim = [o.dim0 ?? o.dims.length, ...o.dims];
  while (dim.length < 8) dim.push(1);
  dim.forEach((d, i) => h.writeInt16LE(d, 40 + 2 * i));
  h.writeInt16LE(o.datatype, 70);
  h.writeInt16LE(o.bitpix, 72);
  [1, ...(o.pixdim ?? [1, 1, 1]), 1, 1, 1, 1].slice(0, 8).forEach((v, i) => h.writeFloatLE(v, 76 + 4 * i));
  h.writeFloatLE(o.voxOffset ?? 352, 108);
  h.write('n+1\0', 344, 'latin1');
  return h;
}

/** A small CT-like phantom (int16 LE): air −1000, a soft-tissue ball, a bone core, seeded noise. */
function phantom(n: number, seed = 1): Buffer {
  const r = prng(seed);
  const b = Buffer.alloc(2 * n * n * n);
  const c = (n - 1) / 2;
  let i = 0;
  for (let z = 0; z < n; z++)
    for (let y = 0; y < n; y++)
      for (let x = 0; x < n; x++) {
        const d = Math.hypot(x - c, y - c, z - c) / (n / 2);
        const v = d < 0.35 ? 700 : d < 0.85 ? 40 : -1000;
        b.writeInt16LE(v + Math.round((r() - 0.5) * 20), 2 * i++);
      }
  return b;
}

/** A float32 NIfTI (.nii) whose voxels are `value` (or value + index for a ramp). */
function floatNifti(dims: [number, number, number], value: number, pixdim: number[] = [1, 1, 1]): Buffer {
  const n = dims[0] * dims[1] * dims[2];
  const data = Buffer.alloc(4 * n);
  for (let i = 0; i < n; i++) data.writeFloatLE(value, 4 * i);
  return Buffer.concat([niftiHeader({ dims, datatype: 16, bitpix: 32, pixdim }), data]);
}

/** `prefix` then `zeroBytes` zeros, compressed (gzip or zlib) in 64 MiB pieces: a decompression bomb of about 1 MB per GiB. */
async function compressedZeros(prefix: Buffer, zeroBytes: number, kind: 'gzip' | 'zlib'): Promise<Buffer> {
  const z = kind === 'gzip' ? zlib.createGzip({ level: 9 }) : zlib.createDeflate({ level: 9 });
  const chunks: Buffer[] = [];
  z.on('data', (c: Buffer) => chunks.push(c));
  const done = new Promise((r) => z.on('end', r));
  z.write(prefix);
  const zero = Buffer.alloc(64 * 1024 * 1024);
  for (let left = zeroBytes; left > 0; left -= zero.length)
    await new Promise<void>((r) => (z.write(zero.subarray(0, Math.min(left, zero.length))) ? r() : z.once('drain', () => r())));
  z.end();
  await done;
  return Buffer.concat(chunks);
}

interface BadInput {
  name: string;
  what: string;
  path: string;
  /** What a message that names the fault says (checked where the fault is unambiguous). */
  fault?: RegExp;
}

/** Writes the bad-input corpus into `dir`; DICOM cases only with the shared data. */
async function makeCorpus(dir: string, dataRoot: string | null): Promise<BadInput[]> {
  const out: BadInput[] = [];
  const file = (name: string, what: string, bytes: Buffer | string, fault?: RegExp): void => {
    const p = path.join(dir, name);
    fs.mkdirSync(path.dirname(p), { recursive: true });
    fs.writeFileSync(p, bytes);
    out.push({ name, what, path: p, ...(fault ? { fault } : {}) });
  };
  const EMPTY = /empty|0 bytes/;
  const TRUNCATED = /truncated|ends early|cut short/;
  const NOT_THE_FORMAT = /not a (NIfTI|NRRD|MetaImage|DICOM|readable)|magic|cannot be parsed|header/;
  const TOO_LARGE = /GiB|limit|too large/;
  const BOMB = /compressed|:1/;
  const N = 48;
  const pix = phantom(N);
  const nii = Buffer.concat([niftiHeader({ dims: [N, N, N], datatype: 4, bitpix: 16 }), pix]);
  const niiGz = zlib.gzipSync(nii);
  const mhaHead = (extra: string) => `ObjectType = Image\nNDims = 3\n${extra}ElementDataFile = LOCAL\n`;
  const mha = Buffer.concat([Buffer.from(mhaHead(`DimSize = ${N} ${N} ${N}\nElementSpacing = 1 1 1\nElementType = MET_SHORT\n`)), pix]);
  const nrrd = Buffer.concat([
    Buffer.from(`NRRD0004\ntype: short\ndimension: 3\nsizes: ${N} ${N} ${N}\nspacings: 1 1 1\nencoding: raw\nendian: little\n\n`),
    pix,
  ]);

  // the same three faults in every accepted format
  for (const [ext, good] of [
    ['nii.gz', niiGz],
    ['nii', nii],
    ['nrrd', nrrd],
    ['mha', mha],
  ] as const) {
    file(`empty.${ext}`, `0-byte .${ext}`, Buffer.alloc(0), EMPTY);
    file(`truncated.${ext}`, `a valid ${N}³ int16 .${ext} cut at 55 %`, good.subarray(0, Math.floor(good.length * 0.55)), TRUNCATED);
    file(`random.${ext}`, `64 KiB of random bytes named .${ext}`, randomBytes(65536, ext.length * 7919), NOT_THE_FORMAT);
  }
  file('random-gzip.nii.gz', 'a valid gzip stream of 64 KiB random bytes', zlib.gzipSync(randomBytes(65536, 31)), NOT_THE_FORMAT);
  file('empty.dcm', '0-byte .dcm', Buffer.alloc(0), EMPTY);
  file('random.dcm', '64 KiB of random bytes named .dcm', randomBytes(65536, 41), NOT_THE_FORMAT);
  file(
    'random-dicm-magic.dcm',
    '128-byte preamble + "DICM" + 64 KiB random bytes',
    Buffer.concat([Buffer.alloc(128), Buffer.from('DICM'), randomBytes(65536, 43)]),
  );
  const uncompressed = dataRoot ? path.join(dataRoot, 'dicom', 'pydicom_data', 'MR2_UNCR.dcm') : null;
  if (uncompressed && fs.existsSync(uncompressed)) {
    const src = fs.readFileSync(uncompressed);
    file('truncated.dcm', 'pydicom MR2_UNCR.dcm cut in half', src.subarray(0, Math.floor(src.length / 2)), TRUNCATED);
  }

  // NIfTI headers
  const body = (bytes: number): Buffer => Buffer.alloc(bytes);
  file(
    'huge-dims.nii.gz',
    'NIfTI header 2048×2048×512 int16 (4 GiB) + 4 KiB',
    zlib.gzipSync(Buffer.concat([niftiHeader({ dims: [2048, 2048, 512], datatype: 4, bitpix: 16 }), body(4096)])),
    TOO_LARGE,
  );
  file(
    'dims-32767.nii',
    'NIfTI header 32767³ int16 + 4 KiB',
    Buffer.concat([niftiHeader({ dims: [32767, 32767, 32767], datatype: 4, bitpix: 16 }), body(4096)]),
    TOO_LARGE,
  );
  file('negative-dim.nii', 'NIfTI dims 16×−16×16', Buffer.concat([niftiHeader({ dims: [16, -16, 16], datatype: 4, bitpix: 16 }), body(8192)]));
  file('dim0-zero.nii', 'NIfTI dim[0] = 0', Buffer.concat([niftiHeader({ dims: [16, 16, 16], dim0: 0, datatype: 4, bitpix: 16 }), body(8192)]));
  file('dim0-nine.nii', 'NIfTI dim[0] = 9', Buffer.concat([niftiHeader({ dims: [16, 16, 16], dim0: 9, datatype: 4, bitpix: 16 }), body(8192)]));
  file(
    'datatype-complex64.nii',
    'NIfTI datatype 32 (complex64)',
    Buffer.concat([niftiHeader({ dims: [16, 16, 16], datatype: 32, bitpix: 64 }), body(8 * 4096)]),
  );
  file('datatype-999.nii', 'NIfTI datatype 999 (none)', Buffer.concat([niftiHeader({ dims: [16, 16, 16], datatype: 999, bitpix: 16 }), body(8192)]));
  file(
    'rgb24.nii',
    'NIfTI datatype 128 (RGB, 3 components) 16³',
    Buffer.concat([niftiHeader({ dims: [16, 16, 16], datatype: 128, bitpix: 24 }), randomBytes(3 * 4096, 53)]),
  );
  file(
    'zero-spacing.nii',
    `NIfTI ${N}³ phantom, pixdim 1 × 0 × 1`,
    Buffer.concat([niftiHeader({ dims: [N, N, N], datatype: 4, bitpix: 16, pixdim: [1, 0, 1] }), pix]),
  );
  file(
    'nan-spacing.nii',
    `NIfTI ${N}³ phantom, pixdim NaN × 1 × 1`,
    Buffer.concat([niftiHeader({ dims: [N, N, N], datatype: 4, bitpix: 16, pixdim: [NaN, 1, 1] }), pix]),
  );
  file('nan-voxels.nii', 'NIfTI 16³ float32, every voxel NaN', floatNifti([16, 16, 16], NaN));
  file('one-voxel.nii', 'NIfTI 1×1×1 float32', floatNifti([1, 1, 1], 100), /voxel/);
  file('constant.nii', 'NIfTI 32³ float32, every voxel 40', floatNifti([32, 32, 32], 40));
  file(
    'vox-offset-past-end.nii',
    `NIfTI ${N}³ phantom, vox_offset 10⁶ (past the end)`,
    Buffer.concat([niftiHeader({ dims: [N, N, N], datatype: 4, bitpix: 16, voxOffset: 1e6 }), pix]),
    TRUNCATED,
  );
  console.log('hardening: compressing the decompression bombs (3 × 1 GiB of zeros)…');
  file(
    'bomb.nii.gz',
    'gzip bomb: NIfTI header 1024³ int8, then 1 GiB of zeros (≈1 MB gzip)',
    await compressedZeros(niftiHeader({ dims: [1024, 1024, 1024], datatype: 256, bitpix: 8 }), 1024 ** 3, 'gzip'),
    BOMB,
  );
  file(
    'bomb.nrrd',
    'gzip bomb: NRRD 1024³ uchar, encoding gzip (≈1 MB)',
    Buffer.concat([
      Buffer.from('NRRD0004\ntype: uchar\ndimension: 3\nsizes: 1024 1024 1024\nencoding: gzip\n\n'),
      await compressedZeros(Buffer.alloc(0), 1024 ** 3, 'gzip'),
    ]),
    BOMB,
  );
  file(
    'bomb.mha',
    'zlib bomb: MetaImage 1024³ MET_UCHAR, CompressedData = True (≈1 MB)',
    Buffer.concat([
      Buffer.from(mhaHead('DimSize = 1024 1024 1024\nElementType = MET_UCHAR\nCompressedData = True\n')),
      await compressedZeros(Buffer.alloc(0), 1024 ** 3, 'zlib'),
    ]),
    BOMB,
  );

  // MetaImage / NRRD headers
  file('secret.raw', '', Buffer.alloc(8, 7));
  out.pop(); // the target of the escaping headers, not an input
  const mhd = (df: string) => `ObjectType = Image\nNDims = 3\nDimSize = 2 2 2\nElementType = MET_UCHAR\nElementDataFile = ${df}\n`;
  file('in/outside.mhd', 'MetaImage header, ElementDataFile = ../secret.raw (outside its folder)', mhd('../secret.raw'));
  file('in/missing.mhd', 'MetaImage header, ElementDataFile = gone.raw (missing)', mhd('gone.raw'));
  const nhdr = (df: string) => `NRRD0004\ntype: uchar\ndimension: 3\nsizes: 2 2 2\nencoding: raw\ndata file: ${df}\n\n`;
  file('in/outside.nhdr', 'NRRD header, data file = absolute path outside its folder', nhdr(path.join(dir, 'secret.raw')));
  file('in/missing.nhdr', 'NRRD header, data file = gone.raw (missing)', nhdr('gone.raw'));
  file(
    'bad-type.mha',
    'MetaImage ElementType = MET_STRING',
    Buffer.concat([Buffer.from(mhaHead('DimSize = 16 16 16\nElementType = MET_STRING\n')), body(4096)]),
  );
  file(
    'bad-type.nrrd',
    'NRRD type: complex',
    Buffer.concat([Buffer.from('NRRD0004\ntype: complex\ndimension: 3\nsizes: 16 16 16\nencoding: raw\n\n'), body(4096)]),
  );
  file('bad-size.mha', 'MetaImage DimSize = 0 -4 8', Buffer.concat([Buffer.from(mhaHead('DimSize = 0 -4 8\nElementType = MET_UCHAR\n')), body(64)]));
  file('bad-size.nrrd', 'NRRD sizes: 8 x 8', Buffer.concat([Buffer.from('NRRD0004\ntype: uchar\ndimension: 3\nsizes: 8 x 8\nencoding: raw\n\n'), body(512)]));
  file(
    'huge-sizes.nrrd',
    'NRRD sizes 100000³ uchar',
    Buffer.concat([Buffer.from('NRRD0004\ntype: uchar\ndimension: 3\nsizes: 100000 100000 100000\nencoding: raw\n\n'), body(4096)]),
    TOO_LARGE,
  );
  file(
    'short-data.mha',
    'MetaImage 64³ MET_SHORT with 100 data bytes',
    Buffer.concat([Buffer.from(mhaHead('DimSize = 64 64 64\nElementType = MET_SHORT\n')), randomBytes(100, 59)]),
    TRUNCATED,
  );
  file(
    'broken-gzip.nrrd',
    'NRRD 16³ uchar, encoding gzip, data = random bytes',
    Buffer.concat([Buffer.from('NRRD0004\ntype: uchar\ndimension: 3\nsizes: 16 16 16\nencoding: gzip\n\n'), randomBytes(4096, 61)]),
  );
  file(
    'three-channels.mha',
    'MetaImage 16³ MET_UCHAR × 3 channels',
    Buffer.concat([Buffer.from(mhaHead('DimSize = 16 16 16\nElementType = MET_UCHAR\nElementNumberOfChannels = 3\n')), randomBytes(3 * 4096, 67)]),
  );
  file(
    'zero-spacing.mha',
    `MetaImage ${N}³ phantom, ElementSpacing 1 1 0`,
    Buffer.from(mha.toString('latin1').replace('ElementSpacing = 1 1 1', 'ElementSpacing = 1 1 0'), 'latin1'),
  );
  file('zero-spacing.nrrd', `NRRD ${N}³ phantom, spacings 1 0 1`, Buffer.from(nrrd.toString('latin1').replace('spacings: 1 1 1', 'spacings: 1 0 1'), 'latin1'));

  // DICOM series
  const series = dataRoot ? path.join(dataRoot, 'dicom', 'totalseg_ct_series_j2k') : null;
  if (series && fs.existsSync(series)) {
    const files = fs.readdirSync(series).sort();
    const folder = (name: string, what: string, fill: (d: string) => void): void => {
      const d = path.join(dir, name);
      fs.mkdirSync(d, { recursive: true });
      fill(d);
      out.push({ name: name + '/', what, path: d });
    };
    folder('dicom-duplicated-slice', `the ${files.length}-slice J2K CT series + slice 8 copied as copy-of-slice.dcm`, (d) => {
      for (const f of files) fs.copyFileSync(path.join(series, f), path.join(d, f));
      fs.copyFileSync(path.join(series, files[7]!), path.join(d, 'copy-of-slice.dcm'));
    });
    folder('dicom-uneven-spacing', 'the J2K CT series, slices 11–20 moved 0.7 mm (one 2.7 mm step among 2 mm)', (d) => {
      files.forEach((f, i) => {
        const b = Buffer.from(fs.readFileSync(path.join(series, f)));
        if (i >= 10) {
          const at = b.indexOf(Buffer.from([0x20, 0x00, 0x32, 0x00, 0x44, 0x53])); // (0020,0032) DS
          const len = b.readUInt16LE(at + 6);
          const text = b.toString('latin1', at + 8, at + 8 + len);
          const parts = text.trim().split('\\');
          const z = Number(parts[2]);
          const decimals = (parts[2]!.split('.')[1] ?? '').length || 1;
          const moved = [...parts.slice(0, 2), (z - 0.7).toFixed(decimals)].join('\\');
          if (moved.length > len) throw new Error(`cannot rewrite the position of ${f}`);
          b.write(moved.padEnd(len, ' '), at + 8, 'latin1');
        }
        fs.writeFileSync(path.join(d, f), b);
      });
    });
    folder('dicom-missing-slice', 'the J2K CT series without its 11th slice', (d) => {
      files.forEach((f, i) => i !== 10 && fs.copyFileSync(path.join(series, f), path.join(d, f)));
    });
    folder('dicom-30000px', 'one J2K slice whose Rows and Columns say 30000', (d) => {
      const b = Buffer.from(fs.readFileSync(path.join(series, files[0]!)));
      for (const tag of [0x0010, 0x0011]) {
        const at = b.indexOf(Buffer.from([0x28, 0x00, tag, 0x00, 0x55, 0x53, 0x02, 0x00])); // (0028,tag) US 2
        b.writeUInt16LE(30000, at + 8);
      }
      fs.writeFileSync(path.join(d, 'slice.dcm'), b);
    });
  }

  // folders and paths
  const dirInput = (name: string, what: string, fill: (d: string) => void = () => undefined): void => {
    const d = path.join(dir, name);
    fs.mkdirSync(d, { recursive: true });
    fill(d);
    out.push({ name: name + '/', what, path: d });
  };
  dirInput('not-dicom', 'a folder of a text file, a CSV and random bytes', (d) => {
    fs.writeFileSync(path.join(d, 'notes.txt'), 'scanned on the second floor\n');
    fs.writeFileSync(path.join(d, 'table.csv'), 'a,b\n1,2\n');
    fs.writeFileSync(path.join(d, 'blob.bin'), randomBytes(4096, 71));
  });
  dirInput('empty-folder', 'an empty folder');
  dirInput('symlink-loop', 'a folder holding a link to itself and two links to each other (a → b → a)', (d) => {
    fs.symlinkSync('.', path.join(d, 'self'));
    fs.symlinkSync('b', path.join(d, 'a'));
    fs.symlinkSync('a', path.join(d, 'b'));
  });
  fs.symlinkSync('self-link', path.join(dir, 'self-link'));
  out.push({ name: 'self-link', what: 'a symbolic link to itself', path: path.join(dir, 'self-link') });
  out.push({ name: 'does-not-exist.nii.gz', what: 'a path that does not exist', path: path.join(dir, 'does-not-exist.nii.gz') });
  dirInput('folder.nii.gz', 'an empty folder named like a NIfTI file');
  return out;
}

// ───────────────────────── classification ─────────────────────────

type Outcome = 'clear error' | 'unclear error' | 'crash' | 'hang' | 'accepted';
interface Classified {
  outcome: Outcome;
  code: string;
  message: string;
  /** Why an error is not clear. */
  why: string[];
}

const STACK = /^\s+at .+(:\d+:\d+\)?|\(native\))$/m;

function classify(r: Run, input: string): Classified {
  type CliError = { error?: { code?: string; message?: string } };
  let parsed: CliError | null;
  try {
    parsed = JSON.parse(r.stdout) as CliError;
  } catch {
    parsed = null;
  }
  const code = parsed?.error?.code ?? '';
  const message = (parsed?.error?.message ?? r.stderr.trim().split('\n').at(-1) ?? '').replace(/\s+/g, ' ');
  if (r.timedOut) return { outcome: 'hang', code, message: `no answer in ${TIMEOUT_MS / 1000} s`, why: [] };
  if (r.signal || r.code === null || [134, 137, 139].includes(r.code) || /FATAL ERROR|out of memory|Segmentation fault|Aborted/i.test(r.stderr))
    return { outcome: 'crash', code, message: r.signal ? `killed by ${r.signal}` : message, why: [] };
  if (r.code === 0) return { outcome: 'accepted', code: '', message: 'exit 0: a twin was built', why: [] };
  const why: string[] = [];
  if (!parsed?.error) why.push('no JSON error on stdout');
  if (code === 'INTERNAL') why.push('code INTERNAL');
  if (r.code !== 1) why.push(`exit ${r.code}`);
  if (!namesInput(message, input)) why.push(`message does not name ${path.basename(input)}`);
  if (STACK.test(r.stderr)) why.push('stack trace on stderr');
  return { outcome: why.length ? 'unclear error' : 'clear error', code, message, why };
}

/** The message names the input's base name, or (a folder) one of the files in it. */
function namesInput(message: string, input: string): boolean {
  if (message.includes(path.basename(input))) return true;
  try {
    return fs.statSync(input).isDirectory() && fs.readdirSync(input).some((f) => f.length > 3 && message.includes(f));
  } catch {
    return false;
  }
}

const mb = (x: number | null): string => (x === null ? '—' : x.toFixed(0));
const cell = (s: string): string => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
const short = (s: string, n = 100): string => (s.length > n ? s.slice(0, n) + '…' : s);

// ───────────────────────── the section ─────────────────────────

export async function hardeningSection(dataRoot: string | null, machine: string): Promise<string> {
  const t0 = performance.now();
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'orthotwin-hardening-'));
  const corpusDir = path.join(tmp, 'corpus');
  const dataDirs = path.join(tmp, 'data');
  fs.mkdirSync(dataDirs, { recursive: true });
  const ct = dataRoot ? path.join(dataRoot, 'ct', 'totalseg_example_ct.nii.gz') : null;
  const haveCt = !!ct && fs.existsSync(ct);
  const skipped: string[] = [];
  if (!dataRoot)
    skipped.push(
      'the shared data folder is absent: the DICOM cases, the tracked sequence, the kills, the concurrent trials and the real inputs of the memory table are skipped',
    );
  if (!haveTime) skipped.push(`${TIME_BIN} is absent: no peak memory figures`);
  const out: string[] = [];
  try {
    // 1. bad inputs
    const corpus = await makeCorpus(corpusDir, dataRoot);
    const rows: string[] = [];
    const results: { input: BadInput; c: Classified; run: Run; store: StoreCheck; faultNamed: boolean }[] = [];
    for (const [i, input] of corpus.entries()) {
      const dataDir = path.join(dataDirs, `bad-${i}`);
      const run = await runProcess(build(input.path, dataDir), { rss: true });
      const c = classify(run, input.path);
      const store = checkStore(dataDir, !run.timedOut && !run.signal);
      if (c.outcome !== 'accepted' && store.patients)
        store.problems.push(
          `${store.patients} patient row(s) left by the failed build (${store.patients - store.emptyPatients} with an imported series but no twin)`,
        );
      // the fault is looked for in the message without the input's name (truncated.nii names no fault by its name)
      const faultNamed = c.outcome !== 'clear error' || !input.fault || input.fault.test(c.message.split(path.basename(input.path)).join(''));
      results.push({ input, c, run, store, faultNamed });
      console.log(
        `hardening: ${input.name}: ${c.outcome}${c.code ? ` [${c.code}]` : ''} ${short(c.message, 90)} (${run.seconds.toFixed(1)} s, ${mb(run.peakRssMb)} MB)${store.problems.length ? ' STORE: ' + store.problems.join('; ') : ''}`,
      );
      rows.push(
        `| ${i + 1} | \`${cell(input.name)}\` | ${cell(input.what)} | ${c.outcome}${c.why.length ? ` (${c.why.join('; ')})` : ''}${faultNamed ? '' : ' (the message does not state the fault)'} | ${c.code || '—'} | ${cell(short(c.message))} | ${run.seconds.toFixed(1)} | ${mb(run.peakRssMb)} | ${store.problems.length ? cell(store.problems.join('; ')) : 'ok'} |`,
      );
    }
    const count = (o: Outcome): number => results.filter((r) => r.c.outcome === o).length;
    const inconsistent = results.filter((r) => r.store.problems.length).length;
    const badSummary = `${results.length} bad inputs tried / ${count('clear error')} clear errors / ${count('unclear error')} unclear / ${count('crash')} crashes / ${count('hang')} hangs / ${count('accepted')} accepted / ${inconsistent} stores left inconsistent`;
    const misleading = results.filter((r) => !r.faultNamed);
    const worstBad = [...results].sort((a, b) => (b.run.peakRssMb ?? 0) - (a.run.peakRssMb ?? 0))[0];

    // the tracked ultrasound sequence (neither good nor bad) and an STL
    const notes: string[] = [];
    const seq = dataRoot ? path.join(dataRoot, 'us', 'SpinePhantomFreehand.igs.mha') : null;
    if (seq && fs.existsSync(seq)) {
      const dataDir = path.join(dataDirs, 'tracked');
      const run = await runProcess(build(seq, dataDir), { rss: true });
      const c = classify(run, seq);
      const store = checkStore(dataDir, !run.timedOut && !run.signal);
      let what = `${c.outcome}${c.code ? ` [${c.code}]` : ''}: ${short(c.message, 320)}`;
      if (c.outcome === 'accepted') {
        const s = JSON.parse(run.stdout) as {
          dims: number[];
          spacingMm: number[];
          source: { modality: string };
          meshes: { skinTriangles: number; boneTriangles: number };
        };
        what = `accepted as a ${s.source.modality} volume of ${s.dims.join('×')} voxels at ${s.spacingMm.map((x) => +x.toFixed(3)).join('×')} mm (its frames stacked as slices), twin built: skin ${s.meshes.skinTriangles} triangles, bone ${s.meshes.boneTriangles}`;
      }
      notes.push(
        `Tracked sequence \`SpinePhantomFreehand.igs.mha\` (PLUS, 2D frames with tracking, not a 3D volume; not counted): outcome ${what} (${run.seconds.toFixed(1)} s, peak ${mb(run.peakRssMb)} MB, store ${store.problems.length ? store.problems.join('; ') : 'ok'}).`,
      );
      console.log(`hardening: tracked sequence: ${what}`);
    }
    {
      const stl = path.join(corpusDir, 'nan-vertex.stl');
      const b = Buffer.alloc(84 + 50);
      b.writeUInt32LE(1, 80);
      [0, 0, 1, 0, 0, 0, NaN, 0, 0, 0, 1, 0].forEach((v, i) => b.writeFloatLE(v, 84 + 4 * i));
      fs.writeFileSync(stl, b);
      const run = await runProcess(build(stl, path.join(dataDirs, 'stl')), { rss: true });
      const c = classify(run, stl);
      notes.push(
        c.outcome === 'clear error' && c.code === 'IMPORT_UNSUPPORTED'
          ? `STL with a NaN vertex: not in the corpus, \`build\` does not take meshes (answer: ${c.code}, "${short(c.message, 80)}").`
          : `STL with a NaN vertex: ${c.outcome} ${c.code} ${short(c.message)}.`,
      );
    }

    // 2. kills
    const killLines: string[] = [];
    let killsSummary = 'kills: skipped (no example CT)';
    let killNote = '';
    if (haveCt) {
      const dataDir = path.join(dataDirs, 'kills');
      const first = await runProcess(build(ct, dataDir, false));
      const firstStore = checkStore(dataDir, true);
      const duration = first.seconds;
      const stagesSeen = [
        ...new Set(
          first.stderr
            .split(/[\r\n]+/)
            .map((l) => l.replace(/^\s*\d+%\s*/, '').trim())
            .filter(Boolean),
        ),
      ];
      const tFirst = first.firstStderrS ?? 1.5;
      const span = duration - tFirst;
      console.log(
        `hardening: unkilled build ${duration.toFixed(1)} s (first progress at ${tFirst.toFixed(1)} s), exit ${first.code}; stages: ${stagesSeen.join(' | ')}`,
      );
      // two kills while the CLI starts (before it opens the store or prints progress), the rest spread from its first progress line to its end
      const STARTUP_KILLS = 2;
      const plan = [
        ...Array.from({ length: STARTUP_KILLS }, (_, k) => ({ afterMs: 1000 * (0.3 + ((0.8 * tFirst - 0.3) * k) / (STARTUP_KILLS - 1)), fromStderr: false })),
        ...Array.from({ length: KILLS - STARTUP_KILLS }, (_, k) => ({ afterMs: (1000 * 0.95 * span * k) / (KILLS - STARTUP_KILLS - 1), fromStderr: true })),
      ];
      let survived = 0;
      let cleanedStaging = 0;
      let cleanedOrphans = 0;
      let twins = firstStore.twins;
      for (const [k, kill] of plan.entries()) {
        const run = await runProcess(build(ct, dataDir, false), { kill });
        const when = kill.fromStderr ? `first progress + ${(kill.afterMs / 1000).toFixed(2)} s` : `start + ${(kill.afterMs / 1000).toFixed(2)} s`;
        const at = kill.fromStderr && run.firstStderrS !== null ? run.firstStderrS + kill.afterMs / 1000 : kill.afterMs / 1000;
        const stage =
          run.stderr
            .split(/[\r\n]+/)
            .map((l) => l.trim())
            .filter(Boolean)
            .at(-1) ?? '(starting: no progress line yet)';
        const s = checkStore(dataDir, false);
        const finished = run.exitedBeforeKill === true;
        const ok = s.problems.length === 0 && (finished ? run.code === 0 : true);
        if (ok) survived++;
        cleanedStaging += s.leftBehind.staging;
        cleanedOrphans += s.leftBehind.orphans;
        killLines.push(
          `| ${k + 1} | ${when} (${at.toFixed(2)} s) | ${cell(short(stage, 60))}${finished ? ' (had finished: not killed)' : ''} | ${s.leftBehind.staging} / ${s.leftBehind.orphans} | ${s.twins - twins} | ${s.problems.length ? cell(s.problems.join('; ')) : 'ok'} |`,
        );
        twins = s.twins;
        console.log(`hardening: kill ${k + 1} at ${when} (${stage}): ${s.problems.length ? s.problems.join('; ') : 'ok'}`);
      }
      const last = await runProcess(build(ct, dataDir));
      const lastStore = checkStore(dataDir, true);
      const lastOk = last.code === 0 && lastStore.problems.length === 0 && lastStore.twins === twins + 1;
      const emptyPatients = lastStore.emptyPatients;
      killsSummary = `kills survived: ${survived}/${KILLS}; the build after them into the same data directory ${lastOk ? 'succeeded' : `FAILED (exit ${last.code}: ${short(last.stdout + last.stderr, 160)}; store: ${lastStore.problems.join('; ') || 'ok'})`}`;
      killNote = [
        `One data directory (the example CT, ${first.code === 0 ? 'built once unkilled first' : `first unkilled build exit ${first.code}`}: ${duration.toFixed(1)} s, of which ${tFirst.toFixed(1)} s start-up before the first progress line; stages on stderr: ${stagesSeen.map((x) => `"${short(x, 40)}"`).join(', ')}). Then ${KILLS} builds SIGKILLed: ${STARTUP_KILLS} during start-up, ${KILLS - STARTUP_KILLS} evenly from the first progress line to 95 % of the rest of the build (timed from each run's own first progress line). After each, the store is reopened in this process (recovery) and checked: integrity_check ok, every volume and artefact row's file present at its recorded size, no file under store/ without a row, every twin with artefacts, the staging root holding only the reopened store's own empty folder, no job left running or queued, the lock released on close.`,
        `Recovery removed ${cleanedStaging} staging folder(s) and ${cleanedOrphans} unreferenced file(s) of killed processes in all. Patients without a study left behind by builds killed between creating the patient and committing the volume: ${emptyPatients} (not counted as a failure: the CLI removes its patient when the build fails, which a killed process cannot do).`,
      ].join('\n');
    } else skipped.push('kills: the example CT is absent');

    // 3. concurrent trials
    const concLines: string[] = [];
    let lost = 0;
    let trials = 0;
    let concNote = '';
    if (haveCt) {
      for (let t = 0; t < 5; t++) {
        trials++;
        const dataDir = path.join(dataDirs, `two-${t}`);
        const [a, b] = await Promise.all([runProcess(build(ct, dataDir)), runProcess(build(ct, dataDir))]);
        const store = checkStore(dataDir, true);
        const done = [a, b].filter((r) => r.code === 0);
        const refusedClearly = (r: Run, other: Run): boolean => {
          const msg = (JSON.parse(r.stdout || '{}') as { error?: { message?: string } }).error?.message ?? '';
          return r.code === 1 && new RegExp(`in use by another OrthoTwin process \\(pid ${other.pid} `).test(msg) && !STACK.test(r.stderr);
        };
        let verdict: string;
        let isLost = false;
        if (done.length === 2) verdict = 'both completed (no overlap)';
        else if (done.length === 1) {
          const winner = done[0]!;
          const loser = winner === a ? b : a;
          isLost = !refusedClearly(loser, winner);
          verdict = isLost
            ? `one completed; the other: exit ${loser.code} ${short(loser.stdout.replace(/\s+/g, ' '), 120)}`
            : `pid ${winner.pid} completed; pid ${loser.pid} refused naming pid ${winner.pid}`;
        } else {
          isLost = true;
          verdict = `neither completed (exits ${a.code}, ${b.code})`;
        }
        if (store.problems.length) isLost = true;
        if (isLost) lost++;
        const refusal =
          done.length === 1 ? ((JSON.parse((done[0] === a ? b : a).stdout || '{}') as { error?: { message?: string } }).error?.message ?? '') : '';
        concLines.push(
          `| ${t + 1} | ${cell(verdict)} | ${(Math.max(a.seconds, b.seconds) - Math.min(a.seconds, b.seconds)).toFixed(1)} | ${store.twins} | ${store.problems.length ? cell(store.problems.join('; ')) : 'ok'} | ${isLost ? 'LOST' : '—'} |`,
        );
        if (t === 0 && refusal) concNote = `The refusal reads: "${cell(short(refusal.replace(dataDir, '<data dir>'), 200))}".`;
        console.log(`hardening: two builds, trial ${t + 1}: ${verdict}; store ${store.problems.join('; ') || 'ok'}`);
      }
      // four imports at once in one process
      const dataDir = path.join(dataDirs, 'four');
      const host = createServices({ dataDir, transport: 'cli', keyStore: null });
      const tb = performance.now();
      let fourLine: string;
      try {
        const patients = await Promise.all(
          [1, 2, 3, 4].map((n) => host.impl.patients.create({ displayName: `concurrent ${n}`, mrn: '', birthDate: '', sex: '' })),
        );
        const ids = await Promise.all(patients.map((p) => host.impl.studies.import({ patientId: p.id, path: ct, strict: true, buildTwin: true })));
        const jobs = await Promise.all(ids.map((id) => host.jobs.wait(id)));
        const twinsOf = patients.map((p) => listTwins(host.store, p.id).length);
        for (let i = 0; i < 4; i++) {
          trials++;
          if (jobs[i]!.job.status !== 'done' || twinsOf[i] !== 1) lost++;
        }
        fourLine = `In one process (\`createServices\`), 4 imports + twin builds of the example CT started at once into 4 patients: jobs ${jobs.map((j) => j.job.status + (j.job.error ? ` [${j.job.error.code}: ${short(j.job.error.message, 80)}]` : '')).join(', ')}; twins stored per patient ${twinsOf.join(', ')}; ${((performance.now() - tb) / 1000).toFixed(1)} s in all.`;
      } finally {
        host.close();
      }
      const s = checkStore(dataDir, true);
      if (s.problems.length) {
        lost++;
        fourLine += ` Store: ${s.problems.join('; ')}.`;
      } else fourLine += ' Store checks ok.';
      concNote = [concNote, fourLine].filter(Boolean).join('\n');
      console.log(`hardening: ${fourLine}`);
    } else skipped.push('concurrent trials: the example CT is absent');

    // 4. peak memory
    const memRows: string[] = [];
    const memNotes: string[] = [];
    let worstRatio: { name: string; ratio: number; declared: number; peak: number } | null = null;
    let largeRatio: { ratio: number; declared: number; peak: number } | null = null;
    if (haveTime) {
      // helper scripts (files, not -e: the import worker inherits the parent's flags, and --input-type breaks it)
      const readScript = path.join(tmp, 'read-only.mts');
      fs.writeFileSync(
        readScript,
        `import { readVolume } from ${JSON.stringify(path.join(root, 'electron/io/readVolume.ts'))};
const { volume } = await readVolume(process.argv[2]);
const m = process.memoryUsage();
console.log(JSON.stringify({ type: volume.data.constructor.name, bytes: volume.data.byteLength, arrayBuffers: m.arrayBuffers }));
`,
      );
      const importScript = path.join(tmp, 'import-only.mts');
      fs.writeFileSync(
        importScript,
        `import { createServices } from ${JSON.stringify(path.join(root, 'electron/services/index.ts'))};
const h = createServices({ dataDir: process.argv[3], transport: 'cli', keyStore: null });
const p = await h.impl.patients.create({ displayName: 'memory', mrn: '', birthDate: '', sex: '' });
const { job } = await h.jobs.wait(await h.impl.studies.import({ patientId: p.id, path: process.argv[2], strict: true, buildTwin: false }));
h.close();
console.log(JSON.stringify({ status: job.status, error: job.error ?? null }));
`,
      );
      const node = (file: string, ...args: string[]): string[] => [process.execPath, '--import', 'tsx', file, ...args];
      const lastJson = <T>(r: Run): T | null => {
        for (const text of [r.stdout, r.stdout.trim().split('\n').at(-1) ?? ''])
          try {
            return JSON.parse(text) as T;
          } catch {
            /* not JSON */
          }
        return null;
      };

      const help = await runProcess(cli(['--help']), { rss: true });
      const tiny = path.join(tmp, 'tiny-8.nii');
      fs.writeFileSync(tiny, Buffer.concat([niftiHeader({ dims: [8, 8, 8], datatype: 4, bitpix: 16 }), phantom(8, 3)]));
      const tinyRun = await runProcess(build(tiny, path.join(dataDirs, 'tiny')), { rss: true });
      const tinyC = classify(tinyRun, tiny);
      const tinyRead = await runProcess(node(readScript, tiny), { rss: true });
      const baseline = tinyRun.peakRssMb ?? NaN;
      const readBaseline = tinyRead.peakRssMb ?? NaN;
      memNotes.push(
        `Baseline: \`twin --help\` peaks at ${mb(help.peakRssMb)} MB; the build of an 8×8×8 int16 phantom at **${mb(baseline)} MB** (${tinyC.outcome === 'accepted' ? 'twin built' : `it runs the import and the twin and then fails: ${tinyC.outcome} ${tinyC.code}, see the bad inputs`}; Node, tsx, itk-wasm, SQLite, the workers), the baseline of the ratio; \`readVolume\` alone of that phantom ${mb(readBaseline)} MB, the baseline of the read-alone ratio.`,
      );
      const large = path.join(tmp, 'large-512x512x400.nii.gz');
      console.log('hardening: writing the 512×512×400 int16 NIfTI (gzip)…');
      await writeLargeVolume(large, [512, 512, 400]);
      const legit: { name: string; input: string; extra: string[] }[] = [];
      if (dataRoot) {
        for (const [name, rel, extra] of [
          ['example CT (nii.gz)', 'ct/totalseg_example_ct.nii.gz', []],
          ['MR T1 head (nii.gz, --modality MR)', 'mr/niivue_chris_t1_head.nii.gz', ['--modality', 'MR']],
          ['MR FLAIR oblique (nrrd, --modality MR)', 'mr/niivue_FLAIR_oblique.nrrd', ['--modality', 'MR']],
          ['DICOM J2K CT series (folder)', 'dicom/totalseg_ct_series_j2k', []],
        ] as const)
          if (fs.existsSync(path.join(dataRoot, rel))) legit.push({ name, input: path.join(dataRoot, rel), extra: [...extra] });
      }
      legit.push({ name: 'generated 512×512×400 int16 (nii.gz)', input: large, extra: [] });
      for (const [i, { name, input, extra }] of legit.entries()) {
        const declared = await declaredBytes(input);
        const declaredMb = declared / 1024 ** 2;
        const run = await runProcess([...build(input, path.join(dataDirs, `mem-${i}`)), ...extra], { rss: true });
        const c = classify(run, input);
        const read = await runProcess(node(readScript, input), { rss: true });
        const dims = lastJson<{ dims: number[] }>(run)?.dims.join('×') ?? '—';
        const peak = run.peakRssMb ?? NaN;
        const ratio = (peak - baseline) / declaredMb;
        const readRatio = ((read.peakRssMb ?? NaN) - readBaseline) / declaredMb;
        if (c.outcome === 'accepted' && (!worstRatio || ratio > worstRatio.ratio)) worstRatio = { name, ratio, declared, peak };
        if (input === large) largeRatio = { ratio, declared, peak };
        memRows.push(
          `| ${name} | ${dims} | ${declaredMb.toFixed(1)} | ${c.outcome === 'accepted' ? 'built' : `${c.outcome} ${c.code}: ${cell(short(c.message, 80))}`} | ${run.seconds.toFixed(1)} | ${mb(peak)} | ${mb(peak - baseline)} | **${ratio.toFixed(2)}** | ${ratio < 2 ? 'met' : 'not met'} | ${mb(read.peakRssMb)} | ${readRatio.toFixed(2)} |`,
        );
        console.log(
          `hardening: memory ${name}: declared ${declaredMb.toFixed(1)} MiB, peak ${mb(peak)} MB, ratio ${ratio.toFixed(2)}; readVolume alone ${mb(read.peakRssMb)} MB (${c.outcome}, ${run.seconds.toFixed(1)} s)`,
        );
        if (input === large) {
          // where the large volume's memory goes: the read, and the import job without the twin
          const r = lastJson<{ type: string; bytes: number; arrayBuffers: number }>(read);
          const imp = await runProcess(node(importScript, input, path.join(dataDirs, 'mem-import-only')), { rss: true });
          const impJob = lastJson<{ status: string; error: { code: string; message: string } | null }>(imp);
          memNotes.push(
            `Where the generated volume's memory goes (${declaredMb.toFixed(0)} MiB declared; each a fresh process): \`readVolume\` alone peaks at ${mb(read.peakRssMb)} MB${r ? ` and, once it has returned, still holds ${(r.arrayBuffers / 1024 ** 2).toFixed(0)} MiB of ArrayBuffers for ${(r.bytes / 1024 ** 2).toFixed(0)} MiB of voxels (type ${r.type}): ${(r.arrayBuffers / r.bytes).toFixed(1)} copies of the voxels` : ` (exit ${read.code})`}; the import job without the twin (read in a worker thread, staged as NRRD, committed) peaks at ${mb(imp.peakRssMb)} MB (job ${impJob ? impJob.status + (impJob.error ? ` ${impJob.error.code}: ${short(impJob.error.message, 80)}` : '') : `exit ${imp.code}`}); the whole CLI build (import + twin) at ${mb(peak)} MB. So the read costs ${((read.peakRssMb ?? NaN) - readBaseline) / declaredMb > 0 ? (((read.peakRssMb ?? NaN) - readBaseline) / declaredMb).toFixed(1) : '?'}× the declared size on its own, the import job ${(((imp.peakRssMb ?? NaN) - baseline) / declaredMb).toFixed(1)}×, and the twin build adds the rest.`,
          );
        }
      }
    }

    // the section
    const worst = worstRatio as { name: string; ratio: number; declared: number; peak: number } | null;
    const largest = largeRatio as { ratio: number; declared: number; peak: number } | null;
    const goal = (r: number): string => (r < 2 ? 'met' : '**not met**');
    out.push(
      '## hardening — adversarial input, kills and concurrent builds against the import pipeline and the store',
      '',
      `Measured ${new Date().toISOString().slice(0, 10)} on: ${machine}. Whole bench ${((performance.now() - t0) / 60000).toFixed(1)} min.`,
      `Every run is the CLI in a fresh process (\`node --import tsx electron/cli/twin.ts build <input> --data-dir <fresh dir> --json\`) under \`/usr/bin/time -f %M\` (peak RSS), with a ${TIMEOUT_MS / 1000} s timeout; its data directory's store is reopened and checked afterwards. The corpus is generated deterministically (seeded bytes) into a temporary folder.`,
      ...skipped.map((s) => `Skipped: ${s}.`),
      '',
      '**Figures**',
      '',
      `- ${badSummary}${misleading.length ? `; of the clear errors, ${misleading.length} ${misleading.length === 1 ? 'does' : 'do'} not state the input's fault (${misleading.map((r) => `\`${r.input.name}\``).join(', ')})` : ''}`,
      `- ${killsSummary}`,
      trials
        ? `- concurrent trials lost: ${lost}/${trials} (5 pairs of CLI builds on one data directory, 4 simultaneous imports in one process)`
        : '- concurrent trials: skipped',
      worst
        ? `- peak memory of the worst input: ${worst.name}, ${mb(worst.peak)} MB for ${(worst.declared / 1024 ** 2).toFixed(1)} MiB declared, (peak − baseline) / declared = **${worst.ratio.toFixed(2)}×** (goal < 2×: ${goal(worst.ratio)})${largest ? `; the largest, the generated 512×512×400 int16 volume: ${mb(largest.peak)} MB for ${(largest.declared / 1024 ** 2).toFixed(0)} MiB declared, **${largest.ratio.toFixed(2)}×** (${goal(largest.ratio)})` : ''}; the worst bad input: \`${worstBad?.input.name}\` at ${mb(worstBad?.run.peakRssMb ?? null)} MB`
        : '- peak memory: not measured',
      '',
      '### Bad inputs',
      '',
      'Clear error = non-zero exit (1), a JSON error on stdout whose message names the input (its base name, or for a folder one of its files) with a code other than INTERNAL, and no stack trace on stderr; unclear error = any other non-zero exit; crash = killed by a signal, an abort or out of memory; hang = the timeout; accepted = exit 0 (a failure for a bad input). Where the fault is unambiguous (empty, truncated, not the format, too large, a bomb, one voxel) the message is also checked for stating it; a clear error that does not state it is marked. Store = after the run: integrity_check ok, no patient row left by the failed build, no staging folder or unreferenced file left, no job left running.',
      '',
      '| # | input | what | outcome | code | message (first 100 chars) | s | peak RSS (MB) | store |',
      '|---|---|---|---|---|---|---|---|---|',
      ...rows,
      '',
      ...notes.flatMap((n) => [n, '']),
      '### Kills during a build',
      '',
      killNote || 'Skipped.',
      '',
      ...(killLines.length
        ? [
            '| # | killed at | last stage on stderr | staging folders / orphan files recovery removed | twins added | checks after reopening |',
            '|---|---|---|---|---|---|',
            ...killLines,
            '',
          ]
        : []),
      '### Concurrent builds',
      '',
      ...(concLines.length
        ? [
            "Two CLI builds of the example CT started at the same moment on one (fresh) data directory, 5 times: one must complete and the other refuse, naming the first one's pid (the data-directory lock); lost = a run that neither completed nor refused so, or a store failing the checks.",
            '',
            '| trial | outcome | difference in wall time (s) | twins stored | store | lost |',
            '|---|---|---|---|---|---|',
            ...concLines,
            '',
            concNote,
            '',
          ]
        : ['Skipped.', '']),
      '### Peak memory against the declared volume size',
      '',
      ...(memRows.length
        ? [
            'CLI import + twin build (`twin build <input> --json`), each in a fresh process under `/usr/bin/time -f %M`; declared = the voxel bytes the header declares (columns × rows × slices × bytes per voxel); ratio = (peak − baseline) / declared; goal < 2×. Read alone = `readVolume(input)` in a fresh process (no store, no worker, no twin), its ratio against the read of the 8³ phantom. The generated volume is 512×512×400 int16 at 0.8×0.8×1 mm, a CT-like phantom (air, a soft-tissue ellipse with a slow ramp, two bone cylinders) with seeded noise, gzip level 6. Small inputs have large ratios from costs that do not scale with the volume (a DICOM series is read by a second WebAssembly module, @itk-wasm/dicom; the twin build runs in its own worker): the goal speaks to the large volume.',
            '',
            '| input | dims | declared (MiB) | outcome | s | peak RSS (MB) | − baseline (MB) | ratio | goal < 2× | read alone: peak (MB) | read alone: ratio |',
            '|---|---|---|---|---|---|---|---|---|---|---|',
            ...memRows,
            '',
            ...memNotes.flatMap((n) => [n, '']),
          ]
        : ['Skipped.', '']),
    );
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  return out.join('\n');
}

/** The voxel bytes a file's header (or a DICOM folder's headers) declare. */
async function declaredBytes(input: string): Promise<number> {
  if (fs.statSync(input).isDirectory()) return scanDicom(input).series.reduce((a, s) => a + seriesBytes(s), 0);
  return (await probeVolumeFile(input)).dataBytes;
}

/**
 * Writes a large int16 NIfTI (gzip level 6), slice by slice: a body ellipse (soft tissue, a slow ramp along z)
 * around two bone cylinders, air outside, seeded noise — CT-like, so it compresses as scans do and the twin is real.
 */
async function writeLargeVolume(file: string, dims: [number, number, number]): Promise<void> {
  const [nx, ny, nz] = dims;
  const gz = zlib.createGzip({ level: 6 });
  const sink = fs.createWriteStream(file);
  gz.pipe(sink);
  const closed = new Promise<void>((r) => sink.on('close', () => r()));
  const write = (b: Buffer): Promise<void> => new Promise((r) => (gz.write(b) ? r() : gz.once('drain', () => r())));
  await write(niftiHeader({ dims, datatype: 4, bitpix: 16, pixdim: [0.8, 0.8, 1] }));
  const r = prng(2024);
  const slice = Buffer.alloc(2 * nx * ny);
  for (let z = 0; z < nz; z++) {
    const ramp = Math.round((20 * z) / nz);
    let i = 0;
    for (let y = 0; y < ny; y++)
      for (let x = 0; x < nx; x++) {
        const ex = (x - nx / 2) / (0.42 * nx);
        const ey = (y - ny / 2) / (0.32 * ny);
        const bone = Math.hypot(x - 0.35 * nx, y - ny / 2) < 0.06 * nx || Math.hypot(x - 0.65 * nx, y - ny / 2) < 0.06 * nx;
        const v = ex * ex + ey * ey > 1 ? -1000 : bone ? 900 : 40 + ramp;
        slice.writeInt16LE(v + Math.round((r() - 0.5) * 16), 2 * i++);
      }
    await write(Buffer.from(slice));
  }
  gz.end();
  await closed;
}

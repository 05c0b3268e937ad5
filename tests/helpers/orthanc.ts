/**
 * A real Orthanc (Debian's `orthanc` + `orthanc-dicomweb`) on loopback for the
 * PACS tests: its own temporary configuration (storage in a temp folder, free
 * DICOM and HTTP ports, its AE title, OrthoTwin's C-STORE SCP registered in
 * `DicomModalities` as the C-MOVE destination, the DICOMweb plugin at
 * `/dicom-web/`, no authentication: loopback only). `startOrthanc` waits until
 * `/system` answers; `stop` sends SIGTERM and waits for the exit. The Debian
 * service itself is never used (CI installs the packages without starting it).
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

export const ORTHANC_BIN = process.env['ORTHANC_BIN'] ?? '/usr/sbin/Orthanc';
export const DICOMWEB_PLUGIN = '/usr/share/orthanc/plugins/libOrthancDicomWeb.so';

/** A TCP port free on 127.0.0.1 right now (the kernel's choice). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

export interface OrthancOptions {
  aet?: string;
  /** Modalities Orthanc knows (C-MOVE destinations): name → [AET, host, port]. */
  modalities?: Record<string, [string, string, number]>;
  /** Orthanc's own SCU timeout (s) for the C-STORE sub-operations of a C-MOVE. */
  scuTimeoutS?: number;
}

export interface OrthancPeer {
  aet: string;
  dicomPort: number;
  httpPort: number;
  url: string;
  dicomWebUrl: string;
  dir: string;
  proc: ChildProcess;
  /** Orthanc's REST API (JSON). */
  rest<T = unknown>(p: string, init?: RequestInit): Promise<T>;
  /** Pauses the process (SIGSTOP): a peer that stalls mid-transfer. */
  pause(): void;
  resume(): void;
  stop(): Promise<void>;
  log(): string;
}

export async function startOrthanc(o: OrthancOptions = {}): Promise<OrthancPeer> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'orthotwin-orthanc-'));
  const dicomPort = await freePort();
  const httpPort = await freePort();
  const aet = o.aet ?? 'ORTHANC_TEST';
  const config = {
    Name: 'OrthoTwin test PACS',
    StorageDirectory: path.join(dir, 'storage'),
    IndexDirectory: path.join(dir, 'storage'),
    HttpPort: httpPort,
    HttpBindAddress: '127.0.0.1',
    DicomPort: dicomPort,
    DicomBindAddress: '127.0.0.1',
    DicomAet: aet,
    DicomCheckCalledAet: true,
    RemoteAccessAllowed: false,
    AuthenticationEnabled: false,
    DicomAlwaysAllowEcho: true,
    DicomAlwaysAllowStore: true,
    DicomAlwaysAllowFind: true,
    DicomAlwaysAllowGet: true,
    DicomAlwaysAllowMove: true,
    DicomModalities: o.modalities ?? {},
    DicomScuTimeout: o.scuTimeoutS ?? 10,
    StableAge: 1,
    Plugins: [DICOMWEB_PLUGIN],
    DicomWeb: { Enable: true, Root: '/dicom-web/', EnableWado: false, Ssl: false, StudiesMetadata: 'Full', SeriesMetadata: 'Full' },
  };
  const cfg = path.join(dir, 'orthanc.json');
  fs.writeFileSync(cfg, JSON.stringify(config, null, 2));
  let out = '';
  const proc = spawn(ORTHANC_BIN, [cfg], { stdio: ['ignore', 'pipe', 'pipe'] });
  proc.stdout!.on('data', (b: Buffer) => (out += b.toString()));
  proc.stderr!.on('data', (b: Buffer) => (out += b.toString()));
  const url = `http://127.0.0.1:${httpPort}`;
  const rest = async <T>(p: string, init?: RequestInit): Promise<T> => {
    const r = await fetch(url + p, init);
    if (!r.ok) throw new Error(`Orthanc ${init?.method ?? 'GET'} ${p}: HTTP ${r.status} ${await r.text()}`);
    return (await r.json()) as T;
  };
  const t0 = Date.now();
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`Orthanc exited (${proc.exitCode}) before answering:\n${out.slice(-3000)}`);
    try {
      await rest('/system');
      break;
    } catch {
      if (Date.now() - t0 > 30_000) {
        proc.kill('SIGKILL');
        throw new Error(`Orthanc did not answer /system within 30 s:\n${out.slice(-3000)}`);
      }
      await new Promise((r) => setTimeout(r, 150));
    }
  }
  const stop = async (): Promise<void> => {
    if (proc.exitCode === null && proc.signalCode === null) {
      const exited = new Promise<void>((r) => proc.once('exit', () => r()));
      proc.kill('SIGCONT');
      proc.kill('SIGTERM');
      const timer = setTimeout(() => proc.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    }
    fs.rmSync(dir, { recursive: true, force: true });
  };
  return {
    aet,
    dicomPort,
    httpPort,
    url,
    dicomWebUrl: `${url}/dicom-web`,
    dir,
    proc,
    rest,
    pause: () => void proc.kill('SIGSTOP'),
    resume: () => void proc.kill('SIGCONT'),
    stop,
    log: () => out,
  };
}

/** A fresh `2.25.` UID (PS3.5 B.2) from 120 random bits. */
export const freshUid = (): string => `2.25.${BigInt('0x' + crypto.randomBytes(15).toString('hex')).toString()}`;

/**
 * A copy of the shared J2K CT series (`dicom/totalseg_ct_series_j2k`, whose SOP Class/Instance, study and series UIDs
 * are empty in the data set) in `outDir`, made storable with DCMTK's dcmodify: one fresh study and series UID for all
 * files, a fresh SOP Instance UID each (`-gin`), the CT Image Storage class, and the patient and description given.
 * @returns the UIDs and the files (`<name>.dcm`, mode 0644)
 */
export function j2kSeriesWithFreshUids(
  j2kDir: string,
  outDir: string,
  o: { patientName: string; patientId: string; studyDescription: string },
): { studyUid: string; seriesUid: string; files: string[] } {
  fs.mkdirSync(outDir, { recursive: true });
  for (const f of fs.readdirSync(j2kDir)) fs.copyFileSync(path.join(j2kDir, f), path.join(outDir, `${f}.dcm`));
  const files = fs.readdirSync(outDir).map((f) => path.join(outDir, f));
  for (const f of files) fs.chmodSync(f, 0o644);
  const studyUid = freshUid();
  const seriesUid = freshUid();
  execFileSync('dcmodify', [
    '-nb', '-gin',
    '-i', `(0020,000d)=${studyUid}`,
    '-i', `(0020,000e)=${seriesUid}`,
    '-i', '(0008,0016)=1.2.840.10008.5.1.4.1.1.2',
    '-i', `(0010,0010)=${o.patientName}`,
    '-i', `(0010,0020)=${o.patientId}`,
    '-i', `(0008,1030)=${o.studyDescription}`,
    ...files,
  ]); // prettier-ignore
  return { studyUid, seriesUid, files };
}

/**
 * Fusion sessions recorded as one unit (issue 5, item 7): the device
 * recording (PLUS sequences of every connected device, devicehost/recorder.ts)
 * plus `session.json` with what the fusion needs to run again identically on
 * replay — the setup's calibrations and the patient registration in use
 * (copies, so later calibrations do not change the replay), the prior volume,
 * the ultrasound source and the tools of the chain.
 */
import fs from 'node:fs';
import path from 'node:path';
import { AppError } from '../../electron/contract/errors.js';
import { FusionSession, toolPairRefusal, usesReferenceTool, type SessionStart } from './contract.js';
import type { TwinStore } from '../../electron/db/store.js';
import type { DevicesSupervisor } from '../../electron/services/devices.js';
import { currentCalibrations } from './calibrations.js';
import { getRegistration, listCalibrations } from './repo.js';
import { getPatient } from '../patients/repo.js';
import { getVolume } from '../studies/repo.js';

const MANIFEST = 'session.json';

function writeManifest(s: FusionSession): void {
  const file = path.join(s.dir, MANIFEST);
  fs.mkdirSync(s.dir, { recursive: true });
  const tmp = `${file}.tmp`;
  fs.writeFileSync(tmp, JSON.stringify(s, null, 2));
  fs.renameSync(tmp, file);
}

export class FusionSessions {
  private current: FusionSession | null = null;

  constructor(
    private readonly store: TwinStore,
    private readonly devices: Pick<DevicesSupervisor, 'startRecording' | 'stopRecording'>,
    private readonly recordingsDir: string,
    private readonly actorOf: () => string,
  ) {}

  /**
   * @throws AppError BAD_REQUEST when the chain goes through the reference tool and it is the probe tool
   * (`toolPairRefusal`; nothing is recorded); NOT_FOUND for an unknown patient, volume or registration; the device
   * host's error when a recording is already running
   */
  async start(o: SessionStart): Promise<FusionSession> {
    // the tools' trackers are the page's knowledge (the streams): the service refuses what the request itself shows
    const refusal = toolPairRefusal({
      probeTool: o.probeTool,
      referenceTool: o.referenceTool,
      throughReference: usesReferenceTool(o.registrationId, o.referenceTool),
    });
    if (refusal) throw new AppError('BAD_REQUEST', refusal);
    getPatient(this.store, o.patientId);
    const vol = getVolume(this.store, o.priorVolumeId);
    if (vol.patientId !== o.patientId) throw new AppError('BAD_REQUEST', `volume ${o.priorVolumeId} is not of patient ${o.patientId}`);
    const registration = o.registrationId ? getRegistration(this.store, o.registrationId) : null;
    const dir = path.join(this.recordingsDir, `${new Date().toISOString().replace(/[:.]/g, '-')}-fusion`);
    await this.devices.startRecording(dir);
    const s: FusionSession = {
      version: 1,
      dir,
      patientId: o.patientId,
      priorVolumeId: o.priorVolumeId,
      setup: o.setup,
      calibrations: currentCalibrations(listCalibrations(this.store, o.setup)),
      registration,
      ultrasoundDevice: o.ultrasoundDevice,
      probeTool: o.probeTool,
      referenceTool: o.referenceTool,
      startedAt: new Date().toISOString(),
      stoppedAt: null,
      files: [],
    };
    writeManifest(s);
    this.current = s;
    this.store.audit(this.actorOf(), 'session-start', 'patient', o.patientId, { dir, setup: o.setup, registrationId: o.registrationId });
    return s;
  }

  /** @throws AppError BAD_REQUEST when no session is being recorded */
  async stop(): Promise<FusionSession> {
    const s = this.current;
    if (!s) throw new AppError('BAD_REQUEST', 'no fusion session is being recorded');
    const files = await this.devices.stopRecording();
    this.current = null;
    const done: FusionSession = { ...s, stoppedAt: new Date().toISOString(), files };
    writeManifest(done);
    this.store.audit(this.actorOf(), 'session-stop', 'patient', s.patientId, { dir: s.dir, files: files.length });
    return done;
  }

  /**
   * Reads a recorded session: its folder or its session.json. The files are
   * looked up next to session.json (the folder may have been moved).
   * @throws AppError BAD_REQUEST naming the file when it is missing, not JSON, not a session, or its recorded files are gone
   */
  open(p: string): FusionSession {
    const file = fs.existsSync(p) && fs.statSync(p).isDirectory() ? path.join(p, MANIFEST) : p;
    let raw: unknown;
    try {
      raw = JSON.parse(fs.readFileSync(file, 'utf8'));
    } catch (e) {
      throw new AppError(
        'BAD_REQUEST',
        `${file}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such session (session.json)' : (e as Error).message}`,
        {
          file,
        },
      );
    }
    const parsed = FusionSession.safeParse(raw);
    if (!parsed.success)
      throw new AppError('BAD_REQUEST', `${file}: not a fusion session (${parsed.error.issues[0]?.path.join('.')} ${parsed.error.issues[0]?.message})`, {
        file,
      });
    const dir = path.dirname(file);
    const files = parsed.data.files.map((f) => ({ ...f, path: path.join(dir, path.basename(f.path)) }));
    const missing = files.filter((f) => !fs.existsSync(f.path));
    if (missing.length)
      throw new AppError('BAD_REQUEST', `${file}: recorded file(s) missing: ${missing.map((f) => path.basename(f.path)).join(', ')}`, { file });
    return { ...parsed.data, dir, files };
  }
}

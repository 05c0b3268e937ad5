/**
 * Fusion sessions: the devices recorded with the fusion's context
 * (calibrations, registration, volume, tools) as one unit, and a recorded
 * session replayed with its own calibrations, registration, volume and tools.
 */
import type { FusionSession, SessionStart } from '../contract.js';
import type { Client } from '../../../renderer/ipc/client.js';
import { formatDateTime } from '../../../renderer/app/format.js';
import type { Field } from './useField.js';
import type { PriorVolume } from './priorVolumes.js';

/** The fusion's context a recording starts with (the sessions.start request). */
export type SessionContext = SessionStart;

interface Props {
  client: Client;
  onError(e: unknown): void;
  /** The session being replayed (null: the live setup), and the one being recorded. */
  session: Field<FusionSession | null>;
  recording: Field<FusionSession | null>;
  sessionPath: Field<string>;
  /** Frames recorded so far (the devices' recording). */
  recordedFrames: number;
  context: SessionContext;
  volumes: PriorVolume[];
  /** A session was opened: the workspace takes its volume (series), registration and tools. */
  onOpened(session: FusionSession, seriesId: string): void;
  /** Connects the recording as a looping replay device and makes it the ultrasound source. */
  onReplay(path: string, speed: number): Promise<void>;
}

/** The "fusion session" panel: record the session, or replay a recorded one. */
export function SessionPanel({ client, onError, session, recording, sessionPath, recordedFrames, context, volumes, onOpened, onReplay }: Props) {
  /** Records the devices with the fusion's context as one session, or stops (the session's folder becomes the path to replay). */
  const toggleRecording = async (): Promise<void> => {
    try {
      if (recording.value) {
        const done = await client.call('sessions', 'stop');
        recording.set(null);
        sessionPath.set(done.dir);
      } else {
        recording.set(await client.call('sessions', 'start', context));
      }
    } catch (e) {
      onError(e);
    }
  };

  /** Replays a recorded session with its own calibrations, registration, volume and tools. */
  const openSession = async (): Promise<void> => {
    try {
      const s = await client.call('sessions', 'open', sessionPath.value);
      const vol = volumes.find((v) => v.volume.id === s.priorVolumeId);
      if (!vol) throw new Error(`${s.dir}: the session's volume is not among this patient's series (open its patient first)`);
      const image = s.files.find((f) => f.stream === 'image' && f.device === s.ultrasoundDevice) ?? s.files.find((f) => f.stream === 'image');
      if (!image) throw new Error(`${s.dir}: the session has no ultrasound recording`);
      onOpened(s, vol.series.id);
      await onReplay(image.path, 1);
    } catch (e) {
      onError(e);
    }
  };

  const s = session.value;
  return (
    <section className="panel" aria-label="fusion session">
      <div className="row" data-testid="fusion-session">
        <button onClick={() => void toggleRecording()} disabled={!!s} aria-pressed={!!recording.value}>
          {recording.value ? 'Stop recording the session' : 'Record session'}
        </button>
        {recording.value && (
          <span className="badge bad">
            recording {recordedFrames} frames into {recording.value.dir}
          </span>
        )}
        <input
          aria-label="Session path"
          value={sessionPath.value}
          onChange={(e) => sessionPath.set(e.target.value)}
          placeholder="Recorded fusion session (folder or session.json)"
          style={{ minWidth: 320 }}
        />
        <button disabled={!sessionPath.value || !!recording.value} onClick={() => void openSession()}>
          Replay session
        </button>
        {s && (
          <>
            <span className="badge sim">
              replaying the session of {formatDateTime(s.startedAt)} with its calibrations
              {s.registration ? ' and registration' : ''}
            </span>
            <button onClick={() => session.set(null)}>Back to the live setup</button>
          </>
        )}
      </div>
    </section>
  );
}

/**
 * The fusion workspace's setup: the prior volume, the acquisition setup and
 * its calibrations (ImageToProbe, CameraToTracker, the video's temporal
 * offset), the ultrasound source and the tracker tools, the patient
 * registration, and a tracked-ultrasound recording replayed as the live probe.
 */
import type { DeviceList } from '../../../electron/contract/index.js';
import type { CalibrationRecord, Registration } from '../contract.js';
import type { Twin } from '../../twins/contract.js';
import type { Client } from '../../../renderer/ipc/client.js';
import { RecordingInput } from '../../devices/ui/RecordingInput.js';
import { CalibrationsPanel } from './CalibrationsPanel.js';
import { madeText } from './calibrationText.js';
import { RegistrationPanel } from './RegistrationPanel.js';
import type { PriorVolume } from './priorVolumes.js';
import type { Field } from './useField.js';

interface Props {
  client: Client;
  patientId: string;
  onError(e: unknown): void;
  volumes: PriorVolume[];
  prior: PriorVolume;
  onSeries(seriesId: string): void;
  setup: Field<string>;
  calibrations: CalibrationRecord[];
  onCalibrationsChanged(): void;
  /** The calibrations in use (the setup's, or a replayed session's). */
  imageToProbe: CalibrationRecord | null;
  cameraToTracker: CalibrationRecord | null;
  temporalOffset: CalibrationRecord | null;
  /** Devices that can be the ultrasound source (`ultrasoundSources`: they provide image frames). */
  sources: DeviceList['devices'];
  usDevice: Field<string>;
  probeTool: Field<string>;
  referenceTool: Field<string>;
  /** Tool names seen on the streams. */
  tools: string[];
  /** Why the probe / reference pair is refused (`toolPairRefusal`), null when it is not. */
  toolRefusal: string | null;
  /** Whether the chain uses the reference tool (not through the depth camera). */
  referenceUsed: boolean;
  /** The prior series' twins with a skin mesh. */
  twins: Twin[];
  registration: Field<Registration | null>;
  captures: { label: string; path: string }[];
  recordings: { label: string; path: string }[];
  replayPath: Field<string>;
  replaySpeed: Field<string>;
  /** Connects the recording as a looping replay device and makes it the ultrasound source. */
  onReplay(path: string, speed: number): Promise<void>;
  /** Applies the temporal calibration's offset to the ultrasound source. */
  onApplyOffset(): Promise<void>;
}

const errorText = (c: CalibrationRecord): string => (c.errorMm !== null ? `, error ${c.errorMm.toFixed(2)} mm` : '');

/** The "fusion setup" panel; every value it edits is the workspace's state (`Field`s). */
export function FusionSetupPanel(p: Props) {
  const { imageToProbe, cameraToTracker, temporalOffset, usDevice } = p;
  return (
    <section className="panel" aria-label="fusion setup">
      <h2>Fusion setup</h2>
      <div className="row">
        <label>
          Prior volume{' '}
          <select aria-label="Prior volume" value={p.prior.series.id} onChange={(e) => p.onSeries(e.target.value)}>
            {p.volumes.map((v) => (
              <option key={v.series.id} value={v.series.id}>
                {v.label}
              </option>
            ))}
          </select>
        </label>
        {p.prior.volume.nominalGeometry && <span className="badge warn">volume in the tracker's Reference frame</span>}
      </div>
      <div className="row">
        <label>
          Setup <input aria-label="Setup" value={p.setup.value} onChange={(e) => p.setup.set(e.target.value)} style={{ width: 120 }} />
        </label>
        <span data-testid="image-to-probe" className={imageToProbe ? '' : 'muted'}>
          {imageToProbe
            ? `ImageToProbe: ${imageToProbe.method}, ${madeText(imageToProbe.calibratedAt)}${errorText(imageToProbe)}`
            : 'No probe calibration (ImageToProbe) for this setup: import one or calibrate the probe.'}
        </span>
      </div>
      <div className="row">
        <label>
          Ultrasound source{' '}
          <select aria-label="Ultrasound source" value={usDevice.value} onChange={(e) => usDevice.set(e.target.value)}>
            <option value="">{p.sources.length ? 'any ultrasound source' : 'no ultrasound source connected'}</option>
            {p.sources.map((d) => (
              <option key={d.id} value={d.id}>
                {d.name}
                {d.simulated ? ' (simulated)' : ''}
              </option>
            ))}
          </select>
        </label>
        <label>
          Probe tool{' '}
          <select aria-label="Probe tool" value={p.probeTool.value} onChange={(e) => p.probeTool.set(e.target.value)}>
            {[...new Set([p.probeTool.value, ...p.tools])].map((t) => (
              <option key={t}>{t}</option>
            ))}
          </select>
        </label>
        <label>
          Patient reference{' '}
          <select aria-label="Patient reference" value={p.referenceTool.value} onChange={(e) => p.referenceTool.set(e.target.value)}>
            {[...new Set([p.referenceTool.value, ...p.tools])].filter(Boolean).map((t) => (
              <option key={t}>{t}</option>
            ))}
            <option value="">none (volume in the tracker frame)</option>
          </select>
        </label>
        {!p.referenceUsed && (
          <span className="muted" data-testid="reference-unused">
            not used: the patient is placed through the depth camera registration
          </span>
        )}
      </div>
      {p.toolRefusal && (
        <div className="error" role="alert" data-testid="tool-refusal">
          {p.toolRefusal}
        </div>
      )}
      <CalibrationsPanel client={p.client} setup={p.setup.value} calibrations={p.calibrations} onChanged={p.onCalibrationsChanged} onError={p.onError} />
      <div className="row" data-testid="setup-calibrations">
        <span className={cameraToTracker ? '' : 'muted'}>
          {cameraToTracker
            ? `CameraToTracker: ${cameraToTracker.method}, ${madeText(cameraToTracker.calibratedAt)}${errorText(cameraToTracker)}`
            : 'No depth camera ↔ tracker calibration for this setup (needed to fuse through a skin registration).'}
        </span>
        {temporalOffset && (
          <>
            <span>
              Temporal offset of the video {temporalOffset.valueMs!.toFixed(1)} ms (NCC {(temporalOffset.residuals['peakNcc'] ?? NaN).toFixed(2)})
              {usDevice.value && ` · ${usDevice.value}: ${p.sources.find((d) => d.id === usDevice.value)?.timeOffsetMs ?? 0} ms now`}
            </span>
            <button disabled={!usDevice.value} onClick={() => void p.onApplyOffset()}>
              Apply to the ultrasound source
            </button>
          </>
        )}
      </div>
      <RegistrationPanel
        client={p.client}
        patientId={p.patientId}
        twins={p.twins}
        selected={p.registration.value}
        onSelect={p.registration.set}
        captures={p.captures}
        onError={p.onError}
      />
      {p.registration.value && !cameraToTracker && (
        <div className="badge warn">The registration places the camera in the image; without a CameraToTracker calibration no frame can be placed.</div>
      )}
      <div className="row">
        <RecordingInput
          label="Replay path"
          listId="fusion-recordings"
          value={p.replayPath.value}
          onChange={p.replayPath.set}
          placeholder="Tracked ultrasound recording (.igs.mha)"
          recordings={p.recordings}
        />
        <label>
          speed <input aria-label="Replay speed" value={p.replaySpeed.value} onChange={(e) => p.replaySpeed.set(e.target.value)} style={{ width: 40 }} />×
        </label>
        <button disabled={!p.replayPath.value} onClick={() => void p.onReplay(p.replayPath.value, Number(p.replaySpeed.value) || 1)}>
          Replay as live probe
        </button>
      </div>
    </section>
  );
}

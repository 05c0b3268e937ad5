/**
 * Study import: a path (typed, picked or dropped), the patient picker tree
 * from a scan (DICOM patient → study → series, with problems and skipped
 * files; a series already in the patient is asked about again before it is
 * imported a second time), then the import job. In browser mode picked/dropped files are
 * uploaded to the loopback host first (a browser gives no file paths).
 */
import { useRef, useState, type DragEvent } from 'react';
import type { Job } from '../../../electron/contract/index.js';
import type { Patient } from '../../patients/contract.js';
import type { ScanResult } from '../contract.js';
import type { SystemInfo } from '../../system/contract.js';
import type { Client } from '../../../renderer/ipc/client.js';
import { formatDate, formatDateTime } from '../../../renderer/app/format.js';
import { uploadFiles } from '../../../renderer/app/upload.js';

/** The study import of the open patient: path, scan, patient picker, import job (reported through onJob). */
export function ImportPanel(props: {
  client: Client;
  patient: Patient;
  samples: SystemInfo['sampleStudies'];
  busy: boolean;
  /** A twin is on screen and the study panels are folded: only the path row, unless a scan is under way. */
  compact?: boolean;
  onJob(j: Job): void;
  onError(e: unknown): void;
}) {
  const { client, patient, onError } = props;
  const [path, setPath] = useState('');
  const [scan, setScan] = useState<ScanResult | null>(null);
  const [scanning, setScanning] = useState(false);
  const [over, setOver] = useState(false);
  const [buildTwin, setBuildTwin] = useState(true);
  // the modality the user states for a file that does not state its own ('' = not stated)
  const [modality, setModality] = useState<'' | 'CT' | 'MR' | 'US'>('');
  // the user confirmed that a study whose identity differs from the open patient's belongs to this patient
  const [identityConfirmed, setIdentityConfirmed] = useState(false);
  // the identity dialog was put aside ("Look at the study first") without a decision: the import stays refused
  const [identityDismissed, setIdentityDismissed] = useState(false);
  // the series (its key in the scan) whose Import found it already in this patient: asked "Import again?" before importing
  const [asking, setAsking] = useState<string | null>(null);
  const fileInput = useRef<HTMLInputElement>(null);
  const folderInput = useRef<HTMLInputElement>(null);

  const doScan = async (p: string) => {
    setScan(null);
    setModality('');
    setIdentityConfirmed(false);
    setIdentityDismissed(false);
    setAsking(null);
    setScanning(true);
    try {
      setScan(await client.call('studies', 'scan', p, patient.id));
    } catch (e) {
      onError(e);
    } finally {
      setScanning(false);
    }
  };

  const doImport = async (seriesInstanceUid?: string, strict = true) => {
    try {
      const id = await client.call('studies', 'import', {
        patientId: patient.id,
        path: scan?.path ?? path,
        strict,
        buildTwin,
        ...(seriesInstanceUid ? { seriesInstanceUid } : {}),
        ...(modality ? { modality } : {}),
        ...(identityConfirmed ? { confirmIdentity: true } : {}),
      });
      props.onJob(await client.call('jobs', 'get', id));
      setScan(null);
      setAsking(null);
    } catch (e) {
      onError(e);
    }
  };

  const takeFiles = async (files: File[]) => {
    if (!files.length) return;
    try {
      const bridge = window.orthotwin as (typeof window.orthotwin & { pathForFile?(f: File): string }) | undefined;
      const p = bridge?.pathForFile ? bridge.pathForFile(files[0] as File) : await uploadFiles(client, files);
      setPath(p);
      await doScan(p);
    } catch (e) {
      onError(e);
    }
  };

  const onDrop = (e: DragEvent) => {
    e.preventDefault();
    setOver(false);
    void takeFiles([...e.dataTransfer.files]);
  };

  const oneSeries = scan?.patients.flatMap((p) => p.studies.flatMap((s) => s.series)) ?? [];
  const differences = scan?.patients.flatMap((p) => p.differences ?? []) ?? [];
  const needsConfirmation = differences.length > 0 && !identityConfirmed;
  const CONTENT: Record<string, string> = { volume: '3D volume', 'tracked-sequence': 'tracked 2D sequence', 'image-2d': '2D image', cine: 'cine loop' };

  return (
    <section className="import" aria-label="import">
      <div style={{ display: 'flex', gap: 8, alignItems: 'center' }}>
        <strong style={{ whiteSpace: 'nowrap' }} data-testid="patient-banner">
          {patient.displayName}
          <small className="muted" style={{ fontWeight: 'normal' }}>
            {' '}
            {[patient.mrn && `ID ${patient.mrn}`, patient.birthDate && `born ${formatDate(patient.birthDate)}`, patient.sex].filter(Boolean).join(' · ')}
          </small>
        </strong>
        <input
          type="text"
          aria-label="Study path"
          placeholder="Path of a DICOM folder or a .nii/.nii.gz/.nrrd/.mha file"
          value={path}
          onChange={(e) => setPath(e.target.value)}
        />
        <button onClick={() => void doScan(path)} disabled={!path || scanning || props.busy}>
          {scanning ? 'Scanning…' : 'Scan'}
        </button>
        <button onClick={() => fileInput.current?.click()} disabled={props.busy}>
          File…
        </button>
        <button onClick={() => folderInput.current?.click()} disabled={props.busy}>
          Folder…
        </button>
        <input ref={fileInput} type="file" hidden accept=".nii,.gz,.nrrd,.nhdr,.mha,.mhd,.dcm" onChange={(e) => void takeFiles([...(e.target.files ?? [])])} />
        <input
          ref={folderInput}
          type="file"
          hidden
          {...({ webkitdirectory: '' } as Record<string, string>)}
          onChange={(e) => void takeFiles([...(e.target.files ?? [])])}
        />
      </div>
      {!(props.compact && !scan) && props.samples.length > 0 && (
        <div style={{ display: 'flex', gap: 6, flexWrap: 'wrap', alignItems: 'center' }}>
          <small style={{ color: 'var(--muted)' }}>Example data:</small>
          {props.samples.map((s) => (
            <button key={s.path} onClick={() => (setPath(s.path), void doScan(s.path))} disabled={props.busy}>
              {s.label}
            </button>
          ))}
        </div>
      )}
      {!(props.compact && !scan) && (
        <label className="muted" style={{ fontSize: 12 }}>
          <input type="checkbox" checked={buildTwin} onChange={(e) => setBuildTwin(e.target.checked)} /> Build the anatomical twin after the import (CT and MR;
          clear it for a 3D ultrasound or another volume kept as is)
        </label>
      )}
      {!(props.compact && !scan) && (
        <div
          className={`dropzone${over ? ' over' : ''}`}
          onDragOver={(e) => (e.preventDefault(), setOver(true))}
          onDragLeave={() => setOver(false)}
          onDrop={onDrop}
        >
          Drop a study file or DICOM folder here
        </div>
      )}
      {scan && (
        <div aria-label="patient picker">
          <ul className="tree">
            {scan.patients.map((p) => (
              <li key={`${p.patientId}/${p.patientName}`}>
                {scan.kind === 'dicom'
                  ? `Patient ${p.patientName || '(no name)'} ${p.patientId ? `· ID ${p.patientId}` : '· no ID'}${p.birthDate ? ` · born ${p.birthDate.replace(/^(\d{4})(\d{2})(\d{2})$/, '$1-$2-$3')}` : ''}`
                  : 'Volume file'}
                {(p.differences ?? []).length > 0 && (
                  <div className="problem" role="alert" aria-label="identity differs" style={{ color: 'var(--danger)' }}>
                    This study may belong to another patient than {patient.displayName}:
                    <ul>
                      {p.differences!.map((d) => (
                        <li key={d}>{d}</li>
                      ))}
                    </ul>
                  </div>
                )}
                <ul className="tree">
                  {p.studies.map((s) => (
                    <li key={s.studyInstanceUid || s.studyDescription}>
                      {scan.kind === 'dicom'
                        ? `Study ${s.studyDate ? formatDate(s.studyDate.replace(/^(\d{4})(\d{2})(\d{2})$/, '$1-$2-$3')) : '(no date)'} ${s.studyDescription || '(no description)'}`
                        : s.studyDescription}
                      <ul className="tree">
                        {s.series.map((se) => (
                          <li key={se.seriesInstanceUid || se.seriesDescription}>
                            {scan.kind === 'dicom'
                              ? `${se.modality} series ${se.seriesNumber} ${se.seriesDescription} · ${se.columns}×${se.rows}×${se.frames} · ${CONTENT[se.content]}`
                              : `${se.seriesDescription} · ${CONTENT[se.content]}${se.modality ? ` · ${se.modality} (stated by the file)` : ''}`}{' '}
                            {scan.kind === 'file' && !se.modality && se.content === 'volume' && (
                              <label style={{ fontSize: 12 }}>
                                Modality{' '}
                                <select aria-label="Modality" value={modality} onChange={(e) => setModality(e.target.value as typeof modality)}>
                                  <option value="">not stated by the file: CT if its values are HU, else unknown (no twin)</option>
                                  <option value="CT">CT</option>
                                  <option value="MR">MR</option>
                                  <option value="US">US (3D ultrasound)</option>
                                </select>
                              </label>
                            )}
                            {se.problems.map((pr) => (
                              <div key={pr} className="problem">
                                {pr}
                              </div>
                            ))}
                            <button
                              className="primary"
                              disabled={props.busy || se.problems.length > 0 || needsConfirmation}
                              title={needsConfirmation ? 'Confirm the patient identity first' : undefined}
                              onClick={() =>
                                se.alreadyImported
                                  ? setAsking(se.seriesInstanceUid || se.seriesDescription)
                                  : void doImport(oneSeries.length > 1 ? se.seriesInstanceUid : undefined, scan.skipped.length === 0)
                              }
                            >
                              Import
                            </button>
                            {se.alreadyImported && (
                              <div className="muted" style={{ fontSize: 12 }}>
                                Already in this patient (imported {formatDateTime(se.alreadyImported.importedAt)})
                              </div>
                            )}
                            {se.alreadyImported && asking === (se.seriesInstanceUid || se.seriesDescription) && (
                              <div className="problem" role="alert" aria-label="already imported" style={{ display: 'grid', gap: 4 }}>
                                <span>
                                  This series is already in this patient:{' '}
                                  {[se.alreadyImported.modality === 'OT' ? 'modality unknown' : se.alreadyImported.modality, se.alreadyImported.description]
                                    .filter(Boolean)
                                    .join(' · ')}{' '}
                                  imported {formatDateTime(se.alreadyImported.importedAt)}. Import again?
                                </span>
                                <div className="row" style={{ gap: 6 }}>
                                  <button
                                    className="primary"
                                    disabled={props.busy || needsConfirmation}
                                    onClick={() => void doImport(oneSeries.length > 1 ? se.seriesInstanceUid : undefined, scan.skipped.length === 0)}
                                  >
                                    Import again
                                  </button>
                                  <button onClick={() => setAsking(null)}>Cancel</button>
                                </div>
                              </div>
                            )}
                          </li>
                        ))}
                      </ul>
                    </li>
                  ))}
                </ul>
              </li>
            ))}
          </ul>
          {differences.length > 0 && identityConfirmed && (
            <div className="problem" data-testid="identity-confirmed" style={{ display: 'flex', gap: 8, alignItems: 'center' }}>
              <span>
                You confirmed that this study belongs to <strong>{patient.displayName}</strong> despite the differences above; the import records it in the
                audit log.
              </span>
              <button onClick={() => setIdentityConfirmed(false)}>Withdraw</button>
            </div>
          )}
          {needsConfirmation && !identityDismissed && (
            <IdentityDialog
              patient={patient}
              study={scan.patients.find((p) => (p.differences ?? []).length > 0)!}
              onConfirm={() => setIdentityConfirmed(true)}
              onCancel={() => (setScan(null), setIdentityDismissed(false))}
              onLater={() => setIdentityDismissed(true)}
            />
          )}
          {needsConfirmation && identityDismissed && (
            <button className="problem" onClick={() => setIdentityDismissed(false)}>
              Check the patient identity…
            </button>
          )}
          {scan.skipped.length > 0 && (
            <div className="problem" style={{ color: 'var(--danger)' }}>
              {scan.skipped.length} file(s) are not DICOM images and will be skipped:{' '}
              {scan.skipped
                .slice(0, 3)
                .map((s) => s.reason)
                .join('; ')}
            </div>
          )}
          {scan.patients.length === 0 && <div className="problem">No image series found.</div>}
        </div>
      )}
    </section>
  );
}

type ScannedPatient = ScanResult['patients'][number];

/**
 * The wrong-patient check, as a modal over the workspace (it cannot be missed
 * in the small import panel): the open patient and the study's own identity
 * side by side, the differences as sentences, and an explicit tick before the
 * import is allowed; Cancel drops the scan, "Look at the study first" keeps
 * it with the import still refused.
 */
function IdentityDialog(props: { patient: Patient; study: ScannedPatient; onConfirm(): void; onCancel(): void; onLater(): void }) {
  const { patient, study } = props;
  const [ticked, setTicked] = useState(false);
  const dicomDate = (d: string | undefined): string => (d ? formatDate(d.replace(/^(\d{4})(\d{2})(\d{2})$/, '$1-$2-$3')) : '—');
  const rows: [string, string, string][] = [
    ['Name', patient.displayName, study.patientName || '(no name)'],
    ['Patient ID', patient.mrn || '—', study.patientId || '—'],
    ['Birth date', patient.birthDate ? formatDate(patient.birthDate) : '—', dicomDate(study.birthDate)],
    ['Sex', patient.sex || '—', study.sex || '—'],
  ];
  return (
    <div className="dialog-backdrop">
      <div
        className="dialog identity-dialog"
        role="alertdialog"
        aria-modal="true"
        aria-label="identity check"
        onKeyDown={(e) => e.key === 'Escape' && props.onLater()}
      >
        <div className="dialog-head">
          <h2>This study may belong to another patient</h2>
        </div>
        <p>
          The study&apos;s own patient identity differs from <strong>{patient.displayName}</strong>, the open patient. Check the request and the images before
          importing it into this record.
        </p>
        <table className="identity-compare">
          <thead>
            <tr>
              <th></th>
              <th>Open patient</th>
              <th>This study says</th>
            </tr>
          </thead>
          <tbody>
            {rows.map(([k, a, b]) => (
              <tr key={k} className={a.trim().toLowerCase() !== b.trim().toLowerCase() ? 'differs' : undefined}>
                <th>{k}</th>
                <td>{a}</td>
                <td>{b}</td>
              </tr>
            ))}
          </tbody>
        </table>
        <ul>
          {(study.differences ?? []).map((d) => (
            <li key={d}>{d}</li>
          ))}
        </ul>
        <label style={{ display: 'block', margin: '10px 0' }}>
          <input type="checkbox" autoFocus aria-label="Confirm patient identity" checked={ticked} onChange={(e) => setTicked(e.target.checked)} /> I have
          checked: this study belongs to {patient.displayName} (recorded in the audit log)
        </label>
        <div className="row" style={{ gap: 8, justifyContent: 'flex-end' }}>
          <button onClick={props.onLater}>Look at the study first</button>
          <button onClick={props.onCancel}>Cancel the import</button>
          <button className="primary" disabled={!ticked} onClick={props.onConfirm}>
            Confirm identity
          </button>
        </div>
      </div>
    </div>
  );
}

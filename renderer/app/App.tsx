/**
 * The application shell: patients on the left; for the open patient, the
 * import panel, the running job, and the planning view of the newest twin.
 */
import { useCallback, useEffect, useMemo, useState } from 'react';
import type { Job, Patient, StudyRecord, SystemInfo, Twin } from '../../electron/contract/index.js';
import { createClient, detectTransport, type Client } from '../ipc/client.js';
import { PatientsPanel } from '../features/patients/PatientsPanel.js';
import { ImportPanel } from '../features/patients/ImportPanel.js';
import { JobBar } from '../features/jobs/JobBar.js';
import { PlanningView } from '../features/planning/PlanningView.js';
import { DevicesWorkspace } from '../features/devices/DevicesWorkspace.js';
import { FusionWorkspace } from '../features/fusion/FusionWorkspace.js';
import { AccessGate } from '../features/auth/AccessGate.js';
import { UsersPanel } from '../features/auth/UsersPanel.js';
import { AdminPanel } from '../features/auth/AdminPanel.js';
import { SeriesExportPanel } from '../features/patients/SeriesExportPanel.js';

export function errorText(e: unknown): string {
  if (e && typeof e === 'object' && 'message' in e) {
    const code = 'code' in e ? `[${String((e as { code: unknown }).code)}] ` : '';
    return `${code}${String((e as { message: unknown }).message)}`;
  }
  return String(e);
}

export function App() {
  const [client, setClient] = useState<Client | null>(null);
  const [fatal, setFatal] = useState<string | null>(null);
  const [info, setInfo] = useState<SystemInfo | null>(null);
  const [patient, setPatient] = useState<Patient | null>(null);
  const [studies, setStudies] = useState<StudyRecord[]>([]);
  const [twins, setTwins] = useState<Twin[]>([]);
  const [twinIndex, setTwinIndex] = useState(0);
  const [job, setJob] = useState<Job | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [patientsVersion, setPatientsVersion] = useState(0);
  const [workspace, setWorkspace] = useState<'patients' | 'devices' | 'fusion' | 'users'>('patients');
  const reportError = useCallback((e: unknown) => setError(errorText(e)), []);

  useEffect(() => {
    try {
      const c = createClient(detectTransport());
      setClient(c);
      c.call('system', 'info').then(setInfo, (e: unknown) => setFatal(errorText(e)));
    } catch (e) {
      setFatal(errorText(e));
    }
  }, []);

  const refreshPatient = useCallback(
    async (p: Patient) => {
      if (!client) return;
      const [s, t] = await Promise.all([client.call('studies', 'list', p.id), client.call('twins', 'list', p.id)]);
      setStudies(s);
      setTwins(t);
      setTwinIndex(0);
    },
    [client],
  );

  useEffect(() => {
    if (!client) return;
    return client.on('jobs', 'onDidChangeJob', (payload) => {
      const j = payload as Job;
      setJob((cur) => (cur && cur.id === j.id ? j : cur));
      if (j.status === 'done' || j.status === 'failed' || j.status === 'cancelled') {
        if (j.status === 'failed' && j.error)
          setError(`${j.kind === 'import' ? 'Import' : j.kind === 'spine' ? 'Spine characterisation' : 'Twin build'} failed: ${j.error.message}`);
        if (patient) void refreshPatient(patient).catch((e: unknown) => setError(errorText(e)));
        setPatientsVersion((v) => v + 1);
      }
    });
  }, [client, patient, refreshPatient]);

  const openPatient = useCallback(
    (p: Patient) => {
      setPatient(p);
      setError(null);
      setStudies([]);
      setTwins([]);
      refreshPatient(p).catch((e: unknown) => setError(errorText(e)));
    },
    [refreshPatient],
  );

  const twin = twins[twinIndex] ?? null;
  const volume = useMemo(() => {
    if (!twin) return null;
    for (const s of studies) for (const se of s.series) if (se.volume?.id === twin.volumeId) return { volume: se.volume, modality: se.modality };
    return null;
  }, [twin, studies]);

  if (fatal)
    return (
      <div className="fatal" role="alert">
        <h1>OrthoTwin cannot start</h1>
        <p>{fatal}</p>
      </div>
    );
  if (!client) return <div className="notice">Connecting…</div>;

  return (
    <AccessGate client={client} onError={reportError}>
      {(auth, actions) => (
        <div className="shell">
          <aside className="sidebar">
            <h1 style={{ fontSize: 16, margin: '2px 0 6px' }}>OrthoTwin</h1>
            <nav className="nav" aria-label="workspaces">
              <button aria-pressed={workspace === 'patients'} onClick={() => setWorkspace('patients')}>
                Patients
              </button>
              <button aria-pressed={workspace === 'devices'} onClick={() => setWorkspace('devices')}>
                Devices
              </button>
              <button aria-pressed={workspace === 'fusion'} onClick={() => setWorkspace('fusion')}>
                Fusion
              </button>
              {(!auth.accountsEnabled || auth.user?.role === 'administrator') && (
                <button aria-pressed={workspace === 'users'} onClick={() => setWorkspace('users')}>
                  Users
                </button>
              )}
            </nav>
            {auth.user && (
              <div className="row" data-testid="signed-in">
                <span>
                  {auth.user.username} · {auth.user.role}
                </span>
                <button onClick={actions.lock}>Lock</button>
                <button onClick={actions.signOut}>Sign out</button>
              </div>
            )}
            <PatientsPanel
              client={client}
              selected={patient}
              onOpen={(p) => {
                setWorkspace('patients');
                openPatient(p);
              }}
              onError={(e) => setError(errorText(e))}
              version={patientsVersion}
            />
            {info && (
              <small style={{ color: 'var(--muted)', marginTop: 'auto' }}>
                v{info.version} · {info.transport} · data: {info.dataDir}
              </small>
            )}
          </aside>
          <main className="main">
            {error && (
              <div className="error" role="alert" data-testid="error">
                {error} <button onClick={() => setError(null)}>Dismiss</button>
              </div>
            )}
            {workspace === 'users' && (
              <>
                <UsersPanel client={client} status={auth} onChanged={actions.refresh} onError={reportError} />
                <AdminPanel client={client} storeEncrypted={info?.storeEncrypted ?? false} onError={reportError} />
              </>
            )}
            {workspace === 'devices' && <DevicesWorkspace client={client} recordings={info?.sampleRecordings ?? []} onError={reportError} />}
            {workspace === 'fusion' && (
              <FusionWorkspace
                client={client}
                patient={patient}
                studies={studies}
                twins={twins}
                recordings={info?.sampleRecordings ?? []}
                captures={[]}
                onError={reportError}
              />
            )}
            {workspace === 'patients' && !patient && <div className="notice">Create or open a patient to import a CT or MR study.</div>}
            {workspace === 'patients' && patient && (
              <>
                <ImportPanel
                  client={client}
                  patient={patient}
                  samples={info?.sampleStudies ?? []}
                  busy={job?.status === 'running' || job?.status === 'queued'}
                  onJob={(j) => {
                    setError(null);
                    setJob(j);
                  }}
                  onError={(e) => setError(errorText(e))}
                />
                <SeriesExportPanel client={client} studies={studies} onError={reportError} />
                {job && <JobBar client={client} job={job} onError={(e) => setError(errorText(e))} />}
                {twin && volume ? (
                  <PlanningView
                    key={twin.id}
                    client={client}
                    twin={twin}
                    twins={twins}
                    onSelectTwin={setTwinIndex}
                    onJob={setJob}
                    volume={volume.volume}
                    modality={volume.modality}
                    onError={(e) => setError(errorText(e))}
                  />
                ) : (
                  <div className="notice">{studies.length ? 'No twin yet for this patient.' : 'No study yet: import one above.'}</div>
                )}
              </>
            )}
          </main>
        </div>
      )}
    </AccessGate>
  );
}

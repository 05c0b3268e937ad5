/**
 * The application shell: the access gate, the sidebar (the workspaces' nav,
 * the signed-in user, the patients, Help) and the active workspace. The
 * workspaces and Help entries are the capabilities' UI contributions
 * (registry.ts); the shell holds what they share: the client, the
 * workstation's identity, the open patient with its studies and twins, and
 * the error bar. Everything held for a user lives in `Shell`, keyed by the
 * session: a sign-out or another user's sign-in starts from nothing (no open
 * patient, banner, kept workspace state or cached record of the previous
 * user); a lock clears the banners.
 */
import { useCallback, useEffect, useMemo, useState } from 'react';
import type { AuthStatus } from '../../capabilities/security/contract.js';
import type { Patient } from '../../capabilities/patients/contract.js';
import type { StudyRecord } from '../../capabilities/studies/contract.js';
import type { SystemInfo } from '../../capabilities/system/contract.js';
import type { Twin } from '../../capabilities/twins/contract.js';
import { createClient, detectTransport, type Client } from '../ipc/client.js';
import { PatientsPanel } from '../../capabilities/patients/ui/PatientsPanel.js';
import { AccessGate } from '../../capabilities/security/ui/AccessGate.js';
import { useJobEnds } from '../features/jobs/useJob.js';
import { errorText } from './errors.js';
import { ErrorBanner } from './ErrorBanner.js';
import { KeptStateProvider } from './keptState.js';
import type { OpenPatient, WorkspaceProps } from './contributions.js';
import { may, visibleTo } from './placement.js';
import { CONTRIBUTIONS, PATIENT_PANELS, SERIES_ACTIONS } from './registry.js';
import { HelpDialog, HelpMenu } from './HelpMenu.js';

const WORKSPACES = CONTRIBUTIONS.filter((c) => c.menu === 'workspace');
const HELP = CONTRIBUTIONS.filter((c) => c.menu === 'help');
const HOME = WORKSPACES.find((c) => c.home) ?? WORKSPACES[0];

/** The open patient's records, without the refresh (App state). */
type OpenRecords = Omit<OpenPatient, 'refresh'>;

/** The shell: connects, then shows the access gate and, behind it, the workspaces of the signed-in session. */
export function App() {
  const [client, setClient] = useState<Client | null>(null);
  const [fatal, setFatal] = useState<string | null>(null);
  const [info, setInfo] = useState<SystemInfo | null>(null);
  const [gateError, setGateError] = useState<string | null>(null);
  const reportGateError = useCallback((e: unknown) => setGateError(errorText(e)), []);

  useEffect(() => {
    try {
      const c = createClient(detectTransport());
      setClient(c);
      c.call('system', 'info').then(setInfo, (e: unknown) => setFatal(errorText(e)));
    } catch (e) {
      setFatal(errorText(e));
    }
  }, []);

  if (fatal)
    return (
      <div className="fatal" role="alert">
        <h1>OrthoTwin cannot start</h1>
        <p>{fatal}</p>
      </div>
    );
  if (!client) return <div className="notice">Connecting…</div>;

  return (
    <AccessGate client={client} onError={reportGateError}>
      {(auth, actions, sessionKey) => (
        <Shell key={sessionKey} client={client} info={info} auth={auth} actions={actions} gateError={gateError} clearGateError={() => setGateError(null)} />
      )}
    </AccessGate>
  );
}

/** One session's shell: the sidebar, the open patient, the banners and the active workspace (state of this session only). */
function Shell(props: {
  client: Client;
  info: SystemInfo | null;
  auth: AuthStatus;
  actions: { refresh(): void; signOut(): void; lock(): void };
  gateError: string | null;
  clearGateError(): void;
}) {
  const { client, info, auth, actions } = props;
  const [open, setOpen] = useState<OpenRecords | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [patientsVersion, setPatientsVersion] = useState(0);
  const [active, setActive] = useState<string | undefined>(HOME?.id);
  const [help, setHelp] = useState<string | null>(null);
  const reportError = useCallback((e: unknown) => setError(errorText(e)), []);
  const { clearGateError } = props;
  const clearError = useCallback(() => (setError(null), clearGateError()), [clearGateError]);
  const shown = error ?? props.gateError;

  // a lock hides the workspace and clears its banners (what they said stays out of sight of whoever comes next)
  useEffect(() => {
    if (auth.locked) clearError();
  }, [auth.locked, clearError]);

  const refreshPatient = useCallback(
    async (p: Patient) => {
      const [studies, twins]: [StudyRecord[], Twin[]] = await Promise.all([client.call('studies', 'list', p.id), client.call('twins', 'list', p.id)]);
      setOpen((cur) => (cur && cur.patient.id === p.id ? { patient: cur.patient, studies, twins } : cur));
    },
    [client],
  );

  // any job that ends (whoever started it) may have made a study or twin of the open patient; a failure names the job by its title
  useJobEnds(client, (j) => {
    if (j.status === 'failed' && j.error) setError(`${j.title} failed: ${j.error.message}`);
    if (open) void refreshPatient(open.patient).catch(reportError);
    setPatientsVersion((v) => v + 1);
  });

  const openPatient = useCallback(
    (p: Patient) => {
      setOpen({ patient: p, studies: [], twins: [] });
      setError(null);
      refreshPatient(p).catch(reportError);
    },
    [refreshPatient, reportError],
  );

  const openView: OpenPatient | null = useMemo(() => (open ? { ...open, refresh: () => refreshPatient(open.patient) } : null), [open, refreshPatient]);

  const workspaces = WORKSPACES.filter((c) => visibleTo(c, auth));
  const current = workspaces.find((c) => c.id === active) ?? workspaces.find((c) => c.home) ?? workspaces[0];
  const patientsChanged = useCallback(() => setPatientsVersion((v) => v + 1), []);
  const openPatientById = useCallback(
    async (id: string) => {
      const p = await client.call('patients', 'get', id);
      setPatientsVersion((v) => v + 1);
      setActive(HOME?.id);
      openPatient(p);
    },
    [client, openPatient],
  );
  const wprops: WorkspaceProps = {
    client,
    info,
    open: openView,
    session: { status: auth, ...actions },
    onError: reportError,
    clearError,
    patientsChanged,
    openPatientById,
    patientPanels: PATIENT_PANELS.filter((p) => visibleTo(p, auth)),
    seriesActions: SERIES_ACTIONS.filter((a) => visibleTo(a, auth)),
  };
  return (
    <KeptStateProvider>
      <div className="shell">
        <aside className="sidebar">
          <h1 style={{ fontSize: 16, margin: '2px 0 6px' }}>OrthoTwin</h1>
          <nav className="nav" aria-label="workspaces">
            {workspaces.map((c) => (
              <button key={c.id} aria-pressed={c === current} onClick={() => setActive(c.id)}>
                {c.title}
              </button>
            ))}
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
            canCreate={may(auth, 'patients.create')}
            can={(method) => may(auth, method)}
            selected={open?.patient ?? null}
            onEdited={(p) => setOpen((cur) => (cur && cur.patient.id === p.id ? { ...cur, patient: p } : cur))}
            onTrashed={(id) => setOpen((cur) => (cur && cur.patient.id === id ? null : cur))}
            onOpen={(p) => {
              setActive(HOME?.id);
              openPatient(p);
            }}
            onError={reportError}
            version={patientsVersion}
          />
          <div className="sidebar-foot">
            <HelpMenu entries={HELP.filter((c) => visibleTo(c, auth))} onOpen={setHelp} />
            {info && (
              <small style={{ color: 'var(--muted)' }} title={`${info.transport} · data folder ${info.dataDir} (Help → About)`}>
                OrthoTwin v{info.version}
              </small>
            )}
          </div>
        </aside>
        <main className="main">
          {shown && <ErrorBanner text={shown} onDismiss={clearError} />}
          {current && <current.component key={current.id} {...wprops} />}
        </main>
        <HelpDialog entry={HELP.find((c) => c.id === help && visibleTo(c, auth)) ?? null} props={wprops} onClose={() => setHelp(null)} />
      </div>
    </KeptStateProvider>
  );
}

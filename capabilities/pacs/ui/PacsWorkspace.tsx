/**
 * The PACS workspace (issue 24 §4): the query/retrieve browser. A node of the
 * site policy (`pacs.nodes`) with C-ECHO (the round trip OrthoTwin measured,
 * or the named error); a study query (patient name or ID with `*`/`?`
 * wildcards, study date range, modality, description) over C-FIND or QIDO-RS;
 * the studies the PACS answered, each marked when the twin store already
 * holds it (`pacs.held`), expandable to its series (series-level C-FIND /
 * QIDO-RS); Retrieve of a study or a series by C-MOVE, C-GET or WADO-RS into
 * the open patient or the patient of the PACS's identity — a job with its
 * progress bar and Cancel; a failure named (PACS not reachable, association
 * rejected, timed out, incomplete series) with Retry, which resumes (the
 * instances already received are kept); after success the counts and timing
 * of the transfer and a button to open the imported study.
 */
import { useCallback, useEffect, useState } from 'react';
import type { Job } from '../../../electron/contract/index.js';
import type { WorkspaceProps } from '../../../renderer/app/contributions.js';
import { errorText, splitErrorText } from '../../../renderer/app/errors.js';
import { useKeptState } from '../../../renderer/app/keptState.js';
import { may } from '../../../renderer/app/placement.js';
import { JobBar } from '../../../renderer/features/jobs/JobBar.js';
import { useJob } from '../../../renderer/features/jobs/useJob.js';
import type { FindHit, HeldStudy, PacsNode, RetrievalInfo, RetrieveVia } from '../contract.js';
import { EMPTY_QUERY, failureKind, faultName, findQueryOf, showDicomDate, showMulti, showPersonName, type QueryForm } from './pacsText.js';

type FindVia = 'c-find' | 'qido-rs';

interface NodesInfo {
  nodes: PacsNode[];
  localAet: string;
  storePort: number;
}

interface Results {
  node: string;
  via: FindVia;
  at: string;
  hits: FindHit[];
  held: HeldStudy[];
}

interface RetrieveOptions {
  via: RetrieveVia;
  /** 'open': into the open patient; 'pacs': the patient of the PACS's PatientID (created from its identity if none). */
  into: 'open' | 'pacs';
  buildTwin: boolean;
}

/** A retrieval started here: what was asked (for Retry), its job, and once it ends its outcome. */
interface Run {
  node: string;
  hit: FindHit;
  via: RetrieveVia;
  patientId: string | undefined;
  intoName: string;
  buildTwin: boolean;
  confirmIdentity: boolean;
  job: Job;
  info: RetrievalInfo | null;
}

const VIA_LABEL: Record<RetrieveVia, string> = { 'c-move': 'C-MOVE', 'c-get': 'C-GET', 'wado-rs': 'WADO-RS' };

/** What a hit is, in a few words (for buttons and the run's heading). */
const hitLabel = (h: FindHit): string =>
  h.level === 'series'
    ? `series ${h.seriesNumber ? `${h.seriesNumber} ` : ''}${h.seriesDescription || h.modality || h.seriesUid || ''}`.trim()
    : `study ${showDicomDate(h.studyDate)} ${h.studyDescription || ''}`.trim();

/** The PACS query/retrieve browser (clinical roles). */
export function PacsWorkspace({ client, open, session, onError, clearError, openPatientById, patientsChanged }: WorkspaceProps) {
  const can = (m: string): boolean => may(session.status, m);
  const [nodes, setNodes] = useState<NodesInfo | null>(null);
  const [nodeName, setNodeName] = useKeptState<string>('pacs.node', '');
  const [echo, setEcho] = useState<{ node: string; text: string; ok: boolean } | null>(null);
  const [form, setForm] = useKeptState<QueryForm>('pacs.form', EMPTY_QUERY);
  const [findVia, setFindVia] = useKeptState<FindVia>('pacs.findVia', 'c-find');
  const [results, setResults] = useKeptState<Results | null>('pacs.results', null);
  const [queryProblem, setQueryProblem] = useState<string | null>(null);
  const [querying, setQuerying] = useState(false);
  const [series, setSeries] = useState<Record<string, FindHit[] | string>>({});
  const [opts, setOpts] = useKeptState<RetrieveOptions>('pacs.retrieveOptions', { via: 'c-move', into: 'pacs', buildTwin: true });
  const [run, setRun] = useKeptState<Run | null>('pacs.run', null);
  const [startProblem, setStartProblem] = useState<string | null>(null);

  useEffect(() => {
    let gone = false;
    client.call('pacs', 'nodes').then(
      (n) => {
        if (gone) return;
        setNodes(n);
        setNodeName((cur) => (cur && n.nodes.some((x) => x.name === cur) ? cur : (n.nodes[0]?.name ?? '')));
      },
      (e: unknown) => gone || onError(e),
    );
    return () => {
      gone = true;
    };
  }, [client, onError, setNodeName]);

  const node = nodes?.nodes.find((n) => n.name === nodeName) ?? null;
  const web = !!node?.dicomWebUrl;

  const refreshHeld = useCallback(
    async (hits: FindHit[]) => {
      const held = await client.call(
        'pacs',
        'held',
        hits.map((h) => h.studyUid),
      );
      setResults((r) => (r && r.hits === hits ? { ...r, held } : r));
    },
    [client, setResults],
  );

  // the retrieval's job: progress, Cancel, and its outcome when it ends
  const onEnd = useCallback(
    (j: Job) => {
      void client.call('pacs', 'retrieval', j.id).then(
        (info) => setRun((r) => (r && r.job.id === j.id ? { ...r, job: j, info } : r)),
        () => setRun((r) => (r && r.job.id === j.id ? { ...r, job: j } : r)),
      );
      if (results) void refreshHeld(results.hits).catch(onError);
      // a retrieval into "the PACS's patient" may have created that patient: the sidebar's list shows it now
      patientsChanged?.();
    },
    [client, setRun, results, refreshHeld, onError, patientsChanged],
  );
  const live = useJob(client, run?.job.id ?? null, onEnd, run?.job ?? null);
  const job = live && live.id === run?.job.id ? live : (run?.job ?? null);

  const doEcho = async (): Promise<void> => {
    if (!node) return;
    setEcho(null);
    try {
      const r = await client.call('pacs', 'echo', node.name);
      setEcho({ node: node.name, ok: true, text: `C-ECHO answered in ${r.ms} ms (round trip measured by OrthoTwin, association included)` });
    } catch (e) {
      setEcho({ node: node.name, ok: false, text: splitErrorText(errorText(e)).sentence });
    }
  };

  const query = async (): Promise<void> => {
    if (!node) return;
    clearError();
    setQueryProblem(null);
    setQuerying(true);
    setSeries({});
    const via: FindVia = findVia === 'qido-rs' && !web ? 'c-find' : findVia;
    try {
      const hits = await client.call('pacs', 'find', node.name, findQueryOf(form), 'study', via);
      const held = hits.length
        ? await client.call(
            'pacs',
            'held',
            hits.map((h) => h.studyUid),
          )
        : [];
      setResults({ node: node.name, via, at: new Date().toISOString(), hits, held });
    } catch (e) {
      setQueryProblem(splitErrorText(errorText(e)).sentence);
    } finally {
      setQuerying(false);
    }
  };

  const toggleSeries = async (h: FindHit): Promise<void> => {
    if (!results) return;
    if (series[h.studyUid]) {
      setSeries(({ [h.studyUid]: _gone, ...rest }) => rest);
      return;
    }
    setSeries((s) => ({ ...s, [h.studyUid]: [] }));
    try {
      const rows = await client.call('pacs', 'find', results.node, { studyUid: h.studyUid }, 'series', results.via);
      setSeries((s) => ({ ...s, [h.studyUid]: rows }));
    } catch (e) {
      setSeries((s) => ({ ...s, [h.studyUid]: splitErrorText(errorText(e)).sentence }));
    }
  };

  const start = async (req: Omit<Run, 'job' | 'info'>): Promise<void> => {
    clearError();
    setStartProblem(null);
    try {
      const jobId = await client.call('pacs', 'retrieve', req.node, {
        studyUid: req.hit.studyUid,
        ...(req.hit.level === 'series' && req.hit.seriesUid ? { seriesUid: req.hit.seriesUid } : {}),
        via: req.via,
        ...(req.patientId ? { patientId: req.patientId } : {}),
        ...(req.hit.level === 'series' && req.hit.instances ? { expectedInstances: req.hit.instances } : {}),
        buildTwin: req.buildTwin,
        confirmIdentity: req.confirmIdentity,
      });
      setRun({ ...req, job: await client.call('jobs', 'get', jobId), info: null });
    } catch (e) {
      setStartProblem(splitErrorText(errorText(e)).sentence);
    }
  };

  const retrieve = (h: FindHit): void => {
    if (!results) return;
    const intoOpen = opts.into === 'open' && open;
    void start({
      node: results.node,
      hit: h,
      via: opts.via === 'wado-rs' && !web ? 'c-move' : opts.via,
      patientId: intoOpen ? open.patient.id : undefined,
      intoName: intoOpen ? `${open.patient.displayName} (the open patient)` : `the PACS's patient ${showPersonName(h.patientName)} (${h.patientId || 'no ID'})`,
      buildTwin: opts.buildTwin,
      confirmIdentity: false,
    });
  };

  const running = job?.status === 'running' || job?.status === 'queued';
  const heldOf = (uid: string): HeldStudy | undefined => results?.held.find((x) => x.studyUid === uid);
  const mayRetrieve = can('pacs.retrieve');

  if (!nodes) return <div className="notice">Reading the site policy's PACS nodes…</div>;
  if (!nodes.nodes.length)
    return (
      <div className="notice" data-testid="pacs-no-nodes">
        No PACS node in the site policy (pacsNodes): ask the site's IT to add the hospital PACS (AE title, host, port, DICOMweb URL). This workstation's AE
        title is {nodes.localAet}, receiving on port {nodes.storePort}.
      </div>
    );
  return (
    <div className="pacs">
      <section className="panel" aria-label="PACS node">
        <h2>PACS</h2>
        <div className="row">
          <label>
            Node{' '}
            <select aria-label="PACS node" value={nodeName} onChange={(e) => (setNodeName(e.target.value), setEcho(null), setResults(null))}>
              {nodes.nodes.map((n) => (
                <option key={n.name} value={n.name}>
                  {n.name}
                </option>
              ))}
            </select>
          </label>
          {node && (
            <span className="muted" data-testid="pacs-node-detail">
              {node.aet} at {node.host}:{node.port}
              {node.tls ? ' (DICOM TLS)' : ''}
              {node.dicomWebUrl ? ` · DICOMweb ${node.dicomWebUrl}` : ' · no DICOMweb'} · from the site policy · this workstation: {nodes.localAet}, receiving
              on port {nodes.storePort}
            </span>
          )}
          {can('pacs.echo') && (
            <button onClick={() => void doEcho()} disabled={!node}>
              Echo
            </button>
          )}
          {echo && echo.node === nodeName && (
            <span className={echo.ok ? 'muted' : 'problem'} role={echo.ok ? 'status' : 'alert'} data-testid="pacs-echo">
              {echo.text}
            </span>
          )}
        </div>
      </section>

      <form
        className="panel"
        aria-label="PACS query"
        onSubmit={(e) => {
          e.preventDefault();
          void query();
        }}
      >
        <h2>Find studies</h2>
        <div className="row">
          <label>
            Patient name{' '}
            <input
              aria-label="Query patient name"
              maxLength={64}
              placeholder="DOE^J*"
              value={form.patientName}
              onChange={(e) => setForm({ ...form, patientName: e.target.value })}
            />
          </label>
          <label>
            Patient ID{' '}
            <input aria-label="Query patient ID" maxLength={64} value={form.patientId} onChange={(e) => setForm({ ...form, patientId: e.target.value })} />
          </label>
          <label>
            Study date from{' '}
            <input type="date" aria-label="Study date from" value={form.dateFrom} onChange={(e) => setForm({ ...form, dateFrom: e.target.value })} />
          </label>
          <label>
            to <input type="date" aria-label="Study date to" value={form.dateTo} onChange={(e) => setForm({ ...form, dateTo: e.target.value })} />
          </label>
          <label>
            Modality{' '}
            <input
              aria-label="Query modality"
              maxLength={16}
              size={4}
              placeholder="CT"
              value={form.modality}
              onChange={(e) => setForm({ ...form, modality: e.target.value })}
            />
          </label>
          <label>
            Study description{' '}
            <input
              aria-label="Query study description"
              maxLength={64}
              placeholder="*spine*"
              value={form.studyDescription}
              onChange={(e) => setForm({ ...form, studyDescription: e.target.value })}
            />
          </label>
          <label>
            by{' '}
            <select aria-label="Query via" value={findVia} onChange={(e) => setFindVia(e.target.value as FindVia)}>
              <option value="c-find">C-FIND (DIMSE)</option>
              <option value="qido-rs" disabled={!web}>
                QIDO-RS (DICOMweb)
              </option>
            </select>
          </label>
          <button className="primary" type="submit" disabled={!node || querying || !can('pacs.find')}>
            {querying ? 'Querying…' : 'Query'}
          </button>
          <button type="button" onClick={() => (setForm(EMPTY_QUERY), setResults(null))}>
            Clear
          </button>
        </div>
        <span className="muted">Wildcards: * any characters, ? one character (DICOM matching, PS3.4 C.2.2.2.4). Empty fields match everything.</span>
        {queryProblem && (
          <span className="problem" role="alert" data-testid="pacs-query-problem">
            {queryProblem}
          </span>
        )}
      </form>

      {results && (
        <section className="panel" aria-label="PACS studies">
          <h2>Studies</h2>
          <div className="row">
            <span className="muted" data-testid="pacs-result-count">
              {results.hits.length} {results.hits.length === 1 ? 'study' : 'studies'} answered by {results.node} over{' '}
              {results.via === 'qido-rs' ? 'QIDO-RS' : 'C-FIND'} at {new Date(results.at).toLocaleTimeString()}; instance counts as the PACS reports them
            </span>
          </div>
          {mayRetrieve && (
            <div className="row" aria-label="retrieve options">
              <label>
                Retrieve by{' '}
                <select aria-label="Retrieve via" value={opts.via} onChange={(e) => setOpts({ ...opts, via: e.target.value as RetrieveVia })}>
                  <option value="c-move">C-MOVE (the PACS sends to {nodes.localAet})</option>
                  <option value="c-get">C-GET (same association)</option>
                  <option value="wado-rs" disabled={!web}>
                    WADO-RS (DICOMweb)
                  </option>
                </select>
              </label>
              <label>
                into{' '}
                <select aria-label="Retrieve into" value={opts.into} onChange={(e) => setOpts({ ...opts, into: e.target.value as RetrieveOptions['into'] })}>
                  <option value="pacs">the PACS's patient (found by patient ID, else created)</option>
                  <option value="open" disabled={!open}>
                    {open ? `the open patient: ${open.patient.displayName}` : 'the open patient (none open)'}
                  </option>
                </select>
              </label>
              <label>
                <input type="checkbox" checked={opts.buildTwin} onChange={(e) => setOpts({ ...opts, buildTwin: e.target.checked })} /> build the twin after the
                import
              </label>
            </div>
          )}
          {results.hits.length === 0 ? (
            <div className="muted" data-testid="pacs-no-studies">
              No study matches.
            </div>
          ) : (
            <div className="table-scroll">
              <table className="spine-table" data-testid="pacs-studies">
                <thead>
                  <tr>
                    <th>Patient</th>
                    <th>Patient ID</th>
                    <th>Birth date</th>
                    <th>Study date</th>
                    <th>Description</th>
                    <th>Modalities</th>
                    <th title="NumberOfStudyRelatedInstances, as the PACS reports it">Instances</th>
                    <th>In this store</th>
                    <th />
                  </tr>
                </thead>
                <tbody>
                  {results.hits.map((h) => {
                    const held = heldOf(h.studyUid);
                    const ser = series[h.studyUid];
                    return [
                      <tr key={h.studyUid} data-study-uid={h.studyUid} data-testid="pacs-study">
                        <td>{showPersonName(h.patientName)}</td>
                        <td>{h.patientId || '—'}</td>
                        <td>{showDicomDate(h.patientBirthDate)}</td>
                        <td>{showDicomDate(h.studyDate)}</td>
                        <td>{h.studyDescription || '—'}</td>
                        <td>{showMulti(h.modality)}</td>
                        <td>{h.instances ?? 'not reported'}</td>
                        <td data-testid="pacs-held">
                          {held ? (
                            <button
                              className="badge"
                              title={`Study ${h.studyUid} is in the store: ${held.seriesUids.length} series`}
                              onClick={() => void openPatientById?.(held.patientId).catch(onError)}
                            >
                              held · {held.patientName}
                            </button>
                          ) : (
                            <span className="muted">no</span>
                          )}
                        </td>
                        <td>
                          <div className="row">
                            <button aria-expanded={!!ser} aria-label={`Series of ${hitLabel(h)}`} onClick={() => void toggleSeries(h)}>
                              {ser ? '▾ Series' : '▸ Series'}
                            </button>
                            {mayRetrieve && (
                              <button aria-label={`Retrieve ${hitLabel(h)}`} disabled={running} onClick={() => retrieve(h)}>
                                Retrieve study
                              </button>
                            )}
                          </div>
                        </td>
                      </tr>,
                      ser && (
                        <tr key={`${h.studyUid}-series`}>
                          <td colSpan={9}>
                            {typeof ser === 'string' ? (
                              <span className="problem" role="alert">
                                {ser}
                              </span>
                            ) : ser.length === 0 ? (
                              <span className="muted">Asking the PACS for the series…</span>
                            ) : (
                              <table data-testid="pacs-series">
                                <thead>
                                  <tr>
                                    <th>#</th>
                                    <th>Modality</th>
                                    <th>Series description</th>
                                    <th title="NumberOfSeriesRelatedInstances, as the PACS reports it">Instances</th>
                                    <th>In this store</th>
                                    <th />
                                  </tr>
                                </thead>
                                <tbody>
                                  {ser.map((s) => (
                                    <tr key={s.seriesUid} data-series-uid={s.seriesUid} data-testid="pacs-series-row">
                                      <td>{s.seriesNumber || '—'}</td>
                                      <td>{s.modality || '—'}</td>
                                      <td>{s.seriesDescription || '—'}</td>
                                      <td>{s.instances ?? 'not reported'}</td>
                                      <td>{held?.seriesUids.includes(s.seriesUid ?? '') ? 'held' : <span className="muted">no</span>}</td>
                                      <td>
                                        {mayRetrieve && (
                                          <button aria-label={`Retrieve ${hitLabel(s)}`} disabled={running} onClick={() => retrieve(s)}>
                                            Retrieve series
                                          </button>
                                        )}
                                      </td>
                                    </tr>
                                  ))}
                                </tbody>
                              </table>
                            )}
                          </td>
                        </tr>
                      ),
                    ];
                  })}
                </tbody>
              </table>
            </div>
          )}
        </section>
      )}

      {startProblem && (
        <div className="panel problem" role="alert" data-testid="pacs-start-problem">
          {startProblem}
        </div>
      )}
      {run && job && (
        <section className="panel" aria-label="PACS retrieval" data-testid="pacs-retrieval" data-status={job.status}>
          <h2>Retrieval</h2>
          <div className="muted">
            {hitLabel(run.hit)} of {showPersonName(run.hit.patientName)} from {run.node} by {VIA_LABEL[run.via]} into {run.intoName}
            {run.hit.level === 'series' && run.hit.instances ? `; ${run.hit.instances} instances expected (the PACS's count)` : ''}
            {run.buildTwin ? '; twin built after the import' : ''}
          </div>
          <JobBar client={client} job={job} onError={onError} />
          {job.status === 'failed' && job.error && (
            <div className="row" role="alert" data-testid="pacs-retrieval-error" data-code={job.error.code}>
              <strong className="problem">{faultName(job.error.code)}:</strong>
              <span className="problem">{splitErrorText(`[${job.error.code}] ${job.error.message}`).sentence}</span>
              {failureKind(job.error.code) === 'resumable' && (
                <button onClick={() => void start({ ...run, confirmIdentity: run.confirmIdentity })}>
                  Retry (keeps what was received; fetches only the missing instances)
                </button>
              )}
              {failureKind(job.error.code) === 'identity' && (
                <button onClick={() => void start({ ...run, confirmIdentity: true })}>It is the same patient: retrieve into {run.intoName}</button>
              )}
            </div>
          )}
          {job.status === 'cancelled' && (
            <div className="row">
              <span className="muted">Cancelled: nothing was imported; the instances received are kept for a retry.</span>
              <button onClick={() => void start(run)}>Retry (resume)</button>
            </div>
          )}
          {job.status === 'done' && (
            <div className="row" data-testid="pacs-retrieved">
              {run.info?.summary ? (
                <span>
                  Imported: {run.info.summary.series.length} series, {run.info.summary.series.reduce((n, s) => n + s.held, 0)} instances (the PACS listed{' '}
                  {run.info.summary.series.reduce((n, s) => n + s.expected, 0)}); {run.info.summary.fetched} fetched in this run in{' '}
                  {run.info.summary.retrieveMs} ms ({run.info.summary.instancesPerSecond} instances/s, timed by OrthoTwin)
                </span>
              ) : (
                <span>Imported.</span>
              )}
              {run.info && openPatientById && (
                <button className="primary" onClick={() => void openPatientById(run.info!.patientId).catch(onError)}>
                  Open the imported study
                </button>
              )}
            </div>
          )}
        </section>
      )}
    </div>
  );
}

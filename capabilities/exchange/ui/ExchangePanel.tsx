/**
 * "Export and send" on the open patient's page (a `patientPanels`
 * contribution, issue 24 §2–4): for a twin of the patient (the default one
 * first), the meshes for 3D printing as 3MF or STL (parts bone, skin, discs,
 * screws; repaired and checked, `exchange.exportMesh`) downloaded through the
 * browser's download, and the DICOM objects of the results — a Segmentation,
 * a TID 1500 SR, a Surface Segmentation (`exchange.exportDicom`) — each
 * downloadable and sendable to a PACS node of the site policy by C-STORE or
 * STOW-RS (`pacs.send`), which shows what the PACS accepted (count and SOP
 * Instance UIDs) or the named error. Every number says where it comes from.
 */
import { Fragment, useCallback, useEffect, useState } from 'react';
import type { Client } from '../../../renderer/ipc/client.js';
import { downloadBase64 } from '../../../renderer/app/download.js';
import { errorText, splitErrorText } from '../../../renderer/app/errors.js';
import { useJobEnds } from '../../../renderer/features/jobs/useJob.js';
import type { Twin } from '../../twins/contract.js';
import type { PacsNode, SendResult } from '../../pacs/contract.js';
import type { DicomKind, ExportDicomResult, ExportMeshResult, MeshPart, ReadDicomResult } from '../contract.js';
import { DicomReadBack } from './DicomReadBack.js';

const PARTS: { part: MeshPart; label: string }[] = [
  { part: 'bone', label: 'bone' },
  { part: 'skin', label: 'skin shell' },
  { part: 'discs', label: 'discs' },
  { part: 'screws', label: 'screws' },
];

const KIND_LABEL: Record<DicomKind, string> = { seg: 'DICOM SEG', sr: 'DICOM SR (TID 1500)', surface: 'DICOM surface segmentation' };

const sentence = (e: unknown): string => splitErrorText(errorText(e)).sentence;
const kib = (bytes: number): string => (bytes >= 1024 * 1024 ? `${(bytes / 1024 / 1024).toFixed(1)} MiB` : `${(bytes / 1024).toFixed(1)} KiB`);

/** Downloads a file the exchange service wrote (its bytes come over the call: a browser gives no paths). */
async function downloadExport(client: Client, file: string): Promise<void> {
  const f = await client.call('exchange', 'exportFile', file);
  downloadBase64(f.fileName, f.mime, f.base64);
}

/** Export (3MF, STL, SEG, SR, surface) and send to PACS for the open patient's twin. */
export function ExchangePanel({ client, patientId, onError }: { client: Client; patientId: string; onError(e: unknown): void }) {
  const [twins, setTwins] = useState<Twin[] | null>(null);
  const [twinId, setTwinId] = useState<string>('');
  const [format, setFormat] = useState<'3mf' | 'stl'>('3mf');
  const [parts, setParts] = useState<MeshPart[]>(['bone', 'skin', 'discs', 'screws']);
  const [mesh, setMesh] = useState<ExportMeshResult | null>(null);
  const [dicom, setDicom] = useState<ExportDicomResult[]>([]);
  const [readBack, setReadBack] = useState<Record<string, ReadDicomResult>>({});
  const [chosen, setChosen] = useState<string[]>([]);
  const [busy, setBusy] = useState<string | null>(null);
  const [problem, setProblem] = useState<{ what: string; text: string } | null>(null);
  const [nodes, setNodes] = useState<PacsNode[]>([]);
  const [nodeName, setNodeName] = useState('');
  const [sendVia, setSendVia] = useState<'c-store' | 'stow-rs'>('c-store');
  const [sent, setSent] = useState<SendResult | null>(null);
  // folded to one line by default: with a twin in view the views keep the window's height
  const [expanded, setExpanded] = useState(false);

  const loadTwins = useCallback(() => {
    client.call('twins', 'list', patientId).then((t) => {
      setTwins(t);
      setTwinId((cur) => (cur && t.some((x) => x.id === cur) ? cur : ((t.find((x) => x.isDefault) ?? t[0])?.id ?? '')));
    }, onError);
  }, [client, patientId, onError]);
  useEffect(loadTwins, [loadTwins]);
  // a twin built or a spine analysed while the page is open
  useJobEnds(client, (j) => {
    if (j.status === 'done') loadTwins();
  });
  useEffect(() => {
    let gone = false;
    client.call('pacs', 'nodes').then(
      (n) => {
        if (gone) return;
        setNodes(n.nodes);
        setNodeName((cur) => cur || (n.nodes[0]?.name ?? ''));
      },
      () => undefined, // no PACS part: sending is not offered
    );
    return () => {
      gone = true;
    };
  }, [client]);

  if (!twins?.length) return null;
  if (!expanded)
    return (
      <div className="studies-toggle">
        <button aria-expanded={false} onClick={() => setExpanded(true)}>
          ▸ Export and send (3MF, STL, DICOM SEG / SR / surface, to PACS)
        </button>
      </div>
    );
  const twin = twins.find((t) => t.id === twinId) ?? null;
  const node = nodes.find((n) => n.name === nodeName) ?? null;

  const act = async (what: string, f: () => Promise<void>): Promise<void> => {
    setProblem(null);
    setBusy(what);
    try {
      await f();
    } catch (e) {
      setProblem({ what, text: sentence(e) });
    } finally {
      setBusy(null);
    }
  };

  const exportMesh = (): Promise<void> =>
    act('mesh', async () => {
      if (!twin) return;
      const r = await client.call('exchange', 'exportMesh', twin.id, { format, parts: format === 'stl' ? parts.slice(0, 1) : parts });
      setMesh(r);
      await downloadExport(client, r.path);
    });

  const exportDicom = (kind: DicomKind): Promise<void> =>
    act(kind, async () => {
      if (!twin) return;
      const r = await client.call('exchange', 'exportDicom', twin.id, { kind });
      setDicom((d) => [...d.filter((x) => x.kind !== kind), r]);
      // what the file holds, read back by dcmjs (not the writer's own numbers)
      const back = await client.call('exchange', 'readDicom', r.path);
      setReadBack((b) => ({ ...b, [r.path]: back }));
      setChosen((c) => [...c.filter((p) => dicom.find((x) => x.path === p)?.kind !== kind), r.path]);
    });

  const send = (): Promise<void> =>
    act('send', async () => {
      if (!node || !chosen.length) return;
      setSent(null);
      setSent(await client.call('pacs', 'send', node.name, { via: sendVia, files: chosen }));
    });

  return (
    <section className="panel exchange" aria-label="export and send">
      <div className="studies-toggle">
        <button aria-expanded={true} onClick={() => setExpanded(false)}>
          ▾ Hide export and send
        </button>
      </div>
      <div className="row">
        <label>
          Twin{' '}
          <select
            aria-label="Twin to export"
            value={twinId}
            onChange={(e) => (setTwinId(e.target.value), setMesh(null), setDicom([]), setChosen([]), setSent(null))}
          >
            {twins.map((t) => (
              <option key={t.id} value={t.id}>
                v{t.version}
                {t.isDefault ? ' (default)' : ''}
                {t.label ? ` · ${t.label}` : ''}
              </option>
            ))}
          </select>
        </label>
        <span className="muted">Coordinates in the twin's LPS frame, millimetres.</span>
      </div>

      <div className="row" aria-label="3D printing">
        <strong>3D printing</strong>
        <select aria-label="Mesh format" value={format} onChange={(e) => setFormat(e.target.value as '3mf' | 'stl')}>
          <option value="3mf">3MF (several objects, colours)</option>
          <option value="stl">STL (one part)</option>
        </select>
        {PARTS.map(({ part, label }) => (
          <label key={part}>
            <input
              type="checkbox"
              aria-label={`Part ${label}`}
              checked={parts.includes(part)}
              onChange={(e) => setParts((p) => (e.target.checked ? [...p.filter((x) => x !== part), part] : p.filter((x) => x !== part)))}
            />{' '}
            {label}
          </label>
        ))}
        <button disabled={!!busy || !parts.length} onClick={() => void exportMesh()}>
          {busy === 'mesh' ? 'Exporting…' : `Export ${format.toUpperCase()}`}
        </button>
        {format === 'stl' && parts.length > 1 && <span className="muted">An STL holds one part: the first ticked ({parts[0]}).</span>}
      </div>
      {mesh && (
        <div data-testid="mesh-export">
          <div className="muted">
            {mesh.path.split(/[\\/]/).pop()} · {kib(mesh.bytes)} · SHA-256 {mesh.sha256.slice(0, 12)}… · unit {mesh.unit}, frame {mesh.frame} · downloaded
          </div>
          <table className="spine-table">
            <thead>
              <tr>
                <th>Object</th>
                <th>From</th>
                <th>Colour</th>
                <th>Triangles</th>
                <th>Closed</th>
                <th>Manifold</th>
                <th title="signed volume of the closed mesh, mm³">Volume (cm³)</th>
                <th title="thinnest wall found by ray sampling, and how many samples are below the printing threshold (0.8 mm unless set)">Min wall (mm)</th>
                <th>Repair</th>
              </tr>
            </thead>
            <tbody>
              {mesh.objects.map((o) => (
                <tr key={o.name} data-object={o.name}>
                  <td>{o.name}</td>
                  <td>{o.source}</td>
                  <td>
                    <span style={{ display: 'inline-block', width: 12, height: 12, background: o.displayColor.slice(0, 7) }} /> {o.material}
                  </td>
                  <td>{o.after.triangles}</td>
                  <td>{o.after.closed ? 'yes' : 'no'}</td>
                  <td>{o.after.manifold ? 'yes' : 'no'}</td>
                  <td>{(o.after.signedVolumeMm3 / 1000).toFixed(1)}</td>
                  <td data-testid="min-wall">
                    {o.after.wall?.minMm != null ? o.after.wall.minMm.toFixed(2) : '—'}
                    {o.after.wall && (
                      <div className={o.after.wall.belowThreshold > 0 ? 'risk-warning' : 'muted'}>
                        {o.after.wall.belowThreshold > 0
                          ? `${o.after.wall.belowThreshold} of ${o.after.wall.samples} samples < ${o.after.wall.thresholdMm} mm: may not print`
                          : `none < ${o.after.wall.thresholdMm} mm`}
                        ; 1st pct {o.after.wall.p1Mm != null ? o.after.wall.p1Mm.toFixed(2) : '—'}
                      </div>
                    )}
                  </td>
                  <td>
                    {o.before.nonManifoldEdges} non-manifold edges before, {o.repair.nonManifoldEdgesSplit} split, {o.repair.trianglesFlipped} flipped
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          <div className="muted">
            Counts, closed/manifold, volume and wall thickness: OrthoTwin's printability check of the mesh as written (electron/engine/printability.ts), after
            its repair; the meshes are the twin's segmentation surfaces, not validated for implant design.
          </div>
          {mesh.omitted.length > 0 && <div className="muted">Left out: {mesh.omitted.map((o) => `${o.part} (${o.reason})`).join('; ')}</div>}
        </div>
      )}

      <div className="row" aria-label="DICOM objects">
        <strong>DICOM objects</strong>
        {(['seg', 'sr', 'surface'] as const).map((k) => (
          <button key={k} disabled={!!busy} onClick={() => void exportDicom(k)}>
            {busy === k ? 'Exporting…' : `Export ${KIND_LABEL[k]}`}
          </button>
        ))}
      </div>
      {dicom.length > 0 && (
        <table className="spine-table" data-testid="dicom-exports">
          <thead>
            <tr>
              <th style={{ whiteSpace: 'nowrap' }}>Send</th>
              <th>Object</th>
              <th>SOP Instance UID</th>
              <th>Content</th>
              <th>References</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {dicom.map((d) => (
              <Fragment key={d.path}>
                <tr data-kind={d.kind}>
                  <td>
                    <input
                      type="checkbox"
                      aria-label={`Send ${KIND_LABEL[d.kind]}`}
                      checked={chosen.includes(d.path)}
                      onChange={(e) => setChosen((c) => (e.target.checked ? [...c, d.path] : c.filter((p) => p !== d.path)))}
                    />
                  </td>
                  <td>
                    {KIND_LABEL[d.kind]} · {kib(d.bytes)}
                  </td>
                  <td data-testid={`sop-${d.kind}`}>{d.sopInstanceUid}</td>
                  <td>
                    {d.kind === 'seg' && `${d.segments.length} segments, ${d.segments.reduce((n, s) => n + s.frames, 0)} frames`}
                    {d.kind === 'sr' &&
                      `${d.groups} measurement groups, ${d.measurements} measurements (the spine analysis's${d.screwPlan ? `; screw plan v${d.screwPlan.version}: ${d.screwPlan.screws} screws` : ''})`}
                    {d.kind === 'surface' && `${d.surfaces.length} surfaces, ${d.surfaces.reduce((n, s) => n + s.triangles, 0)} triangles`}
                    {d.omitted.length > 0 && <div className="muted">left out: {d.omitted.join('; ')}</div>}
                  </td>
                  <td className="muted">
                    source series <span title={d.referencedSeriesInstanceUid}>…{d.referencedSeriesInstanceUid.slice(-12)}</span> ({d.sourceInstances} instances
                    read at export)
                    {d.analysisId ? ', spine analysis' : ''}
                  </td>
                  <td>
                    <button style={{ whiteSpace: 'nowrap' }} onClick={() => void act(`download-${d.kind}`, () => downloadExport(client, d.path))}>
                      Download
                    </button>
                  </td>
                </tr>
                {readBack[d.path] && (
                  <tr className="readback-row">
                    <td />
                    <td colSpan={5}>
                      <DicomReadBack r={readBack[d.path]!} />
                    </td>
                  </tr>
                )}
              </Fragment>
            ))}
          </tbody>
        </table>
      )}

      {nodes.length > 0 && dicom.length > 0 && (
        <div className="row" aria-label="send to PACS">
          <strong>Send to PACS</strong>
          <select aria-label="Send to node" value={nodeName} onChange={(e) => setNodeName(e.target.value)}>
            {nodes.map((n) => (
              <option key={n.name} value={n.name}>
                {n.name} ({n.aet})
              </option>
            ))}
          </select>
          <select aria-label="Send via" value={sendVia} onChange={(e) => setSendVia(e.target.value as 'c-store' | 'stow-rs')}>
            <option value="c-store">C-STORE (DIMSE)</option>
            <option value="stow-rs" disabled={!node?.dicomWebUrl}>
              STOW-RS (DICOMweb)
            </option>
          </select>
          <button className="primary" disabled={!!busy || !chosen.length || !node} onClick={() => void send()}>
            {busy === 'send' ? 'Sending…' : `Send ${chosen.length} object${chosen.length === 1 ? '' : 's'}`}
          </button>
        </div>
      )}
      {sent && (
        <div data-testid="pacs-sent" role="status">
          Sent {sent.sent} object{sent.sent === 1 ? '' : 's'} to {sent.node} by {sent.via === 'stow-rs' ? 'STOW-RS' : 'C-STORE'} in {sent.ms} ms (accepted by
          the PACS:
          {sent.via === 'stow-rs' ? ' its STOW-RS response' : ' a success status per C-STORE'}; timed by OrthoTwin):
          <ul>
            {sent.sopInstanceUids.map((u) => (
              <li key={u} data-testid="sent-sop">
                {u}
              </li>
            ))}
          </ul>
        </div>
      )}
      {problem && (
        <div className="problem" role="alert" data-testid="exchange-problem">
          {problem.what === 'send' ? 'Send to PACS failed' : problem.what === 'mesh' ? 'Mesh export failed' : `${problem.what.toUpperCase()} failed`}:{' '}
          {problem.text}
        </div>
      )}
    </section>
  );
}

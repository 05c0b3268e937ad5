/**
 * The patient's motion lab features where the patient's twin is shown (the
 * Patients workspace): one folded line with the sessions and feature count
 * of the visits, unfolding to each session's stored features (FeatureTable).
 * Shows nothing for a patient without motion sessions.
 */
import { useEffect, useState } from 'react';
import type { MotionSession, MotionSessionDetail } from '../contract.js';
import type { Client } from '../../../renderer/ipc/client.js';
import { DepthTrunkTable, FeatureTable, TrunkTable } from './SessionsPanel.js';

export function MotionFeaturesStrip(props: { client: Client; patientId: string; onError(e: unknown): void }) {
  const { client, patientId, onError } = props;
  const [sessions, setSessions] = useState<MotionSession[]>([]);
  const [open, setOpen] = useState(false);
  const [details, setDetails] = useState<MotionSessionDetail[]>([]);
  useEffect(() => {
    let live = true;
    setOpen(false);
    setDetails([]);
    client.call('motion', 'sessions', patientId).then((s) => live && setSessions(s), onError);
    return () => {
      live = false;
    };
  }, [client, patientId, onError]);
  useEffect(() => {
    if (!open || details.length === sessions.length) return;
    let live = true;
    Promise.all(sessions.map((s) => client.call('motion', 'session', s.id))).then((d) => live && setDetails(d), onError);
    return () => {
      live = false;
    };
  }, [open, sessions, details.length, client, onError]);
  if (!sessions.length) return null;
  const features = sessions.reduce((n, s) => n + s.featureCount, 0);
  const visits = new Set(sessions.map((s) => `${s.visitDate}|${s.visitLabel}`)).size;
  return (
    <div className="studies-toggle" data-testid="twin-motion-features">
      <button aria-expanded={open} onClick={() => setOpen(!open)}>
        {open ? '▾' : '▸'} Motion lab: {features} features of {sessions.length} session{sessions.length === 1 ? '' : 's'} ({visits} visit
        {visits === 1 ? '' : 's'}, latest {sessions[0]!.visitDate || 'date hidden'})
        {sessions.some((s) => s.simulated) ? ` — ${sessions.filter((s) => s.simulated).length} from a simulator or replay, not the patient’s` : ''}
      </button>
      {open &&
        details.map((d) => (
          <div key={d.id} className="panel">
            <h3>
              {d.visitDate || '(date hidden)'}
              {d.visitLabel ? ` · ${d.visitLabel}` : ''} · {d.fileName || 'trial'}
            </h3>
            <FeatureTable session={d} />
            <TrunkTable session={d} />
            <DepthTrunkTable session={d} />
          </div>
        ))}
    </div>
  );
}

/**
 * Following a job from the renderer: its latest record from the
 * `jobs.onDidChangeJob` events, and one call when it ends (done, failed or
 * cancelled). Replaces the per-panel follow-a-job effects.
 */
import { useEffect, useRef, useState } from 'react';
import type { Job } from '../../../electron/contract/index.js';
import type { Client } from '../../ipc/client.js';

/** Whether a job has ended (done, failed or cancelled). */
export const jobEnded = (j: Job): boolean => j.status === 'done' || j.status === 'failed' || j.status === 'cancelled';

/**
 * Follows the job `jobId` (null: none). Returns its latest record (null until
 * the first is known) and calls `onEnd` once when it ends.
 * @param initial the job's record when the caller already has it (e.g. from `jobs.get` after starting it)
 */
export function useJob(client: Client, jobId: string | null, onEnd?: (job: Job) => void, initial?: Job | null): Job | null {
  const [job, setJob] = useState<Job | null>(initial ?? null);
  const endRef = useRef(onEnd);
  endRef.current = onEnd;
  useEffect(() => {
    setJob((cur) => (cur && cur.id === jobId ? cur : jobId && initial && initial.id === jobId ? initial : null));
    if (!jobId) return;
    let ended = false;
    const seen = (j: Job): void => {
      if (j.id !== jobId || ended) return;
      setJob(j);
      if (jobEnded(j)) {
        ended = true;
        endRef.current?.(j);
      }
    };
    const off = client.on('jobs', 'onDidChangeJob', seen);
    // a job that ended before we subscribed
    client.call('jobs', 'get', jobId).then(seen, () => undefined);
    return off;
  }, [client, jobId]);
  return job;
}

/** Calls `onEnd` for every job that ends while the component is mounted (whoever started it). */
export function useJobEnds(client: Client | null, onEnd: (job: Job) => void): void {
  const endRef = useRef(onEnd);
  endRef.current = onEnd;
  useEffect(() => {
    if (!client) return;
    return client.on('jobs', 'onDidChangeJob', (j) => {
      if (jobEnded(j)) endRef.current(j);
    });
  }, [client]);
}

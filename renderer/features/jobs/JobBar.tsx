import type { Job } from '../../../electron/contract/index.js';
import type { Client } from '../../ipc/client.js';

/** Progress of a job, named by its title (its kind's progress title), with its stage and a Cancel button. */
export function JobBar(props: { client: Client; job: Job; onError(e: unknown): void }) {
  const { job } = props;
  const active = job.status === 'running' || job.status === 'queued';
  return (
    <div className="jobbar" data-testid="job" data-status={job.status}>
      <strong>{job.title}</strong>
      <progress max={1} value={job.status === 'done' ? 1 : job.progress} aria-label="progress" />
      <span>{active ? `${Math.round(job.progress * 100)} % · ${job.stage}` : job.error ? `${job.status}: ${job.error.message}` : job.status}</span>
      {active && (
        <button onClick={() => props.client.call('jobs', 'cancel', job.id).catch(props.onError)} aria-label="Cancel job">
          Cancel
        </button>
      )}
    </div>
  );
}

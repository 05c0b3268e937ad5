/**
 * The jobs capability: reading and cancelling jobs, and their progress
 * events (`jobs.onDidChangeJob`) for both transports. The job runtime itself
 * (worker per job, commits) is the platform's (electron/services/jobs.ts).
 */
import { defineCapability } from '../../electron/platform/capability.js';
import { JobsService } from './contract.js';

export default defineCapability(
  {
    name: 'jobs',
    title: 'Jobs',
    version: '1.0.0',
    services: [JobsService],
  },
  ({ store, jobs, emit }) => {
    jobs.on('onDidChangeJob', (job) => emit('jobs', 'onDidChangeJob', job));
    return {
      jobs: {
        get: (id) => store.getJob(id),
        cancel: (id) => {
          if (!jobs.isRunning(id)) {
            store.getJob(id);
            return false;
          }
          return jobs.cancel(id);
        },
        list: () => store.listJobs(),
      },
    };
  },
);

/**
 * Jobs: long work run in worker threads (import, twin build, spine,
 * reconstruction, calibration, registration), followed by progress events.
 */
import { z } from 'zod';
import { defineService, ALL_ROLES } from '../../electron/contract/define.js';
import { Id } from '../../electron/contract/primitives.js';
import { Job } from '../../electron/contract/jobs.js';

export const JobsService = defineService(
  'jobs',
  {
    get: { roles: ALL_ROLES, args: z.tuple([Id]), result: Job },
    cancel: { roles: ALL_ROLES, args: z.tuple([Id]), result: z.boolean() },
    list: { roles: ALL_ROLES, args: z.tuple([]), result: z.array(Job) },
  },
  { onDidChangeJob: Job },
);

declare module '../../electron/contract/registry.js' {
  interface ServiceRegistry {
    jobs: typeof JobsService;
  }
}

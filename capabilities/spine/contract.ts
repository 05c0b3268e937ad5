/**
 * Spine characterisation of a CT twin: the service (analyses, versions,
 * follow-up history); the report, corrections and their CSV are in
 * electron/contract/spine.ts (shared with the engine).
 */
import { z } from 'zod';
import { defineService, ALL_ROLES, CLINICAL_ROLES } from '../../electron/contract/define.js';
import { Id } from '../../electron/contract/primitives.js';
import { SpineAnalysis, SpineAnalysisOptions, SpineCorrections } from '../../electron/contract/spine.js';
import { Feature } from '../twins/contract.js';

export const SpineService = defineService(
  'spine',
  {
    /**
     * Starts the spine characterisation of a CT twin with the surgeon's
     * corrections (none = automatic); returns the job id. The job's result is
     * the new analysis id (a new version; earlier ones are kept).
     */
    analyse: {
      roles: CLINICAL_ROLES,
      args: z.tuple([Id, SpineCorrections.default({ names: {}, centroids: {} }), SpineAnalysisOptions.default({ greyDepthMm: 3 })]),
      result: Id,
    },
    get: { roles: ALL_ROLES, audit: { action: 'read', recordType: 'spine-analysis' }, args: z.tuple([Id]), result: SpineAnalysis },
    /** A twin's analyses, newest first. */
    list: { roles: ALL_ROLES, args: z.tuple([Id]), result: z.array(SpineAnalysis) },
    /** Per-level spine features of every twin of a patient (the newest analysis of each), for follow-up comparison. */
    history: {
      roles: ALL_ROLES,
      audit: { action: 'read', recordType: 'patient' },
      args: z.tuple([Id]),
      result: z.array(z.object({ twinId: Id, twinVersion: z.number().int(), analysisId: Id, analysisVersion: z.number().int(), features: z.array(Feature) })),
    },
  },
  {},
);

declare module '../../electron/contract/registry.js' {
  interface ServiceRegistry {
    spine: typeof SpineService;
  }
}

/**
 * The UI contributions of every capability, found at build time: each
 * `capabilities/<name>/ui/contribution.tsx` is picked up by Vite's
 * `import.meta.glob`. This is the only place the shell learns which
 * workspaces exist.
 */
/// <reference types="vite/client" />
import type { ContributionModule, PatientPanelContribution, SeriesActionContribution, WorkspaceContribution } from './contributions.js';
import { orderContributions } from './placement.js';

const MODULES = import.meta.glob<ContributionModule>('../../capabilities/*/ui/contribution.tsx', { eager: true });

/** Every contribution of every capability's UI, in order. */
export const CONTRIBUTIONS: readonly WorkspaceContribution[] = orderContributions(MODULES);

/** Every capability's panels of the open patient's page, in order. */
export const PATIENT_PANELS: readonly PatientPanelContribution[] = orderContributions(
  Object.fromEntries(Object.entries(MODULES).map(([k, m]) => [k, { contributions: m.patientPanels ?? [] }])),
);

/** Every capability's actions on a series row of the open patient's Series panel, in order. */
export const SERIES_ACTIONS: readonly SeriesActionContribution[] = orderContributions(
  Object.fromEntries(Object.entries(MODULES).map(([k, m]) => [k, { contributions: m.seriesActions ?? [] }])),
);

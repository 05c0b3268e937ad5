/**
 * The enhance capability's UI contribution: Help → Enhancement models (the
 * manifest's models, their file check and cards) and "Enhance…" on an 8-bit
 * ultrasound volume of the open patient's Series panel.
 */
import { CLINICAL_ROLES } from '../../../electron/contract/define.js';
import type { SeriesActionContribution, WorkspaceContribution } from '../../../renderer/app/contributions.js';
import { EnhanceSeriesAction } from './EnhanceSeriesAction.js';
import { ModelsPanel } from './ModelsPanel.js';

/** Help → Enhancement models (everyone: `enhance.models` is open to every role). */
export const contributions: WorkspaceContribution[] = [
  { id: 'enhance-models', title: 'Enhancement models', roles: 'all', order: 20, menu: 'help', component: ModelsPanel },
];

/** Enhance… on an ultrasound volume (the roles `enhance.enhanceVolume` allows). */
export const seriesActions: SeriesActionContribution[] = [{ id: 'enhance-series', order: 10, roles: CLINICAL_ROLES, component: EnhanceSeriesAction }];

/**
 * The planning capability's UI contribution: the Screw planning workspace
 * (clinical roles) — pedicle screws on the open patient's CT twin's spine
 * analysis, graded for breach, edited in 3D and in the probe's-eye view.
 */
import { CLINICAL_ROLES } from '../../../electron/contract/define.js';
import type { WorkspaceContribution } from '../../../renderer/app/contributions.js';
import { ScrewPlanningWorkspace } from './ScrewPlanning.js';

export const contributions: WorkspaceContribution[] = [
  { id: 'screw-planning', title: 'Screw planning', roles: CLINICAL_ROLES, order: 12, menu: 'workspace', component: ScrewPlanningWorkspace },
];

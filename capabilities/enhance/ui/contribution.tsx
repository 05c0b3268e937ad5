/**
 * The enhance capability's UI contribution: Help → Enhancement models (the
 * manifest's models, their file check and cards).
 */
import type { WorkspaceContribution } from '../../../renderer/app/contributions.js';
import { ModelsPanel } from './ModelsPanel.js';

/** Help → Enhancement models (everyone: `enhance.models` is open to every role). */
export const contributions: WorkspaceContribution[] = [
  { id: 'enhance-models', title: 'Enhancement models', roles: 'all', order: 20, menu: 'help', component: ModelsPanel },
];

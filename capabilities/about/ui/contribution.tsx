/** The about capability's UI contribution: Help → About OrthoTwin. */
import type { WorkspaceContribution } from '../../../renderer/app/contributions.js';
import { AboutPanel } from './AboutPanel.js';

/** Help → About OrthoTwin (everyone). */
export const contributions: WorkspaceContribution[] = [{ id: 'about', title: 'About OrthoTwin', roles: 'all', order: 10, menu: 'help', component: AboutPanel }];

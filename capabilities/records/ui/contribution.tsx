/** The records capability's UI contribution: the Trash workspace (surgeons and administrators). */
import type { WorkspaceContribution } from '../../../renderer/app/contributions.js';
import { SURGEON_ROLES } from '../../../electron/contract/define.js';
import { TrashWorkspace } from './TrashWorkspace.js';

/** Trash: what was moved to the trash, with Restore (and, for administrators, Delete for good). */
export const contributions: WorkspaceContribution[] = [
  { id: 'trash', title: 'Trash', roles: SURGEON_ROLES, order: 35, menu: 'workspace', component: TrashWorkspace },
];

/**
 * The PACS capability's UI contribution: the PACS workspace (query/retrieve
 * browser) for the clinical roles, who may query and retrieve.
 */
import { CLINICAL_ROLES } from '../../../electron/contract/define.js';
import type { WorkspaceContribution } from '../../../renderer/app/contributions.js';
import { PacsWorkspace } from './PacsWorkspace.js';

export const contributions: WorkspaceContribution[] = [
  { id: 'pacs', title: 'PACS', roles: CLINICAL_ROLES, order: 13, menu: 'workspace', component: PacsWorkspace },
];

/** The patients capability's UI contribution: the Patients workspace (home). */
import type { WorkspaceContribution } from '../../../renderer/app/contributions.js';
import { PatientsWorkspace } from './PatientsWorkspace.js';

/** Patients: import, export, the running job and the planning view of the open patient. */
export const contributions: WorkspaceContribution[] = [
  { id: 'patients', title: 'Patients', roles: 'all', order: 10, menu: 'workspace', home: true, component: PatientsWorkspace },
];

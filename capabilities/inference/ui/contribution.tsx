/**
 * The inference capability's UI contribution: the Twin overview workspace of
 * the open patient (risk with its contributions, chord diagram, advice,
 * trends, feature graph, forms, report) for the clinical roles, and Help →
 * Risk models (everyone: `inference.models` is open to every role), and the
 * Site cohort workspace (everyone: statistics without identifiers; refit and
 * approval for administrators).
 */
import { CLINICAL_ROLES } from '../../../electron/contract/define.js';
import type { WorkspaceContribution, WorkspaceProps } from '../../../renderer/app/contributions.js';
import { may } from '../../../renderer/app/placement.js';
import { RiskModelsPanel } from './RiskModelsPanel.js';
import { SiteCohort } from './SiteCohort.js';
import { TwinOverview } from './TwinOverview.js';

function TwinOverviewWorkspace({ client, open, session, onError }: WorkspaceProps) {
  if (!open) return <div className="notice">Open a patient to see their twin overview: risk, feature graph, trends and advice.</div>;
  return <TwinOverview key={open.patient.id} client={client} patient={open.patient} can={(m) => may(session.status, m)} onError={onError} />;
}

export const contributions: WorkspaceContribution[] = [
  { id: 'twin-overview', title: 'Twin overview', roles: CLINICAL_ROLES, order: 15, menu: 'workspace', component: TwinOverviewWorkspace },
  { id: 'risk-models', title: 'Risk models', roles: 'all', order: 30, menu: 'help', component: RiskModelsPanel },
  // the cohort's statistics (no identifiers: researchers too); refit and approval for administrators
  { id: 'site-cohort', title: 'Site cohort', roles: 'all', order: 60, menu: 'workspace', component: SiteCohort },
];

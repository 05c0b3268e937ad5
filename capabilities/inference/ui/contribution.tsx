/**
 * The inference capability's UI contribution: the Twin overview workspace of
 * the open patient (risk with its contributions, chord diagram, advice,
 * trends, feature graph, forms, report) for the clinical roles, and Help →
 * Risk models (everyone: `inference.models` is open to every role).
 */
import { CLINICAL_ROLES } from '../../../electron/contract/define.js';
import type { WorkspaceContribution, WorkspaceProps } from '../../../renderer/app/contributions.js';
import { may } from '../../../renderer/app/placement.js';
import { RiskModelsPanel } from './RiskModelsPanel.js';
import { TwinOverview } from './TwinOverview.js';

function TwinOverviewWorkspace({ client, open, session, onError }: WorkspaceProps) {
  if (!open) return <div className="notice">Open a patient to see their twin overview: risk, feature graph, trends and advice.</div>;
  return <TwinOverview key={open.patient.id} client={client} patient={open.patient} can={(m) => may(session.status, m)} onError={onError} />;
}

export const contributions: WorkspaceContribution[] = [
  { id: 'twin-overview', title: 'Twin overview', roles: CLINICAL_ROLES, order: 15, menu: 'workspace', component: TwinOverviewWorkspace },
  { id: 'risk-models', title: 'Risk models', roles: 'all', order: 30, menu: 'help', component: RiskModelsPanel },
];

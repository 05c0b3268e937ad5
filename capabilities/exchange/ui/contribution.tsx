/**
 * The exchange capability's UI contribution: "Export and send" on the open
 * patient's page for the clinical roles (3MF/STL for printing, DICOM SEG, SR
 * and surface segmentation, sent to a PACS node of the site policy).
 */
import { CLINICAL_ROLES } from '../../../electron/contract/define.js';
import type { PatientPanelContribution, WorkspaceContribution } from '../../../renderer/app/contributions.js';
import { ExchangePanel } from './ExchangePanel.js';

export const contributions: WorkspaceContribution[] = [];

export const patientPanels: PatientPanelContribution[] = [{ id: 'exchange-export', order: 40, roles: CLINICAL_ROLES, component: ExchangePanel }];

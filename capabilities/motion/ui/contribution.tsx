/**
 * The motion capability's UI contribution: the Motion workspace (sessions by visit; live sEMG and IMU).
 */
import { ALL_ROLES, CLINICAL_ROLES } from '../../../electron/contract/define.js';
import type { PatientPanelContribution, WorkspaceContribution, WorkspaceProps } from '../../../renderer/app/contributions.js';
import { MotionFeaturesStrip } from './MotionFeaturesStrip.js';
import { may } from '../../../renderer/app/placement.js';
import { MotionWorkspace } from './MotionWorkspace.js';

function Motion({ client, info, open, session, onError }: WorkspaceProps) {
  return (
    <MotionWorkspace
      client={client}
      patient={open?.patient ?? null}
      sampleImu={info?.sampleImu ?? null}
      sampleTrials={info?.sampleTrials ?? []}
      can={(m) => may(session.status, m)}
      onError={onError}
    />
  );
}

/** Motion lab: the open patient's motion sessions by visit, and the live sEMG and IMU of PicoX sensors. */
export const contributions: WorkspaceContribution[] = [
  { id: 'motion', title: 'Motion', roles: CLINICAL_ROLES, order: 25, menu: 'workspace', component: Motion },
];

/** The patient's motion lab features, with the patient's twin (Patients workspace). */
export const patientPanels: PatientPanelContribution[] = [{ id: 'motion-features', order: 10, roles: ALL_ROLES, component: MotionFeaturesStrip }];

/**
 * The fusion capability's UI contribution: the Fusion workspace.
 */
import { CLINICAL_ROLES } from '../../../electron/contract/define.js';
import type { WorkspaceContribution, WorkspaceProps } from '../../../renderer/app/contributions.js';
import { FusionWorkspace } from './FusionWorkspace.js';

function Fusion({ client, info, open, onError }: WorkspaceProps) {
  return (
    <FusionWorkspace
      client={client}
      patient={open?.patient ?? null}
      studies={open?.studies ?? []}
      twins={open?.twins ?? []}
      recordings={info?.sampleRecordings ?? []}
      captures={[]}
      onError={onError}
    />
  );
}

/** Fusion: live ultrasound over the prior volume, calibrations and registrations. */
export const contributions: WorkspaceContribution[] = [
  { id: 'fusion', title: 'Fusion', roles: CLINICAL_ROLES, order: 30, menu: 'workspace', component: Fusion },
];

/**
 * The devices capability's UI contribution: the Devices workspace.
 */
import { CLINICAL_ROLES } from '../../../electron/contract/define.js';
import type { WorkspaceContribution, WorkspaceProps } from '../../../renderer/app/contributions.js';
import { may } from '../../../renderer/app/placement.js';
import { DevicesWorkspace } from './DevicesWorkspace.js';

function Devices({ client, info, open, session, onError }: WorkspaceProps) {
  return (
    <DevicesWorkspace
      client={client}
      recordings={info?.sampleRecordings ?? []}
      sampleImu={info?.sampleImu ?? null}
      open={open}
      can={(method) => may(session.status, method)}
      onError={onError}
    />
  );
}

/** Devices: trackers, ultrasound and cameras, recording and replay. */
export const contributions: WorkspaceContribution[] = [
  { id: 'devices', title: 'Devices', roles: CLINICAL_ROLES, order: 20, menu: 'workspace', component: Devices },
];

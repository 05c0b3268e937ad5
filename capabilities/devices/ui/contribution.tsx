/**
 * The devices capability's UI contribution: the Devices workspace (the
 * component still lives in renderer/features/devices until it moves here).
 */
import type { WorkspaceContribution, WorkspaceProps } from '../../../renderer/app/contributions.js';
import { DevicesWorkspace } from '../../../renderer/features/devices/DevicesWorkspace.js';

function Devices({ client, info, onError }: WorkspaceProps) {
  return <DevicesWorkspace client={client} recordings={info?.sampleRecordings ?? []} onError={onError} />;
}

/** Devices: trackers, ultrasound and cameras, recording and replay. */
export const contributions: WorkspaceContribution[] = [{ id: 'devices', title: 'Devices', roles: 'all', order: 20, menu: 'workspace', component: Devices }];

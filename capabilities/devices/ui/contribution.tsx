/**
 * The devices capability's UI contribution: the Devices workspace.
 */
import type { WorkspaceContribution, WorkspaceProps } from '../../../renderer/app/contributions.js';
import { DevicesWorkspace } from './DevicesWorkspace.js';

function Devices({ client, info, onError }: WorkspaceProps) {
  return <DevicesWorkspace client={client} recordings={info?.sampleRecordings ?? []} onError={onError} />;
}

/** Devices: trackers, ultrasound and cameras, recording and replay. */
export const contributions: WorkspaceContribution[] = [{ id: 'devices', title: 'Devices', roles: 'all', order: 20, menu: 'workspace', component: Devices }];

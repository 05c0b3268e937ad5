/** The security capability's UI contribution: the Users workspace (accounts, audit log, store encryption). */
import { ADMIN_ROLES } from '../../../electron/contract/define.js';
import type { WorkspaceContribution, WorkspaceProps } from '../../../renderer/app/contributions.js';
import { AdminPanel } from './AdminPanel.js';
import { UsersPanel } from './UsersPanel.js';

function Users({ client, info, session, onError }: WorkspaceProps) {
  return (
    <>
      <UsersPanel client={client} status={session.status} onChanged={session.refresh} onError={onError} />
      <AdminPanel client={client} storeEncrypted={info?.storeEncrypted ?? false} version={info?.version ?? 'unknown'} onError={onError} />
    </>
  );
}

/** Users: administrators only (everyone in single-user mode, where the local user acts as administrator). */
export const contributions: WorkspaceContribution[] = [{ id: 'users', title: 'Users', roles: ADMIN_ROLES, order: 40, menu: 'workspace', component: Users }];

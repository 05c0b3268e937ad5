/**
 * User accounts, for the administrator (the services refuse everyone else):
 * the accounts with their roles, a new account, disabling one, a role change.
 * In single-user mode the first account created must be an administrator
 * and turns login on.
 */
import { useCallback, useEffect, useState } from 'react';
import type { AuthStatus, User } from '../contract.js';
import type { Client } from '../../../renderer/ipc/client.js';

const ROLES = ['administrator', 'surgeon', 'sonographer', 'researcher'] as const;
type Role = (typeof ROLES)[number];

/** The user accounts table with a new account form (administrators; the first account in single-user mode). */
export function UsersPanel({ client, status, onChanged, onError }: { client: Client; status: AuthStatus; onChanged(): void; onError(e: unknown): void }) {
  const [users, setUsers] = useState<User[]>([]);
  const [username, setUsername] = useState('');
  const [displayName, setDisplayName] = useState('');
  const [role, setRole] = useState<Role>(status.accountsEnabled ? 'surgeon' : 'administrator');
  const [password, setPassword] = useState('');

  const load = useCallback(() => {
    client.call('users', 'list').then(setUsers, onError);
  }, [client, onError]);
  useEffect(() => load(), [load]);

  const create = async (): Promise<void> => {
    try {
      await client.call('users', 'create', { username, displayName: displayName || username, role, password });
      setUsername('');
      setDisplayName('');
      setPassword('');
      load();
      onChanged();
    } catch (e) {
      onError(e);
    }
  };
  const update = (u: User, change: { role?: Role; disabled?: boolean }): void => {
    client.call('users', 'update', u.id, change).then(load, onError);
  };

  return (
    <section className="panel" aria-label="user accounts">
      <h2>User accounts</h2>
      {!status.accountsEnabled && (
        <p className="notice">
          Single-user mode: no account yet, the local user acts as administrator. Creating the first account (an administrator) turns sign-in on.
        </p>
      )}
      <table className="device-table">
        <thead>
          <tr>
            <th>User</th>
            <th>Name</th>
            <th>Role</th>
            <th>State</th>
          </tr>
        </thead>
        <tbody>
          {users.map((u) => (
            <tr key={u.id} data-user={u.username}>
              <td>{u.username}</td>
              <td>{u.displayName}</td>
              <td>
                <select aria-label={`Role of ${u.username}`} value={u.role} onChange={(e) => update(u, { role: e.target.value as Role })}>
                  {ROLES.map((r) => (
                    <option key={r}>{r}</option>
                  ))}
                </select>
              </td>
              <td>
                <button onClick={() => update(u, { disabled: !u.disabled })}>{u.disabled ? 'Enable' : 'Disable'}</button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <div className="row">
        <input aria-label="New user name" value={username} onChange={(e) => setUsername(e.target.value)} placeholder="user name" />
        <input aria-label="Full name" value={displayName} onChange={(e) => setDisplayName(e.target.value)} placeholder="full name" />
        <select aria-label="New user role" value={role} onChange={(e) => setRole(e.target.value as Role)}>
          {ROLES.map((r) => (
            <option key={r}>{r}</option>
          ))}
        </select>
        <input
          aria-label="New user password"
          type="password"
          autoComplete="new-password"
          value={password}
          onChange={(e) => setPassword(e.target.value)}
          placeholder="password (12+ characters)"
        />
        <button disabled={!username || !password} onClick={() => void create()}>
          Create account
        </button>
      </div>
    </section>
  );
}

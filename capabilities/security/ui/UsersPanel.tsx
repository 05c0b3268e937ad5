/**
 * User accounts, for the administrator (the services refuse everyone else):
 * the accounts with their roles, a new account, disabling one, a role change,
 * which accounts are locked out after failed sign-ins (and until when) with
 * an Unlock, and a password reset (the new password typed twice). In
 * single-user mode the first account created must be an administrator and
 * turns login on. The sign-in screen tells nobody about a lockout (its
 * answer is the same as for an unknown name): this panel is where it shows.
 */
import { useCallback, useEffect, useState } from 'react';
import type { AuthStatus, User } from '../contract.js';
import type { Client } from '../../../renderer/ipc/client.js';
import { formatDateTime } from '../../../renderer/app/format.js';

const ROLES = ['administrator', 'surgeon', 'sonographer', 'researcher'] as const;
type Role = (typeof ROLES)[number];

/** The user accounts table with a new account form (administrators; the first account in single-user mode). */
export function UsersPanel({ client, status, onChanged, onError }: { client: Client; status: AuthStatus; onChanged(): void; onError(e: unknown): void }) {
  const [users, setUsers] = useState<User[]>([]);
  const [username, setUsername] = useState('');
  const [displayName, setDisplayName] = useState('');
  const [role, setRole] = useState<Role>(status.accountsEnabled ? 'surgeon' : 'administrator');
  const [password, setPassword] = useState('');
  /** The account whose password is being reset, the new password twice, and what the form says. */
  const [resetFor, setResetFor] = useState<User | null>(null);
  const [newPassword, setNewPassword] = useState('');
  const [repeat, setRepeat] = useState('');
  const [resetMessage, setResetMessage] = useState<string | null>(null);
  /** What the last unlock or reset did. */
  const [notice, setNotice] = useState<string | null>(null);

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
  const unlock = (u: User): void => {
    client.call('users', 'unlock', u.id).then(() => {
      setNotice(`${u.username} is unlocked: they can sign in again.`);
      load();
    }, onError);
  };
  const openReset = (u: User): void => {
    setResetFor(u);
    setNewPassword('');
    setRepeat('');
    setResetMessage(null);
    setNotice(null);
  };
  const resetPassword = async (): Promise<void> => {
    if (!resetFor) return;
    if (newPassword !== repeat) return setResetMessage('the two passwords differ: type the new password twice');
    try {
      await client.call('users', 'resetPassword', resetFor.id, newPassword);
      setNotice(`The password of ${resetFor.username} is reset: the old one no longer signs in, and their open sessions ended.`);
      setResetFor(null);
      setNewPassword('');
      setRepeat('');
      setResetMessage(null);
      load();
    } catch (e) {
      setResetMessage((e as Error).message);
    }
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
            <th>Sign-in</th>
            <th>Password</th>
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
              <td data-testid="sign-in-state">
                <LockoutState user={u} />
                {(u.lockedUntil || u.connectionLockedUntil) && (
                  <button aria-label={`Unlock ${u.username}`} onClick={() => unlock(u)} style={{ marginLeft: '0.5em' }}>
                    Unlock
                  </button>
                )}
              </td>
              <td>
                <button aria-label={`Reset the password of ${u.username}`} onClick={() => openReset(u)}>
                  Reset password…
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <button onClick={load}>Refresh</button>
      {notice && (
        <p className="notice" role="status" data-testid="users-notice">
          {notice}
        </p>
      )}
      {resetFor && (
        <form
          className="row"
          aria-label={`new password for ${resetFor.username}`}
          onSubmit={(e) => {
            e.preventDefault();
            void resetPassword();
          }}
        >
          <strong>New password for {resetFor.username}</strong>
          <input
            aria-label="New password"
            type="password"
            autoComplete="new-password"
            value={newPassword}
            onChange={(e) => setNewPassword(e.target.value)}
            placeholder="new password (12+ characters)"
          />
          <input
            aria-label="Repeat the new password"
            type="password"
            autoComplete="new-password"
            value={repeat}
            onChange={(e) => setRepeat(e.target.value)}
            placeholder="the same again"
          />
          <button type="submit" disabled={!newPassword || !repeat}>
            Set password
          </button>
          <button type="button" onClick={() => setResetFor(null)}>
            Cancel
          </button>
          {resetMessage && (
            <span className="error" role="alert">
              {resetMessage}
            </span>
          )}
        </form>
      )}
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

/** Whether an account is locked out after failed sign-ins, and until when (the account itself, or one or more connections). */
function LockoutState({ user }: { user: User }) {
  if (user.lockedUntil) return <span className="badge bad">locked out until {formatDateTime(user.lockedUntil)}</span>;
  if (user.connectionLockedUntil)
    return (
      <span className="badge bad" title="too many wrong passwords from one workstation session: sign-in from it is refused">
        locked out on a workstation until {formatDateTime(user.connectionLockedUntil)}
      </span>
    );
  return <span>{user.disabled ? 'disabled' : 'can sign in'}</span>;
}

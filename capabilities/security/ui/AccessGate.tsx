/**
 * Sign-in, the inactivity lock and the account of this workstation's
 * session. The services decide (access.ts): this gate shows the login form
 * when accounts are on and nobody is signed in, and the lock screen — over
 * the workspace, whose state is kept but hidden — when the session is locked,
 * by the server or by the local inactivity timer (no pointer or key input for
 * the site policy's time locks the session at once). Unlock takes the signed-in
 * user's password.
 */
import { useCallback, useEffect, useRef, useState, type ReactNode } from 'react';
import type { AuthStatus } from '../contract.js';
import type { Client } from '../../../renderer/ipc/client.js';
import { formatTime } from '../../../renderer/app/format.js';

interface Props {
  client: Client;
  onError(e: unknown): void;
  /**
   * The workspace for a session. `sessionKey` changes at every sign-in and sign-out: the shell keys everything it
   * holds for a user (open patient, banners, kept workspace state) by it, so nothing of one user reaches the next.
   */
  children(status: AuthStatus, actions: { refresh(): void; signOut(): void; lock(): void }, sessionKey: string): ReactNode;
}

/** The access gate: the login form, or the workspace (its children) with the lock screen over it when the session is locked. */
export function AccessGate({ client, onError, children }: Props) {
  const [status, setStatus] = useState<AuthStatus | null>(null);
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [message, setMessage] = useState<string | null>(null);
  const lastInput = useRef(Date.now());
  // a new sign-in or a sign-out starts a new session of the shell
  const [generation, setGeneration] = useState(0);
  // why the session locked, for the lock screen: the user's Lock button, this workstation's inactivity timer, or the server
  const [lockedBy, setLockedBy] = useState<{ reason: 'manual' | 'idle'; at: Date } | null>(null);

  const refresh = useCallback(() => {
    client.call('auth', 'status').then(setStatus, onError);
  }, [client, onError]);
  useEffect(() => refresh(), [refresh]);

  const lockFor = useCallback(
    (reason: 'manual' | 'idle') => {
      setLockedBy({ reason, at: new Date() });
      client.call('auth', 'lock').then(setStatus, onError);
    },
    [client, onError],
  );
  const lock = useCallback(() => lockFor('manual'), [lockFor]);

  // the inactivity lock: no input for the policy's time; the server's own check backs it up
  useEffect(() => {
    if (!status?.user || status.locked || status.lockAfterMs <= 0) return;
    lastInput.current = Date.now();
    // input is reported to the server too (at most every quarter of the lock time, and at most twice a second), whose
    // own inactivity lock would otherwise take a user who reads a page without calling anything for a user who left
    let reported = Date.now();
    const every = Math.max(500, status.lockAfterMs / 4);
    const seen = (): void => {
      lastInput.current = Date.now();
      if (lastInput.current - reported < every) return;
      reported = lastInput.current;
      client.call('auth', 'activity').catch(() => void client.call('auth', 'status').then(setStatus, () => undefined));
    };
    const events = ['pointerdown', 'pointermove', 'keydown', 'wheel'] as const;
    for (const e of events) window.addEventListener(e, seen, { passive: true });
    const timer = setInterval(() => {
      if (Date.now() - lastInput.current > status.lockAfterMs) lockFor('idle');
    }, 500);
    return () => {
      clearInterval(timer);
      for (const e of events) window.removeEventListener(e, seen);
    };
  }, [status, lockFor]);

  const submit = async (e: React.FormEvent): Promise<void> => {
    e.preventDefault();
    setMessage(null);
    try {
      if (status?.locked) {
        setStatus(await client.call('auth', 'unlock', password));
        setLockedBy(null);
      } else {
        await client.call('auth', 'login', username, password);
        setGeneration((g) => g + 1);
        setStatus(await client.call('auth', 'status'));
      }
      setPassword('');
    } catch (err) {
      setMessage((err as Error).message);
    }
  };

  if (!status) return <div className="notice">Connecting…</div>;
  const signOut = (): void => {
    // the workspace goes at once (not after the server's answer): nothing typed meanwhile lands in it
    setStatus((s) => s && { ...s, user: null, locked: false, allowed: [] });
    setGeneration((g) => g + 1);
    setLockedBy(null);
    setUsername('');
    client.call('auth', 'logout').then(refresh, (e: unknown) => {
      onError(e);
      refresh();
    });
  };
  const needLogin = status.accountsEnabled && !status.user;
  const form = (
    <form className="login" onSubmit={(e) => void submit(e)} aria-label={status.locked ? 'unlock' : 'sign in'}>
      <h1>OrthoTwin</h1>
      {status.locked ? (
        <p data-testid="lock-reason">
          {lockedBy?.reason === 'manual'
            ? `Locked by ${status.user?.username ?? 'the user'} at ${formatTime(lockedBy.at)}.`
            : lockedBy?.reason === 'idle'
              ? `Locked at ${formatTime(lockedBy.at)} after ${Math.round(status.lockAfterMs / 1000)} s without activity on this workstation.`
              : `The session locked after ${Math.round(status.lockAfterMs / 1000)} s without activity.`}{' '}
          <strong>{status.user?.username}</strong>, enter your password to go on, or sign out.
        </p>
      ) : (
        <input aria-label="User name" autoComplete="username" value={username} onChange={(e) => setUsername(e.target.value)} placeholder="User name" />
      )}
      <input
        aria-label="Password"
        type="password"
        autoComplete={status.locked ? 'current-password' : 'current-password'}
        value={password}
        onChange={(e) => setPassword(e.target.value)}
        placeholder="Password"
      />
      <button type="submit" disabled={!password || (!status.locked && !username)}>
        {status.locked ? 'Unlock' : 'Sign in'}
      </button>
      {status.locked && (
        <button type="button" onClick={signOut}>
          Sign out
        </button>
      )}
      {message && (
        <div className="error" role="alert">
          {message}
        </div>
      )}
    </form>
  );
  if (needLogin) return <div className="login-screen">{form}</div>;
  return (
    <>
      <div
        className="workspace-content"
        style={status.locked ? { visibility: 'hidden' } : undefined}
        aria-hidden={status.locked}
        data-testid="workspace-content"
      >
        {children(status, { refresh, signOut, lock }, `${status.user?.username ?? ''}#${generation}`)}
      </div>
      {status.locked && (
        <div className="login-screen lock-screen" data-testid="lock-screen">
          {form}
        </div>
      )}
    </>
  );
}

/**
 * Sign-in refusals and account lockouts (issue 20 §5), through the service
 * API as a connection calls it (`callService`): an unknown user name, a wrong
 * password, a disabled account, a connection locked out and an account
 * locked out all get the same answer — code, message and detail byte for
 * byte, after the same scrypt work — while the audit log records the real
 * reason of each; the administrator sees the lockouts in `users.list`,
 * unlocks an account (audited `account-unlock`) and resets a password
 * (audited `password-reset`, never the password); other roles are refused.
 */
import crypto from 'node:crypto';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { callService, createServices, type ServiceHost } from '../../electron/services/index.js';
import { ACCOUNT_LOCKOUT_FACTOR, SIGN_IN_REFUSED, type CallContext } from '../../electron/services/access.js';
import { SitePolicy } from '../../electron/services/policy.js';
import { tmpDir } from '../helpers/tmp.js';

const tmp = tmpDir('auth-lockout-');
let host: ServiceHost;
let clock = Date.parse('2026-12-03T10:00:00Z');
const PASSWORD = 'correct horse battery';
const NEW_PASSWORD = 'a brand new long password';
const MAX = 3;
const LOCKOUT_MS = 5 * 60_000;
const call = (ctx: CallContext, service: string, method: string, ...args: unknown[]) => callService(host, ctx, service, method, args);
/** What the caller receives of a refusal: code, message and detail, serialised as the host sends them. */
const refusal = (p: Promise<unknown>): Promise<string> =>
  p.then(
    () => 'OK',
    (e: { code?: string; message: string; detail?: unknown }) => JSON.stringify({ code: e.code, message: e.message, detail: e.detail }),
  );
const code = (p: Promise<unknown>): Promise<string> =>
  p.then(
    () => 'OK',
    (e: { code?: string }) => e.code ?? 'NO CODE',
  );
const lastAudit = () => host.store.auditLog.records().at(-1)!;
/** Past the per-minute sign-in throttle (the lockouts last five minutes). */
const nextMinute = (): void => void (clock += 61_000);

const admin: CallContext = { token: null };
const surgeon: CallContext = { token: null };
type UserRow = { id: string; username: string; lockedUntil: string | null; connectionLockedUntil: string | null };
const userOf = async (username: string): Promise<UserRow> => ((await call(admin, 'users', 'list')) as UserRow[]).find((u) => u.username === username)!;

beforeAll(async () => {
  host = createServices({
    dataDir: path.join(tmp.dir, 'data'),
    transport: 'cli',
    keyStore: null,
    policy: SitePolicy.parse({ maxFailedLogins: MAX, lockoutMinutes: 5, lockMinutes: 0 }),
  });
  (host.access as unknown as { now: () => number }).now = () => clock;
  await call(admin, 'users', 'create', { username: 'it', displayName: 'Hospital IT', role: 'administrator', password: PASSWORD });
  await call(admin, 'auth', 'login', 'it', PASSWORD);
  for (const [username, role] of [
    ['alice', 'surgeon'],
    ['bob', 'sonographer'],
    ['carol', 'researcher'],
    ['dave', 'surgeon'],
  ])
    await call(admin, 'users', 'create', { username, displayName: username, role, password: PASSWORD });
  await call(surgeon, 'auth', 'login', 'dave', PASSWORD);
});
afterAll(() => {
  vi.restoreAllMocks();
  host.close();
  tmp.cleanup();
});

describe('one answer to every refused sign-in', () => {
  const expected = JSON.stringify({ code: 'UNAUTHORIZED', message: SIGN_IN_REFUSED, detail: undefined });
  const answers: Record<string, string> = {};

  it('unknown name, wrong password, disabled account, locked-out connection and locked-out account: byte-identical answers, one scrypt each', async () => {
    const scrypt = vi.spyOn(crypto, 'scrypt');
    answers['unknown'] = await refusal(call({ token: null }, 'auth', 'login', 'nobody-here', PASSWORD));
    expect(lastAudit()).toMatchObject({ actor: 'nobody-here', action: 'login-failed', recordId: '', detail: { reason: 'unknown-user' } });
    answers['wrong'] = await refusal(call({ token: null }, 'auth', 'login', 'alice', 'not her password'));
    const alice = await userOf('alice');
    expect(lastAudit()).toMatchObject({ actor: 'alice', action: 'login-failed', recordId: alice.id, detail: { reason: 'wrong-password' } });
    // bob's connection guesses MAX times: that connection is locked out of bob, even with the right password
    const guesser: CallContext = { token: null };
    for (let i = 0; i < MAX; i++) expect(await refusal(call(guesser, 'auth', 'login', 'bob', 'guess ' + i))).toBe(expected);
    expect(lastAudit().detail).toMatchObject({ reason: 'wrong-password', lockout: 'connection' });
    answers['connection locked out'] = await refusal(call(guesser, 'auth', 'login', 'bob', PASSWORD));
    expect(lastAudit()).toMatchObject({ actor: 'bob', action: 'login-failed', detail: { reason: 'connection-locked-out' } });
    // carol's account is flooded from many connections: the account itself locks
    nextMinute();
    for (let i = 0; i < ACCOUNT_LOCKOUT_FACTOR * MAX; i++) await refusal(call({ token: null }, 'auth', 'login', 'carol', 'flood ' + i));
    expect(lastAudit().detail).toMatchObject({ reason: 'wrong-password', lockout: 'account' });
    answers['account locked out'] = await refusal(call({ token: null }, 'auth', 'login', 'carol', PASSWORD));
    expect(lastAudit()).toMatchObject({
      actor: 'carol',
      action: 'login-failed',
      detail: { reason: 'locked-out', lockedUntil: new Date(clock + LOCKOUT_MS).toISOString() },
    });
    // a disabled account
    await call(admin, 'users', 'update', alice.id, { disabled: true });
    answers['disabled'] = await refusal(call({ token: null }, 'auth', 'login', 'alice', PASSWORD));
    expect(lastAudit()).toMatchObject({ actor: 'alice', action: 'login-failed', detail: { reason: 'disabled' } });
    await call(admin, 'users', 'update', alice.id, { disabled: false });
    // byte for byte the same, whatever the reason
    for (const [what, answer] of Object.entries(answers)) expect(answer, what).toBe(expected);
    expect(new Set(Object.values(answers).map((a) => Buffer.from(a).toString('hex'))).size).toBe(1);
    // every sign-in attempt hashed once, with the same cost (a locked-out or unknown name is checked against a decoy hash)
    const attempts = 5 + MAX + ACCOUNT_LOCKOUT_FACTOR * MAX;
    expect(scrypt).toHaveBeenCalledTimes(attempts);
    expect(new Set(scrypt.mock.calls.map((c) => JSON.stringify(c[3])))).toEqual(new Set([JSON.stringify({ N: 32768, r: 8, p: 1, maxmem: 128 * 1024 * 1024 })]));
    scrypt.mockRestore();
  });

  it('a locked-out account answers after comparable time as an unknown name and a wrong password', async () => {
    nextMinute();
    const time = async (username: string, password: string): Promise<number> => {
      let best = Infinity;
      for (let i = 0; i < 3; i++) {
        const t0 = performance.now();
        await refusal(call({ token: null }, 'auth', 'login', username, password));
        best = Math.min(best, performance.now() - t0);
      }
      return best;
    };
    const unknown = await time('nobody-here', PASSWORD);
    const lockedOut = await time('carol', PASSWORD);
    const wrong = await time('dave', 'not his password');
    console.log(`sign-in refusals (best of 3): unknown ${unknown.toFixed(1)} ms, locked out ${lockedOut.toFixed(1)} ms, wrong password ${wrong.toFixed(1)} ms`);
    // each is one scrypt (tens of ms): a refusal without it would be well under a millisecond
    for (const t of [unknown, lockedOut]) expect(t).toBeGreaterThan(wrong / 4);
    expect(lockedOut).toBeGreaterThan(unknown / 4);
  });

  it('the administrator sees both lockouts, until when', async () => {
    const bob = await userOf('bob');
    const carol = await userOf('carol');
    expect(bob.lockedUntil).toBeNull();
    expect(Date.parse(bob.connectionLockedUntil!)).toBeGreaterThan(clock);
    expect(carol.lockedUntil).not.toBeNull();
    expect(Date.parse(carol.lockedUntil!)).toBeGreaterThan(clock);
    expect((await userOf('dave')).lockedUntil).toBeNull();
  });
});

describe('the administrator unlocks an account and resets a password', () => {
  it('unlock lets the user in at once, from the locked-out connection too; audited account-unlock', async () => {
    nextMinute();
    const carol = await userOf('carol');
    await call(admin, 'users', 'unlock', carol.id);
    expect(lastAudit()).toMatchObject({
      actor: 'it',
      action: 'account-unlock',
      recordType: 'user',
      recordId: carol.id,
      detail: { lockedUntil: carol.lockedUntil },
    });
    expect(await userOf('carol')).toMatchObject({ lockedUntil: null, connectionLockedUntil: null });
    await expect(call({ token: null }, 'auth', 'login', 'carol', PASSWORD)).resolves.toMatchObject({ username: 'carol' });
    // bob's connection was locked out: an unlock clears every connection's lockout (and its count of failures)
    const bob = await userOf('bob');
    const guesser: CallContext = { token: null };
    for (let i = 0; i < MAX; i++) await refusal(call(guesser, 'auth', 'login', 'bob', 'guess ' + i));
    expect(await refusal(call(guesser, 'auth', 'login', 'bob', PASSWORD))).toMatch(SIGN_IN_REFUSED);
    await call(admin, 'users', 'unlock', bob.id);
    expect(lastAudit()).toMatchObject({ action: 'account-unlock', recordId: bob.id, detail: { lockedUntil: null } });
    expect((lastAudit().detail as { connectionLockedUntil: string | null }).connectionLockedUntil).not.toBeNull();
    await expect(call(guesser, 'auth', 'login', 'bob', PASSWORD)).resolves.toMatchObject({ username: 'bob' });
  });

  it('without an unlock the lockout still lasts the policy’s time, then ends by itself', async () => {
    nextMinute();
    const c: CallContext = { token: null };
    for (let i = 0; i < MAX; i++) await refusal(call(c, 'auth', 'login', 'carol', 'guess ' + i));
    expect(await refusal(call(c, 'auth', 'login', 'carol', PASSWORD))).toMatch(SIGN_IN_REFUSED);
    clock += LOCKOUT_MS - 2_000;
    expect(await refusal(call(c, 'auth', 'login', 'carol', PASSWORD))).toMatch(SIGN_IN_REFUSED);
    clock += 3_000;
    expect((await userOf('carol')).connectionLockedUntil).toBeNull();
    await expect(call(c, 'auth', 'login', 'carol', PASSWORD)).resolves.toMatchObject({ username: 'carol' });
  });

  it('a reset password signs in, the old one no longer does, the user’s sessions end; audited password-reset without the password', async () => {
    nextMinute();
    const alice = await userOf('alice');
    const aliceSession: CallContext = { token: null };
    await call(aliceSession, 'auth', 'login', 'alice', PASSWORD);
    expect(await code(call(admin, 'users', 'resetPassword', alice.id, 'short'))).toBe('BAD_REQUEST');
    await expect(call(admin, 'users', 'resetPassword', alice.id, 'short')).rejects.toThrow(/at least 12 characters/);
    await call(admin, 'users', 'resetPassword', alice.id, NEW_PASSWORD);
    expect(lastAudit()).toMatchObject({ actor: 'it', action: 'password-reset', recordType: 'user', recordId: alice.id, detail: {} });
    expect(await code(call(aliceSession, 'patients', 'list', ''))).toBe('UNAUTHORIZED');
    expect(await refusal(call({ token: null }, 'auth', 'login', 'alice', PASSWORD))).toMatch(SIGN_IN_REFUSED);
    await expect(call({ token: null }, 'auth', 'login', 'alice', NEW_PASSWORD)).resolves.toMatchObject({ username: 'alice' });
    // the older way (users.update with a password) is the same reset, audited the same
    await call(admin, 'users', 'update', alice.id, { password: PASSWORD });
    expect(lastAudit()).toMatchObject({ action: 'password-reset', recordId: alice.id });
    await expect(call({ token: null }, 'auth', 'login', 'alice', PASSWORD)).resolves.toMatchObject({ username: 'alice' });
    const log = JSON.stringify(host.store.auditLog.records());
    expect(log).not.toContain(NEW_PASSWORD);
    expect(log).not.toContain(PASSWORD);
    expect(await code(call(admin, 'users', 'unlock', 'no-such-user'))).toBe('NOT_FOUND');
  });

  it('only an administrator may unlock or reset: a surgeon is refused (audited), a signed-out connection too', async () => {
    const alice = await userOf('alice');
    expect(await code(call(surgeon, 'users', 'unlock', alice.id))).toBe('FORBIDDEN');
    await expect(call(surgeon, 'users', 'unlock', alice.id)).rejects.toThrow(/a surgeon may not unlock user accounts/);
    expect(await code(call(surgeon, 'users', 'resetPassword', alice.id, NEW_PASSWORD))).toBe('FORBIDDEN');
    expect(lastAudit()).toMatchObject({ actor: 'dave', action: 'forbidden', recordId: 'users.resetPassword' });
    expect(await code(call({ token: null }, 'users', 'resetPassword', alice.id, NEW_PASSWORD))).toBe('UNAUTHORIZED');
    // nothing changed: her password is still the one the administrator set last
    await expect(call({ token: null }, 'auth', 'login', 'alice', PASSWORD)).resolves.toMatchObject({ username: 'alice' });
    expect(((await call(admin, 'audit', 'verify')) as { ok: boolean }).ok).toBe(true);
  });
});

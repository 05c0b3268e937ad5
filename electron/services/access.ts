/**
 * Users, roles and sessions (issue 6 §5), enforced where every call enters
 * the services (`callService`), not in the UI:
 * - local accounts with scrypt password hashes (RFC 7914; N = 2¹⁵, r = 8,
 *   p = 1, 16-byte salt, 32-byte key — the OWASP password-storage parameters),
 *   a minimum length from the site policy, lockout after repeated failures;
 * - roles: administrator (everything, users and audit), surgeon (all patient
 *   data, identified export, deleting patients), sonographer (acquisition,
 *   fusion, calibration, registration; no deletion, no identified export),
 *   researcher (reads de-identified data only: names, MRNs, birth dates and
 *   source paths are removed from what the services return; de-identified
 *   export only);
 * - a session per connection (the WebSocket of the browser mode, the
 *   renderer's webContents on the desktop) that locks after the policy's
 *   inactivity time and is unlocked with the user's password;
 * - single-user mode while no account exists (the workstation's local user
 *   is the administrator), so a fresh install works before IT sets it up.
 * Logins, failed logins, logouts, locks and reads of patient data are audited.
 */
import crypto from 'node:crypto';
import { AppError } from '../contract/errors.js';
import type { TwinStore } from '../db/store.js';
import { newId } from '../db/files.js';
import type { MethodSpec } from '../contract/define.js';
import type { CallContext, Caller, Role } from './actor.js';
import { lockAfterMs, type SitePolicy } from './policy.js';

export type { Role };

export type { CallContext };

export interface UserRecord {
  id: string;
  username: string;
  displayName: string;
  role: Role;
  disabled: boolean;
  createdAt: string;
  /** Until when the account itself is locked out (ISO 8601), or null when it is not now. */
  lockedUntil: string | null;
  /** Until when at least one connection is locked out of the account (ISO 8601), or null when none is now. */
  connectionLockedUntil: string | null;
}

interface Session {
  userId: string;
  username: string;
  role: Role;
  lastActivityMs: number;
  locked: boolean;
}

const SCRYPT = { N: 1 << 15, r: 8, p: 1, keyLen: 32, maxmem: 128 * 1024 * 1024 };

/** scrypt$N$r$p$salt$key (base64). */
export function hashPassword(password: string): string {
  const salt = crypto.randomBytes(16);
  const key = crypto.scryptSync(password, salt, SCRYPT.keyLen, { N: SCRYPT.N, r: SCRYPT.r, p: SCRYPT.p, maxmem: SCRYPT.maxmem });
  return ['scrypt', SCRYPT.N, SCRYPT.r, SCRYPT.p, salt.toString('base64'), key.toString('base64')].join('$');
}

/** Constant-time check of a password against a stored hash. */
export function verifyPassword(password: string, stored: string): boolean {
  const [alg, N, r, p, salt, key] = stored.split('$');
  if (alg !== 'scrypt' || !salt || !key) return false;
  const want = Buffer.from(key, 'base64');
  const got = crypto.scryptSync(password, Buffer.from(salt, 'base64'), want.length, { N: Number(N), r: Number(r), p: Number(p), maxmem: SCRYPT.maxmem });
  return crypto.timingSafeEqual(got, want);
}

/**
 * The same check off the event loop (scrypt on libuv's thread pool), so a
 * burst of sign-in attempts does not stall the host for everyone.
 * @returns false for a malformed stored hash or a wrong password
 */
export async function verifyPasswordAsync(password: string, stored: string): Promise<boolean> {
  const [alg, N, r, p, salt, key] = stored.split('$');
  if (alg !== 'scrypt' || !salt || !key) return false;
  const want = Buffer.from(key, 'base64');
  const got = await new Promise<Buffer>((resolve, reject) =>
    crypto.scrypt(password, Buffer.from(salt, 'base64'), want.length, { N: Number(N), r: Number(r), p: Number(p), maxmem: SCRYPT.maxmem }, (e, k) =>
      e ? reject(e) : resolve(k),
    ),
  );
  return crypto.timingSafeEqual(got, want);
}

/** A hash no password matches, verified for unknown user names so that a sign-in takes as long whether the name exists or not. */
let decoyHash: string | null = null;
const decoy = (): string => (decoyHash ??= hashPassword(crypto.randomBytes(24).toString('base64')));

/** The account itself locks after this many times the policy's maximum of failed passwords (over all connections). */
export const ACCOUNT_LOCKOUT_FACTOR = 4;

/**
 * The one answer to every refused sign-in — unknown name, wrong password, disabled account, account or connection
 * locked out — so the caller cannot tell which user names exist (the audit log records the real reason).
 */
export const SIGN_IN_REFUSED = 'wrong user name or password';

/** Sign-in and unlock attempts one connection may make per minute (then refused until the minute has passed). */
export const AUTH_ATTEMPTS_PER_MINUTE = 20;

/** Looks a method's spec up (its roles, audit rule, redaction, policy check): the merged contract of the capabilities. */
export type MethodSpecLookup = (service: string, method: string) => MethodSpec | undefined;

const userFromRow = (r: Record<string, unknown>): Omit<UserRecord, 'lockedUntil' | 'connectionLockedUntil'> => ({
  id: r['id'] as string,
  username: r['username'] as string,
  displayName: r['display_name'] as string,
  role: r['role'] as Role,
  disabled: r['disabled'] === 1,
  createdAt: r['created_at'] as string,
});

/** The key of a user name in the in-memory lockout tables (user names are case-insensitive, as in the users table). */
const nameKey = (username: string): string => username.toLowerCase();

type ConnFailure = { failures: number; lockedUntil: number; generation: number };

export class AccessControl {
  private readonly sessions = new Map<string, Session>();
  /** Sign-in and unlock attempts per connection, and of all connections, in the last minute (ms timestamps). */
  private readonly attempts = new WeakMap<CallContext, number[]>();
  /**
   * Failed passwords per connection and user name, and until when that connection is locked out of that account (ms);
   * an entry counts only while its generation is the user name's current one (an administrator's unlock or password
   * reset starts a new generation, clearing every connection's count and lockout at once).
   */
  private readonly connFailures = new WeakMap<CallContext, Map<string, ConnFailure>>();
  /** Per user name: the generation of its connection lockouts, and the latest time until which a connection is locked out (ms). */
  private readonly lockoutGeneration = new Map<string, number>();
  private readonly connLockedUntil = new Map<string, number>();
  private allAttempts: number[] = [];
  /** Data tickets (bulk-data routes and streams) → the page connection each stands for. */
  private readonly tickets = new Map<string, CallContext>();
  private readonly ticketOf = new WeakMap<CallContext, string>();

  constructor(
    private readonly store: TwinStore,
    readonly policy: SitePolicy,
    private readonly localUser: string,
    private readonly specOf: MethodSpecLookup,
    private readonly now: () => number = Date.now,
  ) {}

  /** True once an account exists: every call then needs a signed-in, unlocked session. */
  accountsEnabled(): boolean {
    return (this.store.db.prepare('SELECT COUNT(*) AS n FROM users').get() as { n: number }).n > 0;
  }

  private userRow(username: string): (UserRecord & { passwordHash: string; failedLogins: number }) | null {
    const r = this.store.db.prepare('SELECT * FROM users WHERE username = ?').get(username) as Record<string, unknown> | undefined;
    if (!r) return null;
    return { ...this.userRecord(r), passwordHash: r['password_hash'] as string, failedLogins: r['failed_logins'] as number };
  }

  /** A users row as the services show it, with the lockouts in force now. */
  private userRecord(r: Record<string, unknown>): UserRecord {
    const u = userFromRow(r);
    const t = this.now();
    const locked = (r['locked_until'] as string | null) ?? null;
    const conn = this.connLockedUntil.get(nameKey(u.username)) ?? 0;
    return {
      ...u,
      lockedUntil: locked && Date.parse(locked) > t ? locked : null,
      connectionLockedUntil: conn > t ? new Date(conn).toISOString() : null,
    };
  }

  listUsers(): UserRecord[] {
    return (this.store.db.prepare('SELECT * FROM users ORDER BY username').all() as Record<string, unknown>[]).map((r) => this.userRecord(r));
  }

  /**
   * Creates an account. The first account must be an administrator (it turns login on).
   * @throws AppError BAD_REQUEST for a taken name, a short password, or a first account that is not an administrator
   */
  createUser(actor: string, u: { username: string; displayName: string; role: Role; password: string }): UserRecord {
    if (!this.accountsEnabled() && u.role !== 'administrator')
      throw new AppError('BAD_REQUEST', 'the first account must be an administrator (creating it turns login on)');
    this.checkPassword(u.password);
    if (this.userRow(u.username)) throw new AppError('BAD_REQUEST', `the user name ${u.username} is taken`);
    const id = newId();
    const t = new Date(this.now()).toISOString();
    this.store.db
      .prepare('INSERT INTO users (id, username, display_name, role, password_hash, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)')
      .run(id, u.username, u.displayName, u.role, hashPassword(u.password), t, t);
    this.store.audit(actor, 'create', 'user', id, { role: u.role });
    return this.listUsers().find((x) => x.id === id)!;
  }

  /** @throws AppError BAD_REQUEST for a password the site policy refuses (shorter than its minimum) */
  private checkPassword(password: string): void {
    if (password.length < this.policy.minPasswordLength)
      throw new AppError('BAD_REQUEST', `the password must have at least ${this.policy.minPasswordLength} characters`);
  }

  /**
   * Changes a user's role, disables the account or resets its password (as `resetPassword`; its sessions end).
   * @throws AppError NOT_FOUND, BAD_REQUEST when it would leave no active administrator or for a refused password
   */
  updateUser(actor: string, id: string, change: { role?: Role | undefined; disabled?: boolean | undefined; password?: string | undefined }): UserRecord {
    const u = this.listUsers().find((x) => x.id === id);
    if (!u) throw new AppError('NOT_FOUND', `no user ${id}`);
    const admins = this.listUsers().filter((x) => x.role === 'administrator' && !x.disabled && x.id !== id);
    if (u.role === 'administrator' && admins.length === 0 && ((change.role && change.role !== 'administrator') || change.disabled))
      throw new AppError('BAD_REQUEST', 'at least one active administrator must remain');
    if (change.password !== undefined) this.checkPassword(change.password);
    const t = new Date(this.now()).toISOString();
    if (change.role) this.store.db.prepare('UPDATE users SET role = ?, updated_at = ? WHERE id = ?').run(change.role, t, id);
    if (change.disabled !== undefined) this.store.db.prepare('UPDATE users SET disabled = ?, updated_at = ? WHERE id = ?').run(change.disabled ? 1 : 0, t, id);
    if (change.role !== undefined || change.disabled !== undefined)
      this.store.audit(actor, 'update', 'user', id, { role: change.role ?? null, disabled: change.disabled ?? null });
    if (change.password !== undefined) this.resetPassword(actor, id, change.password);
    this.endSessionsOf(id);
    return this.listUsers().find((x) => x.id === id)!;
  }

  /**
   * An administrator's unlock: clears the account's lockout and failed-login count and every connection's lockout of
   * it, so the user can sign in at once. Audited `account-unlock` with what was locked.
   * @throws AppError NOT_FOUND
   */
  unlockAccount(actor: string, id: string): UserRecord {
    const u = this.listUsers().find((x) => x.id === id);
    if (!u) throw new AppError('NOT_FOUND', `no user ${id}`);
    this.store.db.prepare('UPDATE users SET failed_logins = 0, locked_until = NULL, updated_at = ? WHERE id = ?').run(new Date(this.now()).toISOString(), id);
    this.clearConnectionLockouts(u.username);
    this.store.audit(actor, 'account-unlock', 'user', id, { lockedUntil: u.lockedUntil, connectionLockedUntil: u.connectionLockedUntil });
    return this.listUsers().find((x) => x.id === id)!;
  }

  /**
   * An administrator sets a user's password (checked against the site policy like a new account's): the old one no
   * longer signs in, the lockouts are cleared and the user's sessions end. Audited `password-reset` (never the password).
   * @throws AppError NOT_FOUND, BAD_REQUEST for a refused password
   */
  resetPassword(actor: string, id: string, password: string): UserRecord {
    const u = this.listUsers().find((x) => x.id === id);
    if (!u) throw new AppError('NOT_FOUND', `no user ${id}`);
    this.checkPassword(password);
    this.store.db
      .prepare('UPDATE users SET password_hash = ?, failed_logins = 0, locked_until = NULL, updated_at = ? WHERE id = ?')
      .run(hashPassword(password), new Date(this.now()).toISOString(), id);
    this.clearConnectionLockouts(u.username);
    this.endSessionsOf(id);
    this.store.audit(actor, 'password-reset', 'user', id, {});
    return this.listUsers().find((x) => x.id === id)!;
  }

  private endSessionsOf(userId: string): void {
    for (const [token, s] of this.sessions) if (s.userId === userId) this.sessions.delete(token);
  }

  /** Every connection's failed-password count and lockout of this user name end (a new generation). */
  private clearConnectionLockouts(username: string): void {
    const k = nameKey(username);
    this.lockoutGeneration.set(k, (this.lockoutGeneration.get(k) ?? 0) + 1);
    this.connLockedUntil.delete(k);
  }

  /** This connection's failed-password count for a user name, when it is of the name's current generation. */
  private connFailure(ctx: CallContext, username: string): ConnFailure | undefined {
    const f = this.connFailures.get(ctx)?.get(nameKey(username));
    return f && f.generation === (this.lockoutGeneration.get(nameKey(username)) ?? 0) ? f : undefined;
  }

  /**
   * Signs in on a connection. Every refusal — unknown or disabled name, wrong password, the account or this
   * connection locked out — answers the same UNAUTHORIZED SIGN_IN_REFUSED after the same work (one scrypt, off the
   * event loop: against a decoy hash when the name's own may not be used), so neither the answer nor its time tells
   * which user names exist. The audit log records the real reason (`login-failed` with `reason`: unknown-user,
   * disabled, wrong-password, locked-out, connection-locked-out; `lockout` when this failure started one).
   * @throws AppError UNAUTHORIZED SIGN_IN_REFUSED, or too many attempts from this connection or in all (AUTH_ATTEMPTS_PER_MINUTE)
   */
  async login(ctx: CallContext, username: string, password: string): Promise<UserRecord> {
    this.throttle(ctx);
    const t0 = this.now();
    const u0 = this.userRow(username);
    const usable = u0 && !u0.disabled && !u0.lockedUntil && (this.connFailure(ctx, username)?.lockedUntil ?? 0) <= t0;
    const ok = await verifyPasswordAsync(password, usable ? u0.passwordHash : decoy());
    // read again after the wait: other attempts (or an administrator's unlock) may have changed it meanwhile
    const u = this.userRow(username);
    const t = this.now();
    const reason = !u
      ? 'unknown-user'
      : u.disabled
        ? 'disabled'
        : u.lockedUntil
          ? 'locked-out'
          : (this.connFailure(ctx, username)?.lockedUntil ?? 0) > t
            ? 'connection-locked-out'
            : !ok || !usable
              ? 'wrong-password'
              : null;
    if (!u || reason) {
      const lockout = u && (reason === 'wrong-password' || reason === 'disabled') ? this.countFailure(ctx, u, t) : null;
      this.store.audit(username, 'login-failed', 'user', u?.id ?? '', {
        reason: reason ?? 'unknown-user',
        ...(reason === 'locked-out' ? { lockedUntil: u?.lockedUntil } : {}),
        ...(lockout ? { lockout } : {}),
      });
      throw new AppError('UNAUTHORIZED', SIGN_IN_REFUSED);
    }
    this.store.db.prepare('UPDATE users SET failed_logins = 0, locked_until = NULL WHERE id = ?').run(u.id);
    this.connFailures.get(ctx)?.delete(nameKey(username));
    if (ctx.token) this.sessions.delete(ctx.token);
    const token = crypto.randomBytes(32).toString('hex');
    this.sessions.set(token, { userId: u.id, username: u.username, role: u.role, lastActivityMs: t, locked: false });
    ctx.token = token;
    this.store.audit(u.username, 'login', 'user', u.id, { role: u.role });
    return {
      id: u.id,
      username: u.username,
      displayName: u.displayName,
      role: u.role,
      disabled: u.disabled,
      createdAt: u.createdAt,
      lockedUntil: null,
      connectionLockedUntil: null,
    };
  }

  /**
   * Counts a failed password. At the policy's maximum from one connection, that connection is locked out of the
   * account for the lockout time; the account itself locks only at ACCOUNT_LOCKOUT_FACTOR times that over all
   * connections — so a token holder guessing from another connection cannot lock a user out of their own session
   * with a few wrong passwords, while a flood from many connections still locks the account.
   * @returns the lockout this failure started ('account', 'connection'), 'connection' while this connection is still
   *   locked out, or null
   */
  private countFailure(ctx: CallContext, u: { id: string; username: string; failedLogins: number }, t: number): 'account' | 'connection' | null {
    const lockedUntil = t + this.policy.lockoutMinutes * 60_000;
    const n = u.failedLogins + 1;
    const accountLock = n >= ACCOUNT_LOCKOUT_FACTOR * this.policy.maxFailedLogins ? new Date(lockedUntil).toISOString() : null;
    this.store.db.prepare('UPDATE users SET failed_logins = ?, locked_until = ? WHERE id = ?').run(accountLock ? 0 : n, accountLock, u.id);
    const k = nameKey(u.username);
    const mine = this.connFailures.get(ctx) ?? new Map<string, ConnFailure>();
    this.connFailures.set(ctx, mine);
    const f = this.connFailure(ctx, u.username) ?? { failures: 0, lockedUntil: 0, generation: this.lockoutGeneration.get(k) ?? 0 };
    f.failures++;
    if (f.failures >= this.policy.maxFailedLogins) {
      f.lockedUntil = lockedUntil;
      f.failures = 0;
      this.connLockedUntil.set(k, Math.max(lockedUntil, this.connLockedUntil.get(k) ?? 0));
    }
    mine.set(k, f);
    return accountLock ? 'account' : f.lockedUntil > t ? 'connection' : null;
  }

  /**
   * Refuses a connection's sign-in or unlock attempt past AUTH_ATTEMPTS_PER_MINUTE (and all connections' past
   * five times that), before any password is hashed.
   * @throws AppError UNAUTHORIZED naming the wait
   */
  private throttle(ctx: CallContext): void {
    const t = this.now();
    const recent = (list: number[]): number[] => list.filter((x) => t - x < 60_000);
    const mine = recent(this.attempts.get(ctx) ?? []);
    this.allAttempts = recent(this.allAttempts);
    if (mine.length >= AUTH_ATTEMPTS_PER_MINUTE || this.allAttempts.length >= 5 * AUTH_ATTEMPTS_PER_MINUTE)
      throw new AppError('UNAUTHORIZED', 'too many sign-in attempts: wait a minute and try again');
    mine.push(t);
    this.allAttempts.push(t);
    this.attempts.set(ctx, mine);
  }

  logout(ctx: CallContext): void {
    const s = ctx.token ? this.sessions.get(ctx.token) : undefined;
    if (ctx.token) this.sessions.delete(ctx.token);
    ctx.token = null;
    if (s) this.store.audit(s.username, 'logout', 'user', s.userId, {});
  }

  /**
   * Unlocks a connection's session with its user's password (verified off the event loop). Wrong passwords count
   * towards the account's lockout like failed sign-ins: at the policy's maximum the session ends and the account is
   * locked for the lockout time.
   * @throws AppError UNAUTHORIZED without a session, for a wrong password, a locked-out account, or too many attempts
   */
  async unlock(ctx: CallContext, password: string): Promise<void> {
    this.throttle(ctx);
    const s = ctx.token ? this.sessions.get(ctx.token) : undefined;
    if (!s) throw new AppError('UNAUTHORIZED', 'not signed in');
    const u0 = this.userRow(s.username);
    if (u0?.lockedUntil && Date.parse(u0.lockedUntil) > this.now()) {
      this.logout(ctx);
      throw new AppError('UNAUTHORIZED', `too many failed attempts: signed out; the account is locked until ${u0.lockedUntil.slice(11, 16)} UTC`);
    }
    const ok = await verifyPasswordAsync(password, u0 && !u0.disabled ? u0.passwordHash : decoy());
    const u = this.userRow(s.username);
    if (!u || u.disabled || !ok) {
      this.store.audit(s.username, 'login-failed', 'user', s.userId, { reason: 'unlock' });
      if (u && this.countFailure(ctx, u, this.now())) {
        this.logout(ctx);
        throw new AppError('UNAUTHORIZED', 'too many failed attempts: signed out; the account is locked');
      }
      throw new AppError('UNAUTHORIZED', 'wrong password');
    }
    this.store.db.prepare('UPDATE users SET failed_logins = 0 WHERE id = ?').run(u.id);
    this.connFailures.get(ctx)?.delete(nameKey(s.username));
    s.locked = false;
    s.lastActivityMs = this.now();
    this.store.audit(s.username, 'unlock', 'user', s.userId, {});
  }

  /** Locks the connection's session now (no effect without one). */
  lockNow(ctx: CallContext): void {
    const s = ctx.token ? this.sessions.get(ctx.token) : undefined;
    if (s && !s.locked) this.lock(s);
  }

  /**
   * The connection's data ticket (one per connection, created on first ask):
   * a random 256-bit string that the bulk-data routes and the stream endpoint
   * accept in place of the connection itself. A request with it is checked
   * against that connection's session as it is at the time of the request
   * (signed in, unlocked, role), so a ticket outlives neither a sign-out nor
   * a lock in effect; `forgetConnection` revokes it.
   */
  dataTicket(ctx: CallContext): string {
    let t = this.ticketOf.get(ctx);
    if (!t) {
      t = crypto.randomBytes(32).toString('hex');
      this.ticketOf.set(ctx, t);
      this.tickets.set(t, ctx);
    }
    return t;
  }

  /**
   * Checks a bulk-data route (electron/contract/bulk.ts) for the connection a ticket stands for.
   * @param ticket the `x-orthotwin-ticket` header or `ticket` query parameter
   * @param route a method of the `data` routes (volume, artefact, upload, streams)
   * @returns the caller and its connection
   * @throws AppError UNAUTHORIZED (no or unknown ticket, not signed in), LOCKED, FORBIDDEN (the role may not)
   */
  authorizeTicket(ticket: string | null | undefined, route: string, args: readonly unknown[]): { caller: Caller; ctx: CallContext } {
    const ctx = ticket ? this.tickets.get(ticket) : undefined;
    if (!ctx) throw new AppError('UNAUTHORIZED', 'no valid data ticket: the page must ask auth.dataTicket on its connection first');
    return { caller: this.authorize(ctx, 'data', route, args), ctx };
  }

  /**
   * Why the connection may not use a method now (not signed in, locked, its
   * role may not), or null when it may: for connections held open (streams),
   * checked again while they last. Touches neither the activity time nor the audit log.
   */
  refusal(ctx: CallContext, service: string, method: string): string | null {
    return this.refusalGiven(this.status(ctx), service, method);
  }

  /**
   * The methods (`service.method`) among `methods` the connection may call now, by `refusal`'s rules, its status read
   * once (what `auth.status` lists for the UI).
   */
  allowed(ctx: CallContext, methods: readonly (readonly [service: string, method: string])[]): string[] {
    const s = this.status(ctx);
    return methods.filter(([service, method]) => this.refusalGiven(s, service, method) === null).map(([service, method]) => `${service}.${method}`);
  }

  private refusalGiven(s: ReturnType<AccessControl['status']>, service: string, method: string): string | null {
    if (!s.accountsEnabled) return null;
    if (!s.user) return 'signed out';
    if (s.locked) return 'session locked';
    const spec = this.specOf(service, method);
    const roles = this.rolesOf(spec);
    return roles === 'public' || roles?.includes(s.user.role) ? null : `a ${s.user.role} may not ${spec?.verb ?? `call ${service}.${method}`}`;
  }

  /** Who may call a method: its roles, a policy rule read against the site policy, or undefined for no such method. */
  private rolesOf(spec: MethodSpec | undefined): readonly Role[] | 'public' | undefined {
    return typeof spec?.roles === 'function' ? spec.roles(this.policy) : spec?.roles;
  }

  /** The connection is gone (its page closed): its data ticket no longer opens anything. */
  forgetConnection(ctx: CallContext): void {
    const t = this.ticketOf.get(ctx);
    if (t) this.tickets.delete(t);
    this.ticketOf.delete(ctx);
  }

  /** The connection's state, without touching its activity time. */
  status(ctx: CallContext): { accountsEnabled: boolean; user: { username: string; role: Role } | null; locked: boolean; lockAfterMs: number } {
    const s = ctx.token ? this.sessions.get(ctx.token) : undefined;
    if (s && !s.locked && this.idle(s)) this.lock(s);
    return {
      accountsEnabled: this.accountsEnabled(),
      user: s ? { username: s.username, role: s.role } : null,
      locked: s?.locked ?? false,
      lockAfterMs: lockAfterMs(this.policy),
    };
  }

  private idle(s: Session): boolean {
    const ms = lockAfterMs(this.policy);
    return ms > 0 && this.now() - s.lastActivityMs > ms;
  }

  private lock(s: Session): void {
    s.locked = true;
    this.store.audit(s.username, 'lock', 'user', s.userId, { afterMs: lockAfterMs(this.policy) });
  }

  /**
   * Checks a call before it runs: signed in, not locked (idle past the policy's time locks it), role allowed.
   * @returns who is calling (for the audit and `createdBy`)
   * @throws AppError UNAUTHORIZED (not signed in), LOCKED (inactive too long: unlock with the password), FORBIDDEN (the role may not)
   */
  authorize(ctx: CallContext, service: string, method: string, args: readonly unknown[]): Caller {
    const key = `${service}.${method}`;
    const spec = this.specOf(service, method);
    const roles = this.rolesOf(spec);
    if (roles === 'public') return { actor: this.callerName(ctx), role: this.roleOf(ctx) };
    // the site policy binds the local user of single-user mode too
    const refusal = spec?.policyCheck?.(args, this.policy);
    if (!this.accountsEnabled()) {
      if (refusal) throw new AppError('FORBIDDEN', refusal);
      return { actor: this.localUser, role: 'administrator' };
    }
    const s = ctx.token ? this.sessions.get(ctx.token) : undefined;
    if (!s) throw new AppError('UNAUTHORIZED', 'sign in first');
    if (!s.locked && this.idle(s)) this.lock(s);
    if (s.locked)
      throw new AppError('LOCKED', `the session locked after ${Math.round(lockAfterMs(this.policy) / 1000)} s without activity: unlock with your password`);
    s.lastActivityMs = this.now();
    if (!roles || !roles.includes(s.role)) {
      this.store.audit(s.username, 'forbidden', 'call', key, {});
      throw new AppError('FORBIDDEN', `a ${s.role} may not ${spec?.verb ?? `call ${key}`}`);
    }
    if (refusal) throw new AppError('FORBIDDEN', refusal);
    return { actor: s.username, role: s.role };
  }

  private callerName(ctx: CallContext): string {
    const s = ctx.token ? this.sessions.get(ctx.token) : undefined;
    return s?.username ?? (this.accountsEnabled() ? 'anonymous' : this.localUser);
  }

  private roleOf(ctx: CallContext): Role {
    const s = ctx.token ? this.sessions.get(ctx.token) : undefined;
    return s?.role ?? (this.accountsEnabled() ? 'researcher' : 'administrator');
  }

  /** Audits a call its method's spec marks as audited (reads of patient data, device session events), after it succeeded. */
  auditRead(caller: Caller, service: string, method: string, args: readonly unknown[]): void {
    const rule = this.specOf(service, method)?.audit;
    if (!rule) return;
    const a = args[0];
    const id = typeof a === 'string' ? a : '';
    if (rule.detail === 'spec-kind') {
      const kind = a && typeof a === 'object' && 'kind' in a ? String((a as { kind: unknown }).kind) : null;
      this.store.audit(caller.actor, rule.action, rule.recordType, id, kind ? { kind } : {});
    } else this.store.audit(caller.actor, rule.action, rule.recordType, id, { via: `${service}.${method}` });
  }

  /** What a caller of this role receives: a researcher gets the method's de-identified result where its spec declares one. */
  redactForRole(role: Role, service: string, method: string, value: unknown): unknown {
    if (role !== 'researcher') return value;
    const redact = this.specOf(service, method)?.redact;
    return redact ? redact(value) : value;
  }
}

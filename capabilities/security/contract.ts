/**
 * Security: sign-in, sessions and their inactivity lock, user accounts and
 * roles, and the tamper-evident audit log.
 */
import { z } from 'zod';
import { defineService, ADMIN_ROLES, ALL_ROLES } from '../../electron/contract/define.js';
import { Id } from '../../electron/contract/primitives.js';
import { Role } from '../../electron/contract/define.js';

export const AuditVerification = z.object({
  ok: z.boolean(),
  records: z.number().int(),
  head: z.object({ id: z.number().int(), hash: z.string() }).nullable(),
  problems: z.array(z.object({ id: z.number().int(), kind: z.enum(['altered', 'chain-broken', 'truncated', 'unsealed']), message: z.string() })),
});
export type AuditVerification = z.infer<typeof AuditVerification>;

export const AuditService = defineService(
  'audit',
  {
    /** Verifies the audit log's hash chain and its anchor: altered, deleted, reordered or truncated records are reported. */
    verify: { roles: ADMIN_ROLES, verb: 'verify the audit log', args: z.tuple([]), result: AuditVerification },
    /** The audit log, oldest first: as stored (with each record's hash and its predecessor's) or as FHIR R4 AuditEvent resources. */
    export: {
      roles: ADMIN_ROLES,
      verb: 'export the audit log',
      args: z.tuple([z.enum(['json', 'fhir']).default('json')]),
      result: z.array(z.record(z.string(), z.unknown())),
    },
  },
  {},
);

export const User = z.object({
  id: Id,
  username: z.string(),
  displayName: z.string(),
  role: Role,
  disabled: z.boolean(),
  createdAt: z.string(),
  /** Until when the account itself is locked out after failed sign-ins (ISO 8601), null when it is not now. */
  lockedUntil: z.string().nullable(),
  /** Until when at least one connection is locked out of the account after failed sign-ins (ISO 8601), null when none is now. */
  connectionLockedUntil: z.string().nullable(),
});
export type User = z.infer<typeof User>;
export const AuthStatus = z.object({
  /** False in single-user mode (no account yet: the local user is the administrator). */
  accountsEnabled: z.boolean(),
  user: z.object({ username: z.string(), role: Role }).nullable(),
  locked: z.boolean(),
  /** Inactivity before the session locks (ms; 0: never). */
  lockAfterMs: z.number(),
  /**
   * The methods (`service.method`) this session may call now, by the same rules the services enforce (role, site
   * policy): the UI shows only the controls behind them. Empty while nobody is signed in or the session is locked.
   */
  allowed: z.array(z.string()),
});
export type AuthStatus = z.infer<typeof AuthStatus>;

export const AuthService = defineService(
  'auth',
  {
    status: { roles: 'public', args: z.tuple([]), result: AuthStatus },
    /**
     * Signs this connection in. Every refusal — unknown name, wrong password, disabled or locked-out account — is the
     * same UNAUTHORIZED 'wrong user name or password' (no user-name enumeration); the audit log's `login-failed`
     * record says which it was, and the administrator sees lockouts in `users.list`.
     */
    login: { roles: 'public', args: z.tuple([z.string().min(1).max(120), z.string().min(1).max(1024)]), result: User },
    logout: { roles: 'public', args: z.tuple([]), result: z.boolean() },
    /** Locks this connection's session now (the workstation's inactivity timer, or the user stepping away). */
    lock: { roles: 'public', args: z.tuple([]), result: AuthStatus },
    /** Unlocks a session locked by inactivity with the signed-in user's password. */
    unlock: { roles: 'public', args: z.tuple([z.string().min(1).max(1024)]), result: AuthStatus },
    /**
     * This connection's data ticket, for the bulk-data routes and the live streams (sent as the
     * `x-orthotwin-ticket` header or `ticket` query parameter): a request with it has this
     * connection's session and rights at the time it is made (electron/contract/bulk.ts).
     */
    dataTicket: { roles: 'public', args: z.tuple([]), result: z.object({ ticket: z.string() }) },
    /**
     * The user is at the workstation (pointer or key input in the page, reported at most every few seconds): keeps the
     * server's inactivity time in step with the page's, so a user reading a page is not locked by the server alone.
     * LOCKED when the session already locked.
     */
    activity: { roles: ALL_ROLES, args: z.tuple([]), result: z.boolean() },
  },
  {},
);

export const UsersService = defineService(
  'users',
  {
    list: { roles: ADMIN_ROLES, args: z.tuple([]), result: z.array(User) },
    /** Creates an account (the first must be an administrator: creating it turns login on). */
    create: {
      roles: ADMIN_ROLES,
      verb: 'manage user accounts',
      args: z.tuple([
        z.object({
          username: z
            .string()
            .min(2)
            .max(64)
            .regex(/^[A-Za-z0-9._-]+$/),
          displayName: z.string().min(1).max(200),
          role: Role,
          password: z.string().max(1024),
        }),
      ]),
      result: User,
    },
    /** Changes a role, disables an account or resets its password (its sessions end). */
    update: {
      roles: ADMIN_ROLES,
      verb: 'manage user accounts',
      args: z.tuple([Id, z.object({ role: Role.optional(), disabled: z.boolean().optional(), password: z.string().max(1024).optional() })]),
      result: User,
    },
    /** Ends an account's lockout after failed sign-ins (the account's and every connection's): audited `account-unlock`. */
    unlock: { roles: ADMIN_ROLES, verb: 'unlock user accounts', args: z.tuple([Id]), result: User },
    /**
     * Sets a user's password (the site policy's minimum length, as for a new account): the old one no longer signs
     * in, the lockouts end, the user's sessions end. Audited `password-reset`, without the password.
     */
    resetPassword: { roles: ADMIN_ROLES, verb: 'reset passwords', args: z.tuple([Id, z.string().max(1024)]), result: User },
  },
  {},
);

declare module '../../electron/contract/registry.js' {
  interface ServiceRegistry {
    audit: typeof AuditService;
    auth: typeof AuthService;
    users: typeof UsersService;
  }
}

/**
 * The security capability: sign-in and the connection's session (lock,
 * unlock), user accounts and roles, and the tamper-evident audit log
 * (verification, JSON and FHIR AuditEvent export). Enforcement itself —
 * every call checked against its method's declared roles — is the
 * platform's (electron/services/access.ts, callService).
 */
import { defineCapability } from '../../electron/platform/capability.js';
import { toFhirAuditEvent } from '../../electron/db/audit.js';
import { currentConnection } from '../../electron/services/actor.js';
import { AuditService, AuthService, UsersService, type AuthStatus } from './contract.js';
import type { CallContext } from '../../electron/services/actor.js';

export default defineCapability(
  {
    name: 'security',
    title: 'Accounts, roles and audit',
    version: '1.0.0',
    services: [AuditService, AuthService, UsersService],
  },
  ({ store, access, actor, localCtx, capabilities }) => {
    // auth.* act on the calling connection's own session (direct calls: the local connection)
    const conn = () => currentConnection(localCtx);
    /** The connection's status and the methods it may call now (access control's own rules, so the UI and the services agree). */
    let methods: (readonly [string, string])[] | null = null;
    const allMethods = () =>
      (methods ??= capabilities.flatMap((c) => (c.services ?? []).flatMap((s) => Object.keys(s.methods).map((m) => [s.name, m] as const))));
    const statusOf = (ctx: CallContext): AuthStatus => ({ ...access.status(ctx), allowed: access.allowed(ctx, allMethods()) });
    return {
      audit: {
        verify: () => store.auditLog.verify(),
        export: (format) => {
          const records = store.auditLog.records();
          store.audit(actor(), 'export', 'audit', 'audit-log', { format, records: records.length });
          return format === 'fhir' ? records.map(toFhirAuditEvent) : (records as unknown as Record<string, unknown>[]);
        },
      },
      auth: {
        status: () => statusOf(conn()),
        login: (username, password) => access.login(conn(), username, password),
        logout: () => (access.logout(conn()), true),
        unlock: async (password) => (await access.unlock(conn(), password), statusOf(conn())),
        lock: () => (access.lockNow(conn()), statusOf(conn())),
        dataTicket: () => ({ ticket: access.dataTicket(conn()) }),
        activity: () => true, // the call's authorisation touched the session's activity time
      },
      users: {
        list: () => access.listUsers(),
        create: (u) => access.createUser(actor(), u),
        update: (id, change) => access.updateUser(actor(), id, change),
        unlock: (id) => access.unlockAccount(actor(), id),
        resetPassword: (id, password) => access.resetPassword(actor(), id, password),
      },
    };
  },
);

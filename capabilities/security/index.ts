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
import { AuditService, AuthService, UsersService } from './contract.js';

export default defineCapability(
  {
    name: 'security',
    title: 'Accounts, roles and audit',
    version: '1.0.0',
    services: [AuditService, AuthService, UsersService],
  },
  ({ store, access, actor, localCtx }) => {
    // auth.* act on the calling connection's own session (direct calls: the local connection)
    const conn = () => currentConnection(localCtx);
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
        status: () => access.status(conn()),
        login: (username, password) => access.login(conn(), username, password),
        logout: () => (access.logout(conn()), true),
        unlock: async (password) => (await access.unlock(conn(), password), access.status(conn())),
        lock: () => (access.lockNow(conn()), access.status(conn())),
        dataTicket: () => ({ ticket: access.dataTicket(conn()) }),
      },
      users: {
        list: () => access.listUsers(),
        create: (u) => access.createUser(actor(), u),
        update: (id, change) => access.updateUser(actor(), id, change),
      },
    };
  },
);

/**
 * Users and roles through the service API itself (issue 6, must-show 4): the
 * calls of a connection (`callService`, as the WebSocket host and the IPC
 * router make them) are refused by role — a sonographer cannot delete a
 * patient or export identified data; a researcher sees only de-identified
 * patients; the audit names who did what; a session locks after the
 * policy's inactivity time and unlocks with the password; repeated failed
 * logins lock the account. Single-user mode before the first account.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callService, createServices, type ServiceHost } from '../../electron/services/index.js';
import type { CallContext } from '../../electron/services/access.js';
import { hashPassword, verifyPassword } from '../../electron/services/access.js';
import { loadSitePolicy, SitePolicy } from '../../electron/services/policy.js';
import { resolveDataDir } from '../../electron/services/dataDir.js';
import { tmpDir } from '../helpers/tmp.js';

const tmp = tmpDir('roles-');
let host: ServiceHost;
let clock = Date.parse('2026-11-21T10:00:00Z');
const PASSWORD = 'correct horse battery';
const call = (ctx: CallContext, service: string, method: string, ...args: unknown[]) => callService(host, ctx, service, method, args);
const code = async (p: Promise<unknown>) =>
  p.then(
    () => 'OK',
    (e: { code?: string }) => e.code ?? 'NO CODE',
  );

beforeAll(() => {
  host = createServices({ dataDir: path.join(tmp.dir, 'data'), transport: 'cli', policy: SitePolicy.parse({ lockSeconds: 60, maxFailedLogins: 3 }) });
  // the access control's clock, for the inactivity lock
  (host.access as unknown as { now: () => number }).now = () => clock;
});
afterAll(() => {
  host.close();
  tmp.cleanup();
});

describe('roles checked in the services', () => {
  const admin: CallContext = { token: null },
    sono: CallContext = { token: null },
    research: CallContext = { token: null },
    surgeon: CallContext = { token: null },
    nobody: CallContext = { token: null };
  let patientId = '';

  it('single-user mode before any account; the first account must be an administrator and turns login on', async () => {
    patientId = ((await call(nobody, 'patients', 'create', { displayName: 'Jane Roe', mrn: 'MRN-5150', birthDate: '1961-02-03', sex: 'F' })) as { id: string })
      .id;
    expect(await call(nobody, 'auth', 'status')).toMatchObject({ accountsEnabled: false, user: null });
    expect(await code(call(nobody, 'users', 'create', { username: 'sono', displayName: 'S', role: 'sonographer', password: PASSWORD }))).toBe('BAD_REQUEST');
    expect(await code(call(nobody, 'users', 'create', { username: 'it', displayName: 'IT', role: 'administrator', password: 'short' }))).toBe('BAD_REQUEST');
    await call(nobody, 'users', 'create', { username: 'it', displayName: 'Hospital IT', role: 'administrator', password: PASSWORD });
    expect(await code(call(nobody, 'patients', 'list', ''))).toBe('UNAUTHORIZED');
    expect(await code(call(nobody, 'auth', 'login', 'it', 'wrong password!'))).toBe('UNAUTHORIZED');
    await call(admin, 'auth', 'login', 'it', PASSWORD);
    for (const [username, role] of [
      ['sono', 'sonographer'],
      ['res', 'researcher'],
      ['dr.house', 'surgeon'],
    ])
      await call(admin, 'users', 'create', { username, displayName: username, role, password: PASSWORD });
    await call(sono, 'auth', 'login', 'sono', PASSWORD);
    await call(research, 'auth', 'login', 'res', PASSWORD);
    await call(surgeon, 'auth', 'login', 'dr.house', PASSWORD);
  });

  it('a sonographer cannot delete a patient, export identified data or manage users; a surgeon can delete', async () => {
    expect(await code(call(sono, 'patients', 'delete', patientId))).toBe('FORBIDDEN');
    await expect(call(sono, 'patients', 'delete', patientId)).rejects.toThrow(/a sonographer may not delete a patient/);
    expect(await code(call(sono, 'studies', 'exportIdentified', patientId, path.join(tmp.dir, 'x')))).toBe('FORBIDDEN');
    expect(await code(call(sono, 'users', 'list'))).toBe('FORBIDDEN');
    expect(await code(call(sono, 'audit', 'verify'))).toBe('FORBIDDEN');
    // what a sonographer does: acquisition and patients
    expect(((await call(sono, 'patients', 'get', patientId)) as { displayName: string }).displayName).toBe('Jane Roe');
    const other = (await call(sono, 'patients', 'create', { displayName: 'To Delete', mrn: 'X-1', birthDate: '', sex: '' })) as { id: string };
    expect(await call(surgeon, 'patients', 'delete', other.id)).toBe(true);
    expect(await code(call(surgeon, 'patients', 'get', other.id))).toBe('NOT_FOUND');
    // a surgeon's delete moves to the trash (recoverable); only an administrator's purge deletes for good
    expect(await code(call(surgeon, 'records', 'purge', 'patient', other.id))).toBe('FORBIDDEN');
    expect(await call(surgeon, 'records', 'restore', 'patient', other.id)).toBe(true);
    expect(((await call(surgeon, 'patients', 'get', other.id)) as { displayName: string }).displayName).toBe('To Delete');
    await call(surgeon, 'patients', 'delete', other.id);
    await call(admin, 'records', 'purge', 'patient', other.id);
    expect(await code(call(admin, 'records', 'restore', 'patient', other.id))).toBe('NOT_FOUND');
  });

  it('a researcher sees only de-identified patients and may not import or use devices', async () => {
    const list = (await call(research, 'patients', 'list', '')) as { id: string; displayName: string; mrn: string; birthDate: string; sex: string }[];
    expect(list).toHaveLength(1);
    expect(list[0]).toMatchObject({ id: patientId, displayName: `Subject ${patientId.slice(0, 8)}`, mrn: '', birthDate: '', sex: '' });
    expect(JSON.stringify(await call(research, 'patients', 'get', patientId))).not.toMatch(/Jane|Roe|5150|1961/);
    expect(await code(call(research, 'studies', 'import', { patientId, path: '/nowhere' }))).toBe('FORBIDDEN');
    expect(await code(call(research, 'devices', 'list'))).toBe('FORBIDDEN');
    expect(await code(call(research, 'patients', 'delete', patientId))).toBe('FORBIDDEN');
    // the others still see the name
    expect(((await call(surgeon, 'patients', 'get', patientId)) as { displayName: string }).displayName).toBe('Jane Roe');
  });

  it('the audit names the users: logins, a failed login, reads, the refused call; no patient name in it', async () => {
    const records = (await call(admin, 'audit', 'export', 'json')) as { actor: string; action: string; recordType: string; recordId: string }[];
    expect(records.some((r) => r.action === 'login' && r.actor === 'sono')).toBe(true);
    expect(records.some((r) => r.action === 'login-failed' && r.actor === 'it')).toBe(true);
    expect(records.some((r) => r.action === 'read' && r.actor === 'res' && r.recordId === patientId)).toBe(true);
    expect(records.some((r) => r.action === 'forbidden' && r.actor === 'sono' && r.recordId === 'patients.delete')).toBe(true);
    expect(records.some((r) => r.action === 'create' && r.recordType === 'patient' && r.actor === 'sono')).toBe(true);
    expect(records.some((r) => r.action === 'trash' && r.actor === 'dr.house' && r.recordType === 'patient')).toBe(true);
    expect(records.some((r) => r.action === 'purge' && r.actor === 'it' && r.recordType === 'patient')).toBe(true);
    expect(JSON.stringify(records)).not.toMatch(/Jane|Roe|MRN-5150/);
    // device sessions are audited with who started them (the audit step itself, without a device)
    host.access.auditRead({ actor: 'sono', role: 'sonographer' }, 'devices', 'connect', [{ kind: 'ndi-sim' }]);
    expect(host.store.auditLog.records().at(-1)).toMatchObject({ actor: 'sono', action: 'device-connect', recordType: 'device', detail: { kind: 'ndi-sim' } });
    expect(((await call(admin, 'audit', 'verify')) as { ok: boolean }).ok).toBe(true);
  });

  it('a session locks after the policy’s inactivity time and unlocks with the password only', async () => {
    clock += 61_000;
    expect(await code(call(sono, 'patients', 'list', ''))).toBe('LOCKED');
    expect(await call(sono, 'auth', 'status')).toMatchObject({ user: { username: 'sono' }, locked: true, lockAfterMs: 60_000 });
    expect(await code(call(sono, 'auth', 'unlock', 'not the password'))).toBe('UNAUTHORIZED');
    expect(await call(sono, 'auth', 'unlock', PASSWORD)).toMatchObject({ locked: false });
    expect(await code(call(sono, 'patients', 'list', ''))).toBe('OK');
    // activity keeps it open
    clock += 50_000;
    expect(await code(call(sono, 'patients', 'list', ''))).toBe('OK');
    clock += 50_000;
    expect(await code(call(sono, 'patients', 'list', ''))).toBe('OK');
  });

  it('three failed logins lock the account for the lockout time; disabling an account ends its sessions; one administrator must remain', async () => {
    const c: CallContext = { token: null };
    for (let i = 0; i < 3; i++) expect(await code(call(c, 'auth', 'login', 'res', 'guess ' + i))).toBe('UNAUTHORIZED');
    // locked out: the right password gets the answer of an unknown name (no user-name enumeration)
    await expect(call(c, 'auth', 'login', 'res', PASSWORD)).rejects.toThrow(/^wrong user name or password$/);
    clock += 6 * 60_000;
    await call(c, 'auth', 'login', 'res', PASSWORD);
    // the administrator was away as long: unlock first
    expect(await code(call(admin, 'users', 'list'))).toBe('LOCKED');
    await call(admin, 'auth', 'unlock', PASSWORD);
    const users = (await call(admin, 'users', 'list')) as { id: string; username: string }[];
    const res = users.find((u) => u.username === 'res')!;
    await call(admin, 'users', 'update', res.id, { disabled: true });
    expect(await code(call(c, 'patients', 'list', ''))).toBe('UNAUTHORIZED');
    expect(await code(call(c, 'auth', 'login', 'res', PASSWORD))).toBe('UNAUTHORIZED');
    const it = users.find((u) => u.username === 'it')!;
    expect(await code(call(admin, 'users', 'update', it.id, { role: 'surgeon' }))).toBe('BAD_REQUEST');
  });
});

describe('passwords and the site policy', () => {
  it('scrypt hashes are salted and verify only the right password', () => {
    const a = hashPassword(PASSWORD),
      b = hashPassword(PASSWORD);
    expect(a).not.toBe(b);
    expect(a).toMatch(/^scrypt\$32768\$8\$1\$/);
    expect(verifyPassword(PASSWORD, a)).toBe(true);
    expect(verifyPassword(PASSWORD + '!', a)).toBe(false);
  });

  it('reads the policy file, refuses a malformed one with its name, and defaults without one', () => {
    const f = path.join(tmp.dir, 'policy.json');
    fs.writeFileSync(f, JSON.stringify({ lockMinutes: 5, export: { identifiedRoles: ['administrator'] } }));
    expect(loadSitePolicy(f)).toMatchObject({
      lockMinutes: 5,
      minPasswordLength: 12,
      export: { identifiedRoles: ['administrator'], allowRetainDates: true },
      source: f,
    });
    fs.writeFileSync(f, JSON.stringify({ lockMinuts: 5 }));
    expect(() => loadSitePolicy(f)).toThrow(/policy\.json: site policy .*lockMinuts/);
    fs.writeFileSync(f, '{ not json');
    expect(() => loadSitePolicy(f)).toThrow(/policy\.json: the site policy is not valid JSON/);
    expect(loadSitePolicy(path.join(tmp.dir, 'absent.json'))).toMatchObject({ lockMinutes: 15, source: null });
    // the policy's data directory: after --data-dir and ORTHOTWIN_DATA_DIR, before the per-user default
    expect(resolveDataDir(['node', 'x'], {}, '/srv/orthotwin')).toBe(path.resolve('/srv/orthotwin'));
    expect(resolveDataDir(['node', 'x', '--data-dir', '/tmp/d'], {}, '/srv/orthotwin')).toBe(path.resolve('/tmp/d'));
    expect(resolveDataDir(['node', 'x'], { ORTHOTWIN_DATA_DIR: '/tmp/e' }, '/srv/orthotwin')).toBe(path.resolve('/tmp/e'));
  });
});

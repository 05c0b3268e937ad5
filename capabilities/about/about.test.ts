/**
 * system.about through the services (the capability added the issue-18 way):
 * the application's version, the loaded capabilities with their methods, job
 * kinds and CLI commands, the dependencies' licences from their installed
 * package.json, and access before sign-in (public) once accounts exist.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { callService, createServices } from '../../electron/services/index.js';
import { tmpDir } from '../../tests/helpers/tmp.js';

const tmp = tmpDir();
const host = createServices({ dataDir: tmp.dir, transport: 'cli', keyStore: null });
afterAll(() => (host.close(), tmp.cleanup()));
const pkg = JSON.parse(fs.readFileSync(path.resolve('package.json'), 'utf8')) as { version: string; dependencies: Record<string, string> };

describe('system.about', () => {
  it('names the version, the data directory, the runtime and every loaded capability', async () => {
    const a = await host.impl.system.about();
    expect(a.version).toBe(pkg.version);
    expect(a.dataDir).toBe(host.store.dataDir);
    expect(a.storeEncrypted).toBe(false);
    expect(a.node).toBe(process.versions.node);
    expect(a.electron).toBeNull();
    expect(a.capabilities.map((c) => c.name).sort()).toEqual([
      'about',
      'annotations',
      'devices',
      'enhance',
      'exchange',
      'fusion',
      'inference',
      'jobs',
      'motion',
      'pacs',
      'patients',
      'planning',
      'records',
      'security',
      'spine',
      'studies',
      'system',
      'twins',
    ]);
    const about = a.capabilities.find((c) => c.name === 'about')!;
    expect(about.services).toEqual(['system.about']);
    const fusion = a.capabilities.find((c) => c.name === 'fusion')!;
    expect(fusion.jobs.sort()).toEqual(['calibrate-probe', 'register']);
    expect(fusion.cli.sort()).toEqual(['calibrate-probe', 'register']);
    expect(fusion.services).toContain('registrations.addLandmarks');
    const enhance = a.capabilities.find((c) => c.name === 'enhance')!;
    expect([enhance.services.sort(), enhance.jobs, enhance.cli]).toEqual([['enhance.enhanceVolume', 'enhance.models'], ['enhance-volume'], ['enhance']]);
  });

  it('lists each direct runtime dependency with its installed version and licence, and the renderer’s bundled libraries after a build', async () => {
    const a = await host.impl.system.about();
    const bundled = fs.existsSync('dist/build-info.json')
      ? (JSON.parse(fs.readFileSync('dist/build-info.json', 'utf8')) as { bundled: { name: string }[] }).bundled
      : [];
    expect(a.licences.map((l) => l.name)).toEqual([...Object.keys(pkg.dependencies).sort(), ...bundled.map((b) => b.name)]);
    if (bundled.length) expect(a.licences.find((l) => l.name === 'react')?.licence).toBe('MIT');
    const zod = a.licences.find((l) => l.name === 'zod')!;
    const installed = JSON.parse(fs.readFileSync(path.resolve('node_modules/zod/package.json'), 'utf8')) as { version: string; license: string };
    expect(zod).toEqual({ name: 'zod', version: installed.version, licence: installed.license });
    expect(a.licences.every((l) => l.licence !== 'unknown')).toBe(true);
  });

  it('answers before sign-in once accounts exist (no patient data in it)', async () => {
    await host.impl.users.create({ username: 'admin', displayName: 'Admin', role: 'administrator', password: 'a-long-password-1' });
    const conn = { token: null };
    const a = (await callService(host, conn, 'system', 'about', [])) as { version: string };
    expect(a.version).toBe(pkg.version);
    await expect(callService(host, conn, 'patients', 'list', [''])).rejects.toThrow(/sign in first/);
  });
});

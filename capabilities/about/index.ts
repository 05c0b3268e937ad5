/**
 * The about capability (added the capability way in issue 18: this folder
 * plus one line in capabilities/registry.ts): `system.about` and the
 * Help → About panel (ui/).
 */
import fs from 'node:fs';
import path from 'node:path';
import { defineCapability } from '../../electron/platform/capability.js';
import { appPackage, appRoot } from '../../electron/platform/appInfo.js';
import { AboutService, type AboutInfo } from './contract.js';

/** The build stamp written by scripts/build-info.mjs at `npm run build` (dist/build-info.json); `unknown` when absent (sources run by tsx). */
function buildInfo(): AboutInfo['build'] {
  try {
    const b = JSON.parse(fs.readFileSync(path.join(appRoot(), 'dist', 'build-info.json'), 'utf8')) as { commit?: unknown; date?: unknown };
    return { commit: typeof b.commit === 'string' ? b.commit : 'unknown', date: typeof b.date === 'string' ? b.date : 'unknown' };
  } catch {
    return { commit: 'unknown', date: 'unknown' };
  }
}

/** Name, version and licence of each runtime dependency, from its installed package.json (`unknown` when it cannot be read). */
function licences(): AboutInfo['licences'] {
  return Object.keys(appPackage().dependencies ?? {})
    .sort()
    .map((name) => {
      try {
        const p = JSON.parse(fs.readFileSync(path.join(appRoot(), 'node_modules', name, 'package.json'), 'utf8')) as {
          version?: string;
          license?: string | { type?: string };
        };
        const licence = typeof p.license === 'string' ? p.license : (p.license?.type ?? 'unknown');
        return { name, version: p.version ?? 'unknown', licence };
      } catch {
        return { name, version: 'unknown', licence: 'unknown' };
      }
    });
}

export default defineCapability(
  {
    name: 'about',
    title: 'About',
    version: '1.0.0',
    services: [AboutService],
  },
  ({ store, keyStore, capabilities }) => ({
    system: {
      about: () => ({
        name: 'OrthoTwin',
        version: appPackage().version,
        build: buildInfo(),
        electron: process.versions['electron'] ?? null,
        node: process.versions.node,
        platform: `${process.platform} ${process.arch}`,
        dataDir: store.dataDir,
        storeEncrypted: keyStore !== null,
        licences: licences(),
        capabilities: capabilities.map((c) => ({
          name: c.name,
          title: c.title,
          version: c.version,
          services: c.services.flatMap((s) => Object.keys(s.methods).map((m) => `${s.name}.${m}`)),
          jobs: (c.jobs ?? []).map((j) => j.kind),
          cli: (c.cli ?? []).map((k) => k.name),
        })),
      }),
    },
  }),
);

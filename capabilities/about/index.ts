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

interface BuildStamp {
  commit?: unknown;
  date?: unknown;
  bundled?: AboutInfo['licences'];
}

/** dist/build-info.json, written by scripts/build-info.mjs at `npm run build`; empty when absent (sources run by tsx). */
function buildStamp(): BuildStamp {
  try {
    return JSON.parse(fs.readFileSync(path.join(appRoot(), 'dist', 'build-info.json'), 'utf8')) as BuildStamp;
  } catch {
    return {};
  }
}

/** The commit and time of the build (`unknown` outside a build). */
function buildInfo(b: BuildStamp): AboutInfo['build'] {
  return { commit: typeof b.commit === 'string' ? b.commit : 'unknown', date: typeof b.date === 'string' ? b.date : 'unknown' };
}

/**
 * Name, version and licence of each direct runtime dependency (from its installed package.json; `unknown` when it
 * cannot be read) and of the libraries bundled into the renderer (recorded at build time). Indirect dependencies
 * are in the SBOM and the third-party notice shipped with the installer (`npm run release-meta`).
 */
function licences(b: BuildStamp): AboutInfo['licences'] {
  const direct = Object.keys(appPackage().dependencies ?? {})
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
  return [...direct, ...(Array.isArray(b.bundled) ? b.bundled : [])];
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
      about: () => {
        const stamp = buildStamp();
        return {
          name: 'OrthoTwin',
          version: appPackage().version,
          build: buildInfo(stamp),
          electron: process.versions['electron'] ?? null,
          node: process.versions.node,
          platform: `${process.platform} ${process.arch}`,
          dataDir: store.dataDir,
          storeEncrypted: keyStore !== null,
          licences: licences(stamp),
          capabilities: capabilities.map((c) => ({
            name: c.name,
            title: c.title,
            version: c.version,
            services: c.services.flatMap((s) => Object.keys(s.methods).map((m) => `${s.name}.${m}`)),
            jobs: (c.jobs ?? []).map((j) => j.kind),
            cli: (c.cli ?? []).map((k) => k.name),
          })),
        };
      },
    },
  }),
);

/**
 * Installers (issue 6, must-show 1): `electron-builder.yml` passes
 * electron-builder's own schema validation (and a wrong key fails it), and
 * electron-builder packs the unpacked app layout for Linux with a stand-in
 * Electron distribution (no Electron binary can be downloaded here: a file
 * carrying Electron's fuse sentinel and wire stands in for it). The packed
 * layout has the built app in the asar (no source maps, no tests), the native
 * modules and itk-wasm pipelines unpacked beside it (onnxruntime's binaries
 * of this platform only), the third-party notice and SBOM, the udev rules
 * and the enhancement models as resources, and the fuses flipped in the
 * binary as configured. Needs a build (`npm run build`, as `npm test` does).
 */
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { projectRoot } from '../helpers/data.js';
import { tmpDir } from '../helpers/tmp.js';
import { writeReleaseMeta } from '../../scripts/release-meta.js';
import { KNOWN_USB } from '../../electron/devicehost/discovery.js';

const require = createRequire(import.meta.url);
// electron-builder's own YAML reader (a dependency of it)
const { load: loadYaml } = require('js-yaml') as { load(text: string): unknown };
const tmp = tmpDir('pack-');
afterAll(() => tmp.cleanup());
const config = loadYaml(fs.readFileSync(path.join(projectRoot, 'electron-builder.yml'), 'utf8')) as Record<string, unknown>;
const { validateConfiguration } = require('app-builder-lib/out/util/config/config.js') as {
  validateConfiguration(c: unknown, logger: { isEnabled: boolean; add(k: string, v: unknown): void }): Promise<void>;
};
const logger = { isEnabled: false, add: () => {} };

/** Electron's fuse sentinel, then wire version 1 and 8 fuses as Electron ships them (RunAsNode on, cookie encryption off, …). */
const SENTINEL = 'dL7pKGdnNz796PbbjQWNKmHXBZaB9tsX';
const STOCK_WIRE = '10110001';

describe('electron-builder configuration', () => {
  it('is valid for electron-builder’s schema; an unknown option is not', async () => {
    await expect(validateConfiguration(structuredClone(config), logger)).resolves.toBeUndefined();
    await expect(validateConfiguration({ ...structuredClone(config), autoUpdater: true }, logger)).rejects.toThrow(/autoUpdater/);
    await expect(validateConfiguration({ ...structuredClone(config), nsis: { perMachine: 'yes' } }, logger)).rejects.toThrow(/perMachine/);
  });

  it('sets the fuses, per-machine NSIS and MSI, hardened macOS, no publishing, unpacked native parts', () => {
    expect(config['electronFuses']).toEqual({
      runAsNode: false,
      enableCookieEncryption: true,
      enableNodeOptionsEnvironmentVariable: false,
      enableNodeCliInspectArguments: false,
      enableEmbeddedAsarIntegrityValidation: true,
      onlyLoadAppFromAsar: true,
      grantFileProtocolExtraPrivileges: false,
    });
    expect(config['publish']).toBeNull();
    expect((config['win'] as { target: string[] }).target).toEqual(['nsis', 'msi']);
    expect((config['nsis'] as { perMachine: boolean }).perMachine).toBe(true);
    expect((config['msi'] as { perMachine: boolean }).perMachine).toBe(true);
    expect(config['mac']).toMatchObject({ hardenedRuntime: true, notarize: true });
    expect(config['asarUnpack']).toEqual(
      expect.arrayContaining(['**/*.node', 'node_modules/@itk-wasm/**/pipelines/**', 'node_modules/onnxruntime-node/bin/**']),
    );
  });

  it('ships the enhancement models as extra resources and each platform only its own onnxruntime binaries', () => {
    expect(config['extraResources']).toEqual(expect.arrayContaining([{ from: 'models/', to: 'models/', filter: ['manifest.json', '*.onnx', '*.md'] }]));
    expect((config['files'] as string[]).some((f) => f.startsWith('models'))).toBe(false);
    // the onnxruntime filter of `files`, expanded as electron-builder does for each target (${os}: mac, linux, win) and
    // matched with its minimatch: every file of onnxruntime-node/bin is kept for its own platform and arch only
    const { Minimatch } = require(require.resolve('minimatch', { paths: [require.resolve('app-builder-lib')] })) as {
      Minimatch: new (pattern: string, options: { dot: boolean }) => { match(file: string): boolean };
    };
    const ortPatterns = (config['files'] as string[]).filter((f) => f.includes('onnxruntime-node'));
    expect(ortPatterns.length).toBe(2);
    const bin = 'node_modules/onnxruntime-node/bin';
    const binFiles = (fs.readdirSync(path.join(projectRoot, bin), { recursive: true }) as string[])
      .map((f) => `${bin}/${f.replace(/\\/g, '/')}`)
      .filter((f) => fs.statSync(path.join(projectRoot, f)).isFile());
    const targets: [string, string, string][] = [
      ['linux', 'x64', 'linux/x64'],
      ['linux', 'arm64', 'linux/arm64'],
      ['win', 'x64', 'win32/x64'],
      ['win', 'arm64', 'win32/arm64'],
      ['mac', 'arm64', 'darwin/arm64'],
    ];
    for (const [os, arch, kept] of targets) {
      const matchers = ortPatterns.map((p) => new Minimatch(p.replace(/\$\{os\}/g, os).replace(/\$\{arch\}/g, arch), { dot: true }));
      // a negated pattern's match() is false for the files it excludes
      const packed = binFiles.filter((f) => matchers.every((m) => m.match(f)));
      expect(packed.length, `${os} ${arch}`).toBeGreaterThanOrEqual(2);
      expect(
        packed.filter((f) => !f.includes(`/${kept}/`)),
        `${os} ${arch}`,
      ).toEqual([]);
      expect(
        packed.some((f) => f.endsWith('onnxruntime_binding.node')),
        `${os} ${arch}`,
      ).toBe(true);
    }
  });

  it('the udev rules cover every USB tracker, depth camera and frame grabber OrthoTwin knows', () => {
    const rules = fs.readFileSync(path.join(projectRoot, 'resources/linux/99-orthotwin.rules'), 'utf8');
    for (const k of KNOWN_USB) {
      const vid = k.vendorId.toString(16).padStart(4, '0');
      expect(rules, `${k.name}`).toContain(`{idVendor}=="${vid}"`);
      if (k.productId !== null) expect(rules, `${k.name}`).toMatch(new RegExp(`idProduct\\}=="[^"]*${k.productId.toString(16).padStart(4, '0')}`));
    }
  });
});

describe('packing the app (Linux, unpacked layout)', () => {
  let outDir = '';
  let unpacked = '';
  beforeAll(async () => {
    if (!fs.existsSync(path.join(projectRoot, 'dist/electron/main/index.js')) || !fs.existsSync(path.join(projectRoot, 'dist-renderer/index.html')))
      throw new Error('the app is not built: run `npm run build` first (npm test does)');
    // the stand-in Electron distribution
    const electronDist = path.join(tmp.dir, 'electron-dist');
    fs.mkdirSync(path.join(electronDist, 'resources'), { recursive: true });
    const bin = Buffer.concat([
      Buffer.from('#!/bin/sh\necho stand-in electron\n# '),
      Buffer.from(SENTINEL),
      Buffer.from([1, STOCK_WIRE.length]),
      Buffer.from(STOCK_WIRE),
      Buffer.from('\n'),
    ]);
    fs.writeFileSync(path.join(electronDist, 'electron'), bin, { mode: 0o755 });
    fs.writeFileSync(path.join(electronDist, 'LICENSE'), 'stand-in');
    fs.writeFileSync(path.join(electronDist, 'version'), require('electron/package.json').version);
    // the SBOM and notice as `npm run release-meta` writes them
    const meta = path.join(tmp.dir, 'release-meta');
    writeReleaseMeta(meta, projectRoot);
    outDir = path.join(tmp.dir, 'release');
    const { build, Platform } = require('electron-builder') as typeof import('electron-builder');
    // the project's configuration with what differs here, as a file of its own (an object would be merged into electron-builder.yml, arrays doubled)
    const packConfig = path.join(tmp.dir, 'electron-builder.pack.json');
    fs.writeFileSync(
      packConfig,
      JSON.stringify({
        ...config,
        electronDist,
        electronVersion: require('electron/package.json').version,
        npmRebuild: false, // no Electron headers offline: the modules are as built for Node here
        directories: { output: outDir, buildResources: 'resources' },
        // the configured extra resources, the SBOM and notice from where this test wrote them
        extraResources: (config['extraResources'] as { from: string }[]).map((r) => (r.from === 'release-meta/' ? { ...r, from: meta } : r)),
      }),
    );
    await build({ projectDir: projectRoot, targets: Platform.LINUX.createTarget('dir'), config: packConfig });
    unpacked = path.join(outDir, 'linux-unpacked');
  }, 600_000);

  it('puts the built app in the asar, without maps or tests', async () => {
    const asar = require('@electron/asar') as { listPackage(p: string, o: { isPack: boolean }): string[] };
    const files = asar.listPackage(path.join(unpacked, 'resources', 'app.asar'), { isPack: false }).map((f) => f.replace(/\\/g, '/'));
    for (const f of [
      '/package.json',
      '/dist/electron/main/index.js',
      '/dist/electron/preload/index.cjs',
      '/dist-renderer/index.html',
      '/dist/electron/workers/job.worker.js',
    ])
      expect(files, f).toContain(f);
    expect(files.filter((f) => f.endsWith('.map'))).toEqual([]);
    expect(files.filter((f) => (f.startsWith('/dist/') || f.startsWith('/dist-renderer/')) && f.endsWith('.test.js'))).toEqual([]);
    // dependencies only: no test or build tools in the app
    expect(files.some((f) => f.startsWith('/node_modules/vitest/') || f.startsWith('/node_modules/electron-builder/'))).toBe(false);
    // no other platform's onnxruntime binaries in the asar either
    expect(files.filter((f) => /^\/node_modules\/onnxruntime-node\/bin\/napi-v\d+\/(darwin|win32)\//.test(f))).toEqual([]);
    expect(files.filter((f) => new RegExp(`^/node_modules/onnxruntime-node/bin/napi-v\\d+/linux/(?!${process.arch}\\b)[^/]+/`).test(f))).toEqual([]);
  });

  it('unpacks native modules and itk-wasm pipelines beside the asar; ships notices and udev rules', () => {
    const u = path.join(unpacked, 'resources', 'app.asar.unpacked');
    expect(fs.existsSync(path.join(u, 'node_modules/better-sqlite3-multiple-ciphers/build/Release/better_sqlite3.node'))).toBe(true);
    // the enhancement models beside the asar (process.resourcesPath/models): manifest, ONNX files and cards, byte for byte; no parity vectors
    const models = path.join(unpacked, 'resources', 'models');
    expect(fs.readdirSync(models).sort()).toEqual(
      fs
        .readdirSync(path.join(projectRoot, 'models'))
        .filter((f) => f === 'manifest.json' || f.endsWith('.onnx') || f.endsWith('.md'))
        .sort(),
    );
    for (const f of fs.readdirSync(models))
      expect(fs.readFileSync(path.join(models, f)).equals(fs.readFileSync(path.join(projectRoot, 'models', f))), f).toBe(true);
    // onnxruntime: this platform's binding and shared library unpacked, no other platform's binaries anywhere
    const ortBin = 'node_modules/onnxruntime-node/bin/napi-v6';
    expect(fs.readdirSync(path.join(u, ortBin))).toEqual(['linux']);
    expect(fs.readdirSync(path.join(u, ortBin, 'linux'))).toEqual([process.arch]);
    expect(fs.readdirSync(path.join(u, ortBin, 'linux', process.arch)).sort()).toEqual(['libonnxruntime.so.1', 'onnxruntime_binding.node']);
    // every itk-wasm pipeline (the .wasm.zst modules and their loaders) is on disk beside the asar, as in node_modules
    for (const p of ['@itk-wasm/image-io/dist/pipelines', '@itk-wasm/dicom/dist/pipelines']) {
      const packed = fs.readdirSync(path.join(u, 'node_modules', p)).sort();
      expect(packed.filter((f) => /\.wasm(\.zst)?$/.test(f)).length, p).toBeGreaterThan(0);
      expect(packed, p).toEqual(fs.readdirSync(path.join(projectRoot, 'node_modules', p)).sort());
    }
    const notices = fs.readFileSync(path.join(unpacked, 'resources', 'legal', 'THIRD-PARTY-NOTICES.txt'), 'utf8');
    expect(notices).toMatch(/better-sqlite3-multiple-ciphers \d+\.\d+\.\d+ — MIT/);
    const sbom = JSON.parse(fs.readFileSync(path.join(unpacked, 'resources', 'legal', 'sbom.cdx.json'), 'utf8')) as {
      bomFormat: string;
      components: { name: string; version: string; purl: string }[];
    };
    expect(sbom.bomFormat).toBe('CycloneDX');
    expect(sbom.components.find((c) => c.name === 'better-sqlite3-multiple-ciphers')?.purl).toMatch(/^pkg:npm\/better-sqlite3-multiple-ciphers@12\./);
    // production dependencies only: no test or build tools
    expect(sbom.components.some((c) => c.name === 'vitest' || c.name === 'electron-builder')).toBe(false);
    expect(fs.existsSync(path.join(unpacked, 'resources', 'udev', '99-orthotwin.rules'))).toBe(true);
  });

  it('flips the fuses in the packed binary as configured', async () => {
    const exe = fs
      .readdirSync(unpacked)
      .find((f) => fs.statSync(path.join(unpacked, f)).isFile() && fs.readFileSync(path.join(unpacked, f)).includes(SENTINEL))!;
    expect(exe).toBeDefined();
    const b = fs.readFileSync(path.join(unpacked, exe));
    const at = b.indexOf(SENTINEL) + SENTINEL.length;
    const wire = b.subarray(at + 2, at + 2 + b[at + 1]!).toString('latin1');
    // RunAsNode 0, CookieEncryption 1, NODE_OPTIONS 0, --inspect 0, ASAR integrity 1, only-from-ASAR 1, (V8 snapshot unchanged 0), file:// privileges 0
    expect(wire).toBe('01001100');
  });
});

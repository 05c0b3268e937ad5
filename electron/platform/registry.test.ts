/**
 * The capability layout's rules (issue 18), checked on the real registry and
 * sources: every capability folder is registered (one line), every method
 * declares who may call it, migrations run 1…N without gaps, job kinds are
 * unique, the job worker never loads the store, and no platform or renderer
 * file branches over job kinds, service names or device kinds.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { CAPABILITIES, CLI_COMMANDS, SERVICES, STORE_SCHEMA, jobDefinition, parseCall } from './registry.js';
import { orderedMigrations } from '../db/store.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Relative imports of a TypeScript file that survive compilation (not `import type`, not `export type`). */
function runtimeImports(file: string): string[] {
  const src = fs.readFileSync(file, 'utf8');
  const out: string[] = [];
  for (const m of src.matchAll(/^(?:import|export)\s+(?!type\b)(?:[^'";]*?\sfrom\s+)?['"](\.{1,2}\/[^'"]+)['"]/gm)) out.push(m[1]!);
  return out.map((s) => path.resolve(path.dirname(file), s.replace(/\.js$/, '.ts')));
}

function importGraph(entry: string): Set<string> {
  const seen = new Set<string>();
  const todo = [entry];
  while (todo.length) {
    const f = todo.pop()!;
    if (seen.has(f) || !fs.existsSync(f)) continue;
    seen.add(f);
    todo.push(...runtimeImports(f));
  }
  return seen;
}

function sources(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (/\.(ts|tsx)$/.test(e.name) && !/\.test\.ts$/.test(e.name)) out.push(p);
    }
  };
  walk(dir);
  return out;
}

describe('capability registry', () => {
  it('registers every capability folder, each under its own name, with one line', () => {
    const folders = fs
      .readdirSync(path.join(root, 'capabilities'), { withFileTypes: true })
      .filter((e) => e.isDirectory() && fs.existsSync(path.join(root, 'capabilities', e.name, 'index.ts')))
      .map((e) => e.name)
      .sort();
    expect(CAPABILITIES.map((c) => c.name).sort()).toEqual(folders);
    const lines = fs
      .readFileSync(path.join(root, 'capabilities', 'registry.ts'), 'utf8')
      .split('\n')
      .filter((l) => l.startsWith('export'));
    expect(lines).toHaveLength(folders.length);
    expect(folders).toContain('about');
  });

  it('declares for every method who may call it, and validates calls', () => {
    const methods = Object.values(SERVICES).flatMap((s) => Object.entries(s.methods).map(([m, spec]) => [`${s.name}.${m}`, spec] as const));
    expect(methods.length).toBeGreaterThan(40);
    for (const [key, spec] of methods) expect(spec.roles, key).toBeDefined();
    expect(SERVICES['system']!.methods['about']!.roles).toBe('public');
    expect(SERVICES['patients']!.methods['delete']!.roles).toEqual(['administrator', 'surgeon']);
    expect(() => parseCall('patients', 'get', [])).toThrow(/invalid arguments for patients.get/);
    expect(() => parseCall('nothing', 'here', [])).toThrow(/unknown method nothing.here/);
  });

  it('numbers the migrations of all capabilities 1…N without gaps or repeats', () => {
    const versions = orderedMigrations(STORE_SCHEMA.migrations).map((m) => m.version);
    expect(versions).toEqual(versions.map((_, i) => i + 1));
    expect(versions.length).toBeGreaterThanOrEqual(8);
    expect(() => orderedMigrations([...STORE_SCHEMA.migrations, { version: 3, name: 'again', sql: '' }])).toThrow(/without gaps or repeats/);
  });

  it('looks job kinds up by name, each with its title', () => {
    const kinds = CAPABILITIES.flatMap((c) => (c.jobs ?? []).map((j) => j.kind));
    expect(new Set(kinds).size).toBe(kinds.length);
    expect(kinds.sort()).toEqual([
      'calibrate-probe',
      'enhance-volume',
      'import',
      'motion-depth-import',
      'pacs-retrieve',
      'reconstruct',
      'register',
      'scan',
      'spine',
      'twin-build',
    ]);
    expect(jobDefinition('register').title).toBe('Skin registration');
    expect(() => jobDefinition('nope')).toThrow(/no capability declares the job kind nope/);
    expect([...CLI_COMMANDS.keys()].sort()).toEqual([
      'build',
      'c3d',
      'calibrate-probe',
      'depth-movement',
      'devices',
      'emg',
      'enhance',
      'export',
      'igtl',
      'imu',
      'opensim',
      'pacs',
      'reconstruct',
      'register',
      'risk',
      'screws',
      'spine',
    ]);
  });

  it('the job worker never loads the store module or SQLite', () => {
    const graph = importGraph(path.join(root, 'electron', 'workers', 'job.worker.ts'));
    expect(graph.size).toBeGreaterThan(30);
    expect([...graph].filter((f) => f.endsWith(path.join('electron', 'db', 'store.ts')))).toEqual([]);
    for (const f of graph) expect(fs.readFileSync(f, 'utf8'), f).not.toMatch(/^import (?!type\b)[^;]*from 'better-sqlite3/m);
  });

  it('no platform or renderer file branches over job kinds, service names or device kinds', () => {
    const jobKinds = CAPABILITIES.flatMap((c) => (c.jobs ?? []).map((j) => j.kind));
    const services = Object.keys(SERVICES);
    const deviceKinds = ['ndi', 'ndi-simulator', 'igtl-client', 'igtl-server', 'replay', 'depth-file', 'depth-simulator', 'uvc'];
    const names = [...jobKinds, ...services, ...deviceKinds].map((k) => k.replace(/[-]/g, '\\-')).join('|');
    const branch = new RegExp(`(===|!==)\\s*'(${names})'|case\\s+'(${names})'|'(${names})'\\s*(===|!==)`);
    const offenders = [...sources(path.join(root, 'electron')), ...sources(path.join(root, 'renderer')), ...sources(path.join(root, 'capabilities'))]
      .flatMap((f) =>
        fs
          .readFileSync(f, 'utf8')
          .split('\n')
          .map((l, i) => [f, i + 1, l] as const),
      )
      .filter(([, , l]) => branch.test(l) && !/\bmethod === '(GET|POST|HEAD)'/.test(l))
      .map(([f, n, l]) => `${path.relative(root, f)}:${n}: ${l.trim()}`);
    expect(offenders).toEqual([]);
  });
});

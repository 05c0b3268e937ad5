/**
 * Electron security scan (issue 6, must-show 2): Doyensec's Electronegativity
 * over the built desktop app as it is packed — the main process, preload,
 * services and device host (`dist/electron`) with the renderer
 * (`dist-renderer`) in one tree, so that its global checks (navigation
 * limits, permission handler, CSP) see the whole app — reports no
 * high-severity finding. The findings are printed. Offline: the tool's
 * release and translation lookups fail quietly here. Needs a build and the
 * tool in tools/electronegativity (`npm test` installs both).
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { projectRoot } from '../helpers/data.js';
import { tmpDir } from '../helpers/tmp.js';

const tmp = tmpDir('eneg-');
afterAll(() => tmp.cleanup());

/** Parses the tool's CSV (quoted fields, commas inside quotes). */
function parseCsv(text: string): string[][] {
  return text
    .trim()
    .split('\n')
    .map((line) => [...line.matchAll(/("([^"]*)"|[^,]*)(,|$)/g)].map((m) => (m[2] ?? m[1] ?? '').trim()).slice(0, -1));
}

it('Electronegativity finds nothing of high severity in the built app', () => {
  for (const d of ['dist/electron/main/index.js', 'dist-renderer/index.html'])
    if (!fs.existsSync(path.join(projectRoot, d))) throw new Error(`the app is not built (${d}): run \`npm run build\` first (npm test does)`);
  const app = path.join(tmp.dir, 'app');
  fs.cpSync(path.join(projectRoot, 'dist/electron'), path.join(app, 'electron'), { recursive: true, filter: (f) => !f.endsWith('.map') });
  fs.cpSync(path.join(projectRoot, 'dist-renderer'), path.join(app, 'renderer'), { recursive: true, filter: (f) => !f.endsWith('.map') });
  fs.copyFileSync(path.join(projectRoot, 'package.json'), path.join(app, 'package.json'));
  const out = path.join(tmp.dir, 'findings.csv');
  const electron = (JSON.parse(fs.readFileSync(path.join(projectRoot, 'node_modules/electron/package.json'), 'utf8')) as { version: string }).version;
  // the tool lives in a tree of its own (tools/electronegativity, installed by `npm test`'s pretest)
  const tool = path.join(projectRoot, 'tools/electronegativity/node_modules/@doyensec/electronegativity/dist/index.js');
  if (!fs.existsSync(tool)) throw new Error('Electronegativity is not installed: npm ci --prefix tools/electronegativity (npm test does it first)');
  execFileSync(process.execPath, [tool, '-i', app, '-e', electron, '-r', '-v', 'false', '-o', out], {
    cwd: tmp.dir,
    stdio: ['ignore', 'ignore', 'ignore'],
    timeout: 240_000,
  });
  const [header, ...rows] = parseCsv(fs.readFileSync(out, 'utf8'));
  expect(header?.[0]).toBe('issue');
  console.log(`Electronegativity ${rows.length} finding(s):\n${rows.map((r) => `  ${r[1]} ${r[0]} (${r[2]}) ${r[3]}:${r[4]}`).join('\n')}`);
  expect(rows.filter((r) => r[1] === 'HIGH').map((r) => `${r[0]} ${r[3]}`)).toEqual([]);
  // the scan saw the main process: its global checks found our navigation limits and permission handler
  expect(rows.map((r) => r[0])).not.toContain('LIMIT_NAVIGATION_GLOBAL_CHECK');
  expect(rows.map((r) => r[0])).not.toContain('PERMISSION_REQUEST_HANDLER_GLOBAL_CHECK');
}, 300_000);

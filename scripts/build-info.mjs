// Writes dist/build-info.json for Help → About: the commit and time of this build (`unknown` outside a git
// checkout) and the name, version and licence of the libraries Vite bundles into the renderer. Those are dev
// dependencies (the asar does not hold them), so their licences are read here, where node_modules has them.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';

/** Libraries the renderer bundle carries (vite.config.ts bundles everything the renderer imports). */
const RENDERER_BUNDLED = ['react', 'react-dom', '@kitware/vtk.js'];

let commit = 'unknown';
try {
  commit = execFileSync('git', ['rev-parse', '--short=12', 'HEAD'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim() || 'unknown';
} catch {
  // not a git checkout (a source archive): the version alone identifies the build
}
const bundled = RENDERER_BUNDLED.map((name) => {
  const p = JSON.parse(fs.readFileSync(`node_modules/${name}/package.json`, 'utf8'));
  return { name, version: p.version, licence: typeof p.license === 'string' ? p.license : (p.license?.type ?? 'unknown') };
});
fs.mkdirSync('dist', { recursive: true });
fs.writeFileSync('dist/build-info.json', JSON.stringify({ commit, date: new Date().toISOString(), bundled }) + '\n');

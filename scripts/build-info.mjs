// Writes dist/build-info.json (the commit and time of this build) for Help → About; `unknown` outside a git checkout.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';

let commit = 'unknown';
try {
  commit = execFileSync('git', ['rev-parse', '--short=12', 'HEAD'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim() || 'unknown';
} catch {
  // not a git checkout (a source archive): the version alone identifies the build
}
fs.mkdirSync('dist', { recursive: true });
fs.writeFileSync('dist/build-info.json', JSON.stringify({ commit, date: new Date().toISOString() }) + '\n');

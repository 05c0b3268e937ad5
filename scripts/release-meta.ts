/**
 * `npm run release-meta`: what the installer ships about its parts, into
 * `release-meta/` (picked up by electron-builder.yml's extraResources):
 * - `sbom.cdx.json`: the CycloneDX SBOM of the production dependencies, made
 *   by the CycloneDX project's own npm generator (@cyclonedx/cyclonedx-npm);
 * - `THIRD-PARTY-NOTICES.txt`: each production package's name, version,
 *   licence and licence text (its LICENSE/LICENCE/COPYING file), sorted.
 * Fails (exit 1) when a production package declares no licence.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

interface LsNode {
  version?: string;
  path?: string;
  dependencies?: Record<string, LsNode>;
}

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const out = path.join(root, 'release-meta');

/** Every production package (name@version → folder), from `npm ls`. */
export function productionPackages(projectDir = root): Map<string, { name: string; version: string; dir: string }> {
  const json = execFileSync('npm', ['ls', '--omit=dev', '--all', '--long', '--json'], { cwd: projectDir, encoding: 'utf8', maxBuffer: 1 << 28 });
  const tree = JSON.parse(json) as LsNode;
  const found = new Map<string, { name: string; version: string; dir: string }>();
  const walk = (deps: Record<string, LsNode> | undefined): void => {
    for (const [name, n] of Object.entries(deps ?? {})) {
      if (!n.version || !n.path) continue;
      const key = `${name}@${n.version}`;
      if (found.has(key)) continue;
      found.set(key, { name, version: n.version, dir: n.path });
      walk(n.dependencies);
    }
  };
  walk(tree.dependencies);
  return found;
}

/** The licence notice text of the given packages; throws naming the packages without a declared licence. */
export function thirdPartyNotices(pkgs: Iterable<{ name: string; version: string; dir: string }>): string {
  const parts: string[] = [];
  const missing: string[] = [];
  for (const p of [...pkgs].sort((a, b) => a.name.localeCompare(b.name))) {
    const meta = JSON.parse(fs.readFileSync(path.join(p.dir, 'package.json'), 'utf8')) as {
      license?: string | { type?: string };
      licenses?: { type?: string }[];
    };
    const declared = typeof meta.license === 'string' ? meta.license : (meta.license?.type ?? meta.licenses?.map((l) => l.type).join(' OR '));
    const file = fs.readdirSync(p.dir).find((f) => /^(licen[cs]e|copying)(\.(md|txt))?$/i.test(f));
    const text = file ? fs.readFileSync(path.join(p.dir, file), 'utf8').trim() : '(no licence file in the package; see its declared licence)';
    // a package that declares none in package.json but whose licence file names the MIT licence (png-js 1.1, PDFKit's)
    const licence = declared || (file && /^(the )?mit licen[cs]e\b/i.test(text) ? 'MIT (from its licence file)' : undefined);
    if (!licence) missing.push(`${p.name}@${p.version}`);
    parts.push(`${'='.repeat(78)}\n${p.name} ${p.version} — ${licence ?? 'UNDECLARED'}\n${'='.repeat(78)}\n${text}\n`);
  }
  if (missing.length) throw new Error(`production packages without a declared licence: ${missing.join(', ')}`);
  return `OrthoTwin — third-party software notices\n\nThis product includes the following packages.\n\n${parts.join('\n')}`;
}

/** Writes sbom.cdx.json and THIRD-PARTY-NOTICES.txt into `dir` for the project at `projectDir`. */
export function writeReleaseMeta(dir = out, projectDir = root): { sbom: string; notices: string } {
  fs.mkdirSync(dir, { recursive: true });
  const sbom = path.join(dir, 'sbom.cdx.json');
  execFileSync('npx', ['--no-install', 'cyclonedx-npm', '--omit', 'dev', '--output-format', 'JSON', '--output-file', sbom], {
    cwd: projectDir,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const notices = path.join(dir, 'THIRD-PARTY-NOTICES.txt');
  fs.writeFileSync(notices, thirdPartyNotices(productionPackages(projectDir).values()));
  return { sbom, notices };
}

if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(new URL(import.meta.url).pathname)) {
  const r = writeReleaseMeta();
  console.log(`release-meta: ${r.sbom}, ${r.notices}`);
}

/**
 * Where the shared real recordings are: ORTHOTWIN_DATA, else ../shared/data
 * next to the project. Suites that need them use `describeData`, which
 * skips with a printed reason when the folder is absent.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe } from 'vitest';

const here = path.dirname(fileURLToPath(import.meta.url));
export const projectRoot = path.resolve(here, '..', '..');

export function dataRoot(): string | null {
  const candidates = [process.env['ORTHOTWIN_DATA'], path.resolve(projectRoot, '..', 'shared', 'data')].filter(Boolean) as string[];
  for (const c of candidates) if (fs.existsSync(path.join(c, 'ct', 'totalseg_example_ct.nii.gz'))) return c;
  return null;
}

export const DATA = dataRoot();

export function dataPath(rel: string): string {
  if (!DATA) throw new Error(`shared data folder not found (set ORTHOTWIN_DATA); needed for ${rel}`);
  return path.join(DATA, rel);
}

/** describe() when the shared data exist, otherwise describe.skip with a message saying why. */
export const describeData: typeof describe = ((name: string, fn: () => void) => {
  if (DATA) return describe(name, fn);
  console.warn(`[skipped] "${name}": the shared data folder is absent (set ORTHOTWIN_DATA or provide ../shared/data)`);
  return describe.skip(name, fn);
}) as typeof describe;

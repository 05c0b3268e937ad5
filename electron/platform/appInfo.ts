/**
 * The application's own package.json (name, version, dependencies), read once
 * from the project root: two folders above this file in the sources, three
 * in the build (dist/electron/platform).
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));

/** The project root (the folder holding package.json). */
export const appRoot = (): string => path.resolve(here, '..', '..', ...(here.includes(`${path.sep}dist${path.sep}`) ? ['..'] : []));

export interface AppPackage {
  name: string;
  version: string;
  dependencies: Record<string, string>;
}

let cached: AppPackage | null = null;

/** package.json of the application. @throws Error when it cannot be read (a broken installation) */
export function appPackage(): AppPackage {
  cached ??= JSON.parse(fs.readFileSync(path.join(appRoot(), 'package.json'), 'utf8')) as AppPackage;
  return cached;
}

/**
 * Where OrthoTwin keeps its data: `--data-dir`, else ORTHOTWIN_DATA_DIR, else
 * the site policy's `dataDir` (hospital IT's choice), else the per-OS user data folder Electron's `app.getPath('userData')` uses
 * (Linux `$XDG_CONFIG_HOME/OrthoTwin` or `~/.config/OrthoTwin`, macOS
 * `~/Library/Application Support/OrthoTwin`, Windows `%APPDATA%\\OrthoTwin`).
 */
import os from 'node:os';
import path from 'node:path';

export const APP_NAME = 'OrthoTwin';

export function defaultDataDir(platform: NodeJS.Platform = process.platform, env: NodeJS.ProcessEnv = process.env, home = os.homedir()): string {
  if (platform === 'win32') return path.win32.join(env['APPDATA'] ?? path.win32.join(home, 'AppData', 'Roaming'), APP_NAME);
  if (platform === 'darwin') return path.posix.join(home, 'Library', 'Application Support', APP_NAME);
  return path.posix.join(env['XDG_CONFIG_HOME'] ?? path.posix.join(home, '.config'), APP_NAME);
}

/** Reads `--data-dir D` / `--data-dir=D` from argv, then the environment, then the site policy's `dataDir`, then the default. */
export function resolveDataDir(argv: readonly string[] = process.argv, env: NodeJS.ProcessEnv = process.env, policyDataDir?: string): string {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    if (a === '--data-dir' && argv[i + 1]) return path.resolve(argv[i + 1] as string);
    if (a.startsWith('--data-dir=')) return path.resolve(a.slice('--data-dir='.length));
  }
  if (env['ORTHOTWIN_DATA_DIR']) return path.resolve(env['ORTHOTWIN_DATA_DIR']);
  if (policyDataDir) return path.resolve(policyDataDir);
  return defaultDataDir();
}

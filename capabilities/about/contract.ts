/**
 * About: what this workstation is — application version and build, runtime,
 * intended use, data directory, store encryption, the licences of its
 * runtime dependencies and the capabilities loaded (their services, job
 * kinds and CLI commands). Contributes `system.about` to the system service.
 */
import { z } from 'zod';
import { defineService } from '../../electron/contract/define.js';

export const AboutInfo = z.object({
  name: z.string(),
  version: z.string(),
  /** The commit and time the application was built from (`unknown` outside a build). */
  build: z.object({ commit: z.string(), date: z.string() }),
  /** Electron's version on the desktop; null in browser mode and the CLI. */
  electron: z.string().nullable(),
  node: z.string(),
  platform: z.string(),
  dataDir: z.string(),
  storeEncrypted: z.boolean(),
  /** Direct runtime dependencies and the libraries bundled into the renderer: name, version and licence (SPDX) from their package.json; indirect ones are in the installer's SBOM and third-party notice. */
  licences: z.array(z.object({ name: z.string(), version: z.string(), licence: z.string() })),
  /** The capabilities loaded, in registry order: their services' methods (service.method), job kinds and CLI commands. */
  capabilities: z.array(
    z.object({ name: z.string(), title: z.string(), version: z.string(), services: z.array(z.string()), jobs: z.array(z.string()), cli: z.array(z.string()) }),
  ),
});
export type AboutInfo = z.infer<typeof AboutInfo>;

export const AboutService = defineService(
  'system',
  {
    /** The workstation's identity for Help → About (no patient data: every signed-in role, and before sign-in). */
    about: { roles: 'public', args: z.tuple([]), result: AboutInfo },
  },
  {},
);

declare module '../../electron/contract/registry.js' {
  interface ServiceRegistry {
    about: typeof AboutService;
  }
}

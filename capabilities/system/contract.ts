/**
 * System: the workstation's identity for the UI (version, transport, data
 * directory, example data) and the store key rotation.
 */
import { z } from 'zod';
import { defineService, ADMIN_ROLES } from '../../electron/contract/define.js';

export const SystemInfo = z.object({
  version: z.string(),
  dataDir: z.string(),
  transport: z.enum(['ipc', 'websocket', 'cli']),
  dataAvailable: z.boolean(),
  sampleStudies: z.array(z.object({ label: z.string(), path: z.string() })),
  /** Example tracked-ultrasound recordings (PLUS sequences) offered for replay in the Devices workspace. */
  sampleRecordings: z.array(z.object({ label: z.string(), path: z.string() })),
  /** The example IMU recording (x-io sensor CSV) the PicoX simulator replays as its sensors' IMU; null when absent. */
  sampleImu: z.string().nullable(),
  /** Example motion trials (C3D and the capture software's analog CSV export) offered for import in the Motion workspace. */
  sampleTrials: z.array(z.object({ label: z.string(), path: z.string() })),
  /** Whether the twin store is encrypted at rest. */
  storeEncrypted: z.boolean(),
});
export type SystemInfo = z.infer<typeof SystemInfo>;

export const SystemService = defineService(
  'system',
  {
    info: { roles: 'public', args: z.tuple([]), result: SystemInfo },
    /** Re-encrypts the twin store under a new random key and saves it in the key store (administrators). */
    rotateStoreKey: { roles: ADMIN_ROLES, args: z.tuple([]), result: z.object({ encrypted: z.boolean(), keyStore: z.string() }) },
  },
  {},
);

declare module '../../electron/contract/registry.js' {
  interface ServiceRegistry {
    system: typeof SystemService;
  }
}

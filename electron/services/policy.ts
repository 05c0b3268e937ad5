/**
 * The optional site policy (issue 6 §5): a JSON file in the operating
 * system's machine-wide configuration folder, written by hospital IT —
 * Linux `/etc/orthotwin/policy.json`, Windows `%ProgramData%\OrthoTwin\policy.json`,
 * macOS `/Library/Application Support/OrthoTwin/policy.json` (or the file
 * named by ORTHOTWIN_POLICY). It sets the data directory, the inactivity
 * lock, the password length, the export rules, the recordings' low-disk
 * threshold and the PACS nodes with this workstation's AE (pacsNodes, pacsLocal);
 * every field is optional.
 */
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { AppError } from '../contract/errors.js';
import { AeTitle, PacsNode } from '../../capabilities/pacs/contract.js';

const Role = z.enum(['administrator', 'surgeon', 'sonographer', 'researcher']);

export const SitePolicy = z
  .object({
    /** Where the twin store lives (overrides the per-user default). */
    dataDir: z.string().min(1).optional(),
    /** Minutes of inactivity after which a session locks (0: never). */
    lockMinutes: z
      .number()
      .min(0)
      .max(24 * 60)
      .default(15),
    /** Seconds, for tests and kiosks; wins over lockMinutes when set. */
    lockSeconds: z
      .number()
      .min(1)
      .max(24 * 3600)
      .optional(),
    minPasswordLength: z.number().int().min(8).max(128).default(12),
    /** Refuse to start without an encrypted twin store (no OS keystore on the desktop, no key file in browser mode). */
    requireEncryption: z.boolean().default(false),
    /** Failed logins before an account is locked, and for how long (minutes). */
    maxFailedLogins: z.number().int().min(1).max(100).default(5),
    lockoutMinutes: z
      .number()
      .min(1)
      .max(24 * 60)
      .default(5),
    /**
     * Session recording (Devices workspace): a recording stops cleanly, its files finished, before free disk of the
     * data directory — less what finishing the files still needs — falls below this many MiB (default 2048 = 2 GiB);
     * one is not started below it.
     */
    recordingMinFreeMiB: z
      .number()
      .int()
      .min(1)
      .max(1024 * 1024)
      .default(2048),
    /** The hospital's PACS nodes (issue 24): query/retrieve and send; each named once (the CLI's `--node NAME`). */
    pacsNodes: z
      .array(PacsNode)
      .default([])
      .refine((a) => new Set(a.map((n) => n.name)).size === a.length, 'each PACS node needs its own name'),
    /**
     * This workstation as a DICOM node: its AE title (calling AE, and the C-MOVE destination the PACS must know), the port of
     * its C-STORE SCP (started for a C-MOVE only), and how long a PACS may stay silent (connect, association, PDU) before a
     * transfer is called timed out.
     */
    pacsLocal: z
      .object({
        aet: AeTitle.default('ORTHOTWIN'),
        storePort: z.number().int().min(1).max(65535).default(11112),
        timeoutSeconds: z.number().min(1).max(3600).default(30),
      })
      .strict()
      .default({ aet: 'ORTHOTWIN', storePort: 11112, timeoutSeconds: 30 }),
    export: z
      .object({
        /** Roles that may export identified data (original DICOM, reports with names). */
        identifiedRoles: z.array(Role).default(['administrator', 'surgeon']),
        /** Whether de-identified exports may keep dates (the Retain Longitudinal Full Dates Option). */
        allowRetainDates: z.boolean().default(true),
      })
      .strict()
      .default({ identifiedRoles: ['administrator', 'surgeon'], allowRetainDates: true }),
  })
  .strict();
export type SitePolicy = z.infer<typeof SitePolicy>;

/** The machine-wide policy file of this operating system. */
export function defaultPolicyPath(platform: NodeJS.Platform = process.platform, env: NodeJS.ProcessEnv = process.env): string {
  if (env['ORTHOTWIN_POLICY']) return env['ORTHOTWIN_POLICY'];
  if (platform === 'win32') return path.win32.join(env['ProgramData'] ?? 'C:\\ProgramData', 'OrthoTwin', 'policy.json');
  if (platform === 'darwin') return '/Library/Application Support/OrthoTwin/policy.json';
  return '/etc/orthotwin/policy.json';
}

/**
 * Reads the site policy; the defaults when there is no file.
 * @throws AppError BAD_REQUEST naming the file when it is not JSON or breaks the schema (an administrator's typo must not silently fall back to defaults)
 */
export function loadSitePolicy(file = defaultPolicyPath()): SitePolicy & { source: string | null } {
  let raw: string;
  try {
    raw = fs.readFileSync(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { ...SitePolicy.parse({}), source: null };
    throw new AppError('BAD_REQUEST', `${file}: cannot read the site policy (${(e as Error).message})`, { file });
  }
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch (e) {
    throw new AppError('BAD_REQUEST', `${file}: the site policy is not valid JSON (${(e as Error).message})`, { file });
  }
  const r = SitePolicy.safeParse(json);
  if (!r.success) {
    const i = r.error.issues[0]!;
    throw new AppError('BAD_REQUEST', `${file}: site policy ${i.path.join('.') || '(root)'}: ${i.message}`, { file });
  }
  return { ...r.data, source: file };
}

/** The inactivity lock in milliseconds (0: never). */
export const lockAfterMs = (p: SitePolicy): number => (p.lockSeconds ? p.lockSeconds * 1000 : p.lockMinutes * 60_000);

/**
 * The platform's migrations: the first schema (0001: patients, studies,
 * series, volumes, twins, artefacts, features, jobs, audit), the store's own
 * settings (0007) and the job title (0008), and what every call is checked
 * against where it enters the services: the audit chain (0005) and the user
 * accounts (0006). Each capability brings its own
 * (capabilities/<name>/migrations/); the numbering is global and the runner
 * (TwinStore.migrate) refuses gaps and repeats. Never edit one that has
 * shipped: add the next number.
 */
import type { Migration } from '../store.js';
import * as m0001 from './0001-initial.js';
import * as m0005 from './0005-audit-chain.js';
import * as m0006 from './0006-users.js';
import * as m0007 from './0007-store-meta.js';
import * as m0008 from './0008-job-title.js';

export const PLATFORM_MIGRATIONS: readonly Migration[] = [
  { version: 1, name: m0001.name, sql: m0001.sql },
  { version: 5, name: m0005.name, sql: m0005.sql },
  { version: 6, name: m0006.name, sql: m0006.sql },
  { version: 7, name: m0007.name, sql: m0007.sql },
  { version: 8, name: m0008.name, sql: m0008.sql },
];

/** Files under store/ that the platform's tables refer to: imported volumes and twin artefacts (capabilities' tables from 0001). */
export const PLATFORM_STORE_FILES: readonly string[] = ['SELECT rel_path FROM volumes', 'SELECT rel_path FROM artefacts'];

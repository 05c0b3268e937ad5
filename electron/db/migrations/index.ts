/** Numbered migrations, applied in order; never edit one that has shipped, add the next number. */
import * as m0001 from './0001-initial.js';
import * as m0002 from './0002-spine.js';
import * as m0003 from './0003-calibrations.js';
import * as m0004 from './0004-registrations.js';
import * as m0005 from './0005-audit-chain.js';
import * as m0006 from './0006-users.js';
import * as m0007 from './0007-store-meta.js';
import * as m0008 from './0008-job-title.js';

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export const MIGRATIONS: Migration[] = [
  { version: 1, name: m0001.name, sql: m0001.sql },
  { version: 2, name: m0002.name, sql: m0002.sql },
  { version: 3, name: m0003.name, sql: m0003.sql },
  { version: 4, name: m0004.name, sql: m0004.sql },
  { version: 5, name: m0005.name, sql: m0005.sql },
  { version: 6, name: m0006.name, sql: m0006.sql },
  { version: 7, name: m0007.name, sql: m0007.sql },
  { version: 8, name: m0008.name, sql: m0008.sql },
];

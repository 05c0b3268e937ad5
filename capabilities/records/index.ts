/**
 * The records capability (issue 20 §1): editing patients, studies, series
 * and twins, and the recoverable trash (contract.ts; SQL in repo.ts; its
 * columns and the edit history from migration 0010).
 */
import { defineCapability } from '../../electron/platform/capability.js';
import { RecordsService } from './contract.js';
import { editRecord, listTrash, purgeRecord, restoreRecord, trashRecord } from './repo.js';
import * as m0010 from './migrations/0010-records-trash.js';

export default defineCapability(
  {
    name: 'records',
    title: 'Record editing and trash',
    version: '1.0.0',
    services: [RecordsService],
    migrations: [{ version: 10, name: m0010.name, sql: m0010.sql }],
  },
  ({ store, actor }) => ({
    records: {
      edit: (e) => editRecord(store, e, actor()),
      trash: (kind, id) => trashRecord(store, kind, id, actor()),
      restore: (kind, id) => (restoreRecord(store, kind, id, actor()), true),
      purge: (kind, id) => purgeRecord(store, kind, id, actor()),
      trashed: () => listTrash(store),
    },
  }),
);

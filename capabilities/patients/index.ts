/**
 * The patients capability: creating (with the duplicate checks of issue 20
 * §1), finding (case- and accent-insensitive), reading and deleting patients
 * (contract.ts; rows in repo.ts).
 */
import { defineCapability } from '../../electron/platform/capability.js';
import { currentCaller } from '../../electron/services/actor.js';
import { matchesSearch, PatientsService, redactPatient } from './contract.js';
import { createCheckedPatient, findDuplicates, getPatient, listPatients } from './repo.js';
import { trashRecord } from '../records/repo.js';

export default defineCapability(
  {
    name: 'patients',
    title: 'Patients',
    version: '1.0.0',
    services: [PatientsService],
  },
  ({ store, actor }) => ({
    patients: {
      // a researcher searches the pseudonyms only: a real name or MRN must not find (re-identify) anyone
      list: (q) =>
        currentCaller()?.role === 'researcher' ? listPatients(store, '').filter((p) => matchesSearch(q, redactPatient(p).displayName)) : listPatients(store, q),
      // an ID already in use is refused, a namesake born the same day asks for confirmDuplicate (audited)
      create: (p) => createCheckedPatient(store, p, actor()),
      duplicates: (p) => findDuplicates(store, p),
      // to the trash, recoverable: only an administrator deletes for good (records.purge)
      delete: (id) => (trashRecord(store, 'patient', id, actor()), true),
      get: (id) => getPatient(store, id),
    },
  }),
);

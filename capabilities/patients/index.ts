/**
 * The patients capability: creating, finding, reading and deleting patients
 * (contract.ts; rows in repo.ts).
 */
import { defineCapability } from '../../electron/platform/capability.js';
import { currentCaller } from '../../electron/services/actor.js';
import { PatientsService, redactPatient } from './contract.js';
import { createPatient, deletePatient, getPatient, listPatients } from './repo.js';

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
        currentCaller()?.role === 'researcher'
          ? listPatients(store, '').filter((p) => redactPatient(p).displayName.toLowerCase().includes(q.trim().toLowerCase()))
          : listPatients(store, q),
      create: (p) => createPatient(store, p, actor()),
      delete: (id) => (deletePatient(store, id, actor()), true),
      get: (id) => getPatient(store, id),
    },
  }),
);

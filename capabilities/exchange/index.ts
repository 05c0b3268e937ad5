/**
 * The exchange capability (issue 24): the twin's meshes out for 3D printing
 * (3MF, STL) with printability checks and repair (meshExport.ts), and `twin
 * export`; DICOM objects of the results (dicomExport.ts: a binary SEG of the
 * vertebra labels, bone and body, a TID 1500 Comprehensive 3D SR of the spine
 * measurements, both referencing the source series) and their read-back.
 * PACS exchange is to come here as well.
 */
import { defineCapability } from '../../electron/platform/capability.js';
import { ExchangeService } from './contract.js';
import { exportTwinDicom, readDicomObject } from './dicomExport.js';
import { exportTwinMesh } from './meshExport.js';

export default defineCapability(
  {
    name: 'exchange',
    title: 'Exchange: 3D printing and DICOM exports',
    version: '0.1.0',
    services: [ExchangeService],
    cli: [
      {
        name: 'export',
        usage:
          'twin export <twin id> --data-dir D --format 3mf|stl|seg|sr|surface --out F [--parts skin,bone,discs,screws] [--ascii] [--store-key-file K] [--json]',
        run: async (argv) => (await import('./cliExport.js')).runExport(argv),
      },
    ],
  },
  ({ store, actor }) => ({
    exchange: {
      exportMesh: (twinId, req) => exportTwinMesh(store, actor(), twinId, req),
      exportDicom: (twinId, req) => exportTwinDicom(store, actor(), twinId, req),
      readDicom: async (file) => readDicomObject(file),
    },
  }),
);

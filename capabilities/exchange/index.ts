/**
 * The exchange capability (issue 24): the twin's meshes out for 3D printing
 * (3MF, STL) with printability checks and repair (meshExport.ts), and `twin
 * export`; DICOM objects of the results (dicomExport.ts: a binary SEG of the
 * vertebra labels, bone and body, a TID 1500 Comprehensive 3D SR of the spine
 * measurements, both referencing the source series) and their read-back.
 * PACS exchange is to come here as well.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { AppError } from '../../electron/contract/errors.js';
import { defineCapability } from '../../electron/platform/capability.js';
import { ExchangeService, type ExportFile } from './contract.js';
import { exportTwinDicom, readDicomObject } from './dicomExport.js';
import { exportTwinMesh } from './meshExport.js';

/** The largest export file handed to the renderer whole (base64 in one message). */
export const EXPORT_FILE_MAX_BYTES = 256 * 1024 * 1024;

const MIME: Record<string, string> = {
  '.3mf': 'model/3mf',
  '.stl': 'model/stl',
  '.dcm': 'application/dicom',
};

/**
 * A file that exportMesh / exportDicom wrote into `<dataDir>/exports/`, as base64 for the renderer's download.
 * @throws AppError BAD_REQUEST (a path outside `<dataDir>/exports/`, or over EXPORT_FILE_MAX_BYTES), NOT_FOUND (no such file)
 */
export function readExportFile(dataDir: string, file: string): ExportFile {
  const root = fs.existsSync(path.join(dataDir, 'exports')) ? fs.realpathSync(path.join(dataDir, 'exports')) : path.resolve(dataDir, 'exports');
  const abs = path.resolve(file);
  if (!fs.existsSync(abs)) throw new AppError('NOT_FOUND', `${abs}: no such file`);
  const real = fs.realpathSync(abs);
  if (!real.startsWith(root + path.sep)) throw new AppError('BAD_REQUEST', `${abs}: not an export of this workstation (only files in ${root} are handed out)`);
  const st = fs.statSync(real);
  if (!st.isFile()) throw new AppError('BAD_REQUEST', `${abs}: not a file`);
  if (st.size > EXPORT_FILE_MAX_BYTES) throw new AppError('BAD_REQUEST', `${abs}: ${st.size} bytes, over the ${EXPORT_FILE_MAX_BYTES} a download may hold`);
  const bytes = fs.readFileSync(real);
  return {
    fileName: path.basename(real),
    mime: MIME[path.extname(real).toLowerCase()] ?? 'application/octet-stream',
    bytes: bytes.length,
    sha256: crypto.createHash('sha256').update(bytes).digest('hex'),
    base64: bytes.toString('base64'),
  };
}

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
  ({ store, actor, dataDir }) => ({
    exchange: {
      exportFile: async (file) => readExportFile(dataDir, file),
      exportMesh: (twinId, req) => exportTwinMesh(store, actor(), twinId, req),
      exportDicom: (twinId, req) => exportTwinDicom(store, actor(), twinId, req),
      readDicom: async (file) => readDicomObject(file),
    },
  }),
);

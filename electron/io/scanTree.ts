/**
 * The patient picker's tree: what a path holds, grouped DICOM patient →
 * study → series, or one volume file.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { ScanResult } from '../../capabilities/studies/contract.js';
import { AppError } from '../contract/errors.js';
import { formatOfPath } from './headers.js';
import { scanDicom } from './dicom.js';

/**
 * Scans `p` (a DICOM folder or file, or a NIfTI/NRRD/MetaImage file).
 * @param onProgress fraction 0..1
 * @throws AppError NOT_FOUND when the path does not exist
 */
export function scanTree(p: string, onProgress: (fraction: number) => void = () => undefined): ScanResult {
  if (!fs.existsSync(p)) throw new AppError('NOT_FOUND', `${p}: no such file or folder`, { path: p });
  const fmt = formatOfPath(p);
  if (fs.statSync(p).isFile() && fmt !== null && fmt !== 'dicom') {
    const name = path.basename(p);
    return {
      path: p,
      kind: 'file',
      patients: [
        {
          patientName: '',
          patientId: '',
          studies: [
            {
              studyInstanceUid: '',
              studyDate: '',
              studyDescription: name,
              series: [{ seriesInstanceUid: '', seriesNumber: 0, seriesDescription: name, modality: '', rows: 0, columns: 0, frames: 0, problems: [] }],
            },
          ],
        },
      ],
      skipped: [],
      filesScanned: 1,
    };
  }
  const scan = scanDicom(p, (d, t) => onProgress(d / Math.max(1, t)));
  const patients = new Map<string, ScanResult['patients'][number]>();
  for (const s of scan.series) {
    const pk = `${s.patientId}\u0000${s.patientName}`;
    let pat = patients.get(pk);
    if (!pat) patients.set(pk, (pat = { patientName: s.patientName, patientId: s.patientId, studies: [] }));
    let st = pat.studies.find((x) => x.studyInstanceUid === s.studyInstanceUid);
    if (!st) pat.studies.push((st = { studyInstanceUid: s.studyInstanceUid, studyDate: s.studyDate, studyDescription: s.studyDescription, series: [] }));
    st.series.push({
      seriesInstanceUid: s.seriesInstanceUid,
      seriesNumber: s.seriesNumber,
      seriesDescription: s.seriesDescription,
      modality: s.modality,
      rows: s.rows,
      columns: s.columns,
      frames: s.frames,
      problems: s.problems,
    });
  }
  return { path: p, kind: 'dicom', patients: [...patients.values()], skipped: scan.skipped, filesScanned: scan.filesScanned };
}

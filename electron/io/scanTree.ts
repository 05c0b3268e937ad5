/**
 * The patient picker's tree: what a path holds, grouped DICOM patient →
 * study → series, or one volume file.
 */
import { contentOfVolumeFile } from './headers.js';
import { contentOfDicomSeries, notAVolume, type ContentInfo } from './identity.js';
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
    // what the file holds, from its header: a tracked sequence or a 2D image is named here, before an import is tried
    let content: ContentInfo = { kind: 'volume', statedModality: null, frames: 1 };
    const problems: string[] = [];
    try {
      content = contentOfVolumeFile(p);
      const why = notAVolume(content.kind, content.frames);
      if (why) problems.push(`${name} is ${why}`);
    } catch (e) {
      problems.push((e as Error).message);
    }
    return {
      path: p,
      kind: 'file',
      patients: [
        {
          patientName: '',
          patientId: '',
          birthDate: '',
          sex: '',
          studies: [
            {
              studyInstanceUid: '',
              studyDate: '',
              studyDescription: name,
              series: [
                {
                  seriesInstanceUid: '',
                  seriesNumber: 0,
                  seriesDescription: name,
                  modality: content.statedModality ?? '',
                  rows: 0,
                  columns: 0,
                  frames: content.frames,
                  problems,
                  content: content.kind,
                },
              ],
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
    if (!pat) patients.set(pk, (pat = { patientName: s.patientName, patientId: s.patientId, birthDate: s.patientBirthDate, sex: s.patientSex, studies: [] }));
    let st = pat.studies.find((x) => x.studyInstanceUid === s.studyInstanceUid);
    if (!st) pat.studies.push((st = { studyInstanceUid: s.studyInstanceUid, studyDate: s.studyDate, studyDescription: s.studyDescription, series: [] }));
    const content = contentOfDicomSeries({ modality: s.modality, frames: s.frames, multiFrame: s.multiFrame, hasGeometry: s.geometry !== null });
    const why = notAVolume(content.kind, content.frames);
    st.series.push({
      seriesInstanceUid: s.seriesInstanceUid,
      seriesNumber: s.seriesNumber,
      seriesDescription: s.seriesDescription,
      modality: s.modality,
      rows: s.rows,
      columns: s.columns,
      frames: s.frames,
      problems: why ? [...s.problems, `series ${s.seriesNumber || s.seriesInstanceUid} is ${why}`] : s.problems,
      content: content.kind,
    });
  }
  return { path: p, kind: 'dicom', patients: [...patients.values()], skipped: scan.skipped, filesScanned: scan.filesScanned };
}

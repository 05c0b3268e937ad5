/**
 * The shared example data (ORTHOTWIN_DATA or ../shared/data), offered in the
 * import dialog and for replay in the Devices workspace when present.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { SystemInfo } from '../../capabilities/system/contract.js';

const here = path.dirname(fileURLToPath(import.meta.url));

/** The shared example data, offered in the import dialog when present (ORTHOTWIN_DATA or ../shared/data). */
function sharedDataRoot(): string | undefined {
  const roots = [
    process.env['ORTHOTWIN_DATA'],
    path.resolve(here, '..', '..', '..', 'shared', 'data'),
    path.resolve(here, '..', '..', '..', '..', 'shared', 'data'),
  ];
  return roots.find((r) => r && fs.existsSync(path.join(r, 'ct')));
}

/** The shared tracked-ultrasound recordings and a depth point cloud, offered for replay in the Devices workspace when present. */
export function sampleRecordings(): SystemInfo['sampleRecordings'] {
  const root = sharedDataRoot();
  if (!root) return [];
  const items: [string, string][] = [
    ['Spine phantom, freehand tracked US (PLUS)', 'us/SpinePhantomFreehand.igs.mha'],
    ['Bone ultrasound L1–L4, tracked (PLUS)', 'us/BoneUltrasound_L14.igs.mha'],
    ['Depth point cloud, five people (PCL, PCD)', 'depth/five_people.pcd'],
  ];
  return items.filter(([, p]) => fs.existsSync(path.join(root, p))).map(([label, p]) => ({ label, path: path.join(root, p) }));
}

/** The shared IMU recording (x-io's sensor CSV) the PicoX simulator replays, when present. */
export function sampleImu(): string | null {
  const root = sharedDataRoot();
  const p = root ? path.join(root, 'imu', 'fusion_sensor_data.csv') : '';
  return p && fs.existsSync(p) ? p : null;
}

/** The shared motion trials (sEMG at 2000 Hz with markers: C3D, and the capture software's CSV export of it), when present. */
export function sampleTrials(): SystemInfo['sampleTrials'] {
  const root = sharedDataRoot();
  if (!root) return [];
  const items: [string, string][] = [
    ['Shoulder trial: 32 sEMG at 2000 Hz + 51 markers (C3D)', 'emg/markers_analogs.c3d'],
    ['The same trial, analog CSV export', 'emg/analogs.csv'],
  ];
  return items.map(([label, rel]) => ({ label, path: path.join(root, rel) })).filter((s) => fs.existsSync(s.path));
}

export function sampleStudies(): SystemInfo['sampleStudies'] {
  const root = sharedDataRoot();
  if (!root) return [];
  const items: [string, string][] = [
    ['Abdominal CT, 3 mm (NIfTI)', 'ct/totalseg_example_ct.nii.gz'],
    ['CT series, JPEG 2000 (DICOM folder)', 'dicom/totalseg_ct_series_j2k'],
    ['Abdominal MR (NIfTI)', 'mr/totalseg_example_mr_sm.nii.gz'],
    ['Cervical MR (NIfTI)', 'mr/sct_t2s_neck_uncropped.nii.gz'],
    ['Head FLAIR, oblique (NRRD)', 'mr/niivue_FLAIR_oblique.nrrd'],
  ];
  return items.filter(([, p]) => fs.existsSync(path.join(root, p))).map(([label, p]) => ({ label, path: path.join(root, p) }));
}

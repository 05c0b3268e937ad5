/**
 * A classic CT Image Storage series (one uncompressed file per slice,
 * explicit VR little endian, int16 HU with rescale 1/0) written with dcmjs
 * from a volume read by OrthoTwin's reader, for tests that need a DICOM
 * source with the whole example spine (the shared J2K series holds 20
 * slices). Slice k of the volume is the file's plane at origin + k·step
 * along the volume's third axis; pixel (row r, column c) is voxel (c, r, k).
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Volume } from '../../electron/engine/volume.js';
import { dcmjs, writePart10 } from '../../electron/io/dicomSeg.js';

export function writeCtSeries(
  vol: Volume,
  dir: string,
  o: { patientName: string; patientId: string; studyDate: string },
): { studyUid: string; seriesUid: string; files: string[] } {
  const uid = (): string => dcmjs().data.DicomMetaDictionary.uid();
  const studyUid = uid(),
    seriesUid = uid(),
    forUid = uid();
  fs.mkdirSync(dir, { recursive: true });
  const [nx, ny, nz] = vol.dims;
  const D = vol.direction;
  const col = (c: number): number[] => [0, 1, 2].map((r) => D[r * 3 + c] as number);
  const iop = [...col(0), ...col(1)];
  const files: string[] = [];
  for (let k = 0; k < nz; k++) {
    const ipp = [0, 1, 2].map((r) => (vol.originLps[r] as number) + (D[r * 3 + 2] as number) * vol.spacingMm[2] * k);
    const px = new Int16Array(nx * ny);
    for (let j = 0; j < ny; j++) for (let i = 0; i < nx; i++) px[j * nx + i] = Math.round(vol.data[i + nx * (j + ny * k)] as number);
    const ds: Record<string, unknown> = {
      _vrMap: { PixelData: 'OW' },
      SpecificCharacterSet: 'ISO_IR 100',
      ImageType: ['ORIGINAL', 'PRIMARY', 'AXIAL'],
      SOPClassUID: '1.2.840.10008.5.1.4.1.1.2',
      SOPInstanceUID: uid(),
      StudyDate: o.studyDate,
      StudyTime: '120000',
      AccessionNumber: '',
      Modality: 'CT',
      Manufacturer: 'OrthoTwin test',
      ReferringPhysicianName: '',
      PatientName: o.patientName,
      PatientID: o.patientId,
      PatientBirthDate: '',
      PatientSex: '',
      StudyInstanceUID: studyUid,
      SeriesInstanceUID: seriesUid,
      StudyID: '1',
      SeriesNumber: 2,
      InstanceNumber: k + 1,
      FrameOfReferenceUID: forUid,
      PositionReferenceIndicator: '',
      ImagePositionPatient: ipp,
      ImageOrientationPatient: iop,
      SliceThickness: vol.spacingMm[2],
      PixelSpacing: [vol.spacingMm[1], vol.spacingMm[0]],
      SamplesPerPixel: 1,
      PhotometricInterpretation: 'MONOCHROME2',
      Rows: ny,
      Columns: nx,
      BitsAllocated: 16,
      BitsStored: 16,
      HighBit: 15,
      PixelRepresentation: 1,
      RescaleIntercept: 0,
      RescaleSlope: 1,
      RescaleType: 'HU',
      KVP: 120,
      PixelData: [px.buffer],
    };
    const file = path.join(dir, `CT${String(k + 1).padStart(4, '0')}.dcm`);
    fs.writeFileSync(file, writePart10(ds));
    files.push(file);
  }
  return { studyUid, seriesUid, files };
}

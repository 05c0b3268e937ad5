/** The volumes of a patient's studies that the live ultrasound can be fused with. */
import type { StudyRecord, VolumeRecord } from '../../studies/contract.js';

/** A series with its volume, and the label it is offered with ("MR · T2 sagittal"). */
export interface PriorVolume {
  series: StudyRecord['series'][number];
  volume: VolumeRecord;
  label: string;
}

/** Every series of `studies` that has a volume, in study then series order. */
export const priorVolumes = (studies: readonly StudyRecord[]): PriorVolume[] =>
  studies.flatMap((s) => s.series.filter((se) => se.volume).map((se) => ({ series: se, volume: se.volume!, label: `${se.modality} · ${se.description}` })));

/** The volumes of a patient's studies that the live ultrasound can be fused with. */
import type { StudyRecord, VolumeRecord } from '../../studies/contract.js';

/** A series with its volume, and the label it is offered with ("MR · T2 sagittal"). */
export interface PriorVolume {
  series: StudyRecord['series'][number];
  volume: VolumeRecord;
  label: string;
  /**
   * The caution of a series imported after the user confirmed a differing
   * identity ("identity confirmed at import: name differed"), null otherwise.
   */
  identityCaution: string | null;
}

/** The caution for a series imported after an identity override (`identityOverride`: what differed, e.g. "name, birth date"). */
export const identityCaution = (identityOverride: string): string | null =>
  identityOverride ? `identity confirmed at import: ${identityOverride} differed` : null;

/** Every series of `studies` that has a volume, in study then series order; one imported after an identity override says so in its label. */
export const priorVolumes = (studies: readonly StudyRecord[]): PriorVolume[] =>
  studies.flatMap((s) =>
    s.series
      .filter((se) => se.volume)
      .map((se) => {
        const caution = identityCaution(se.identityOverride);
        return { series: se, volume: se.volume!, label: `${se.modality} · ${se.description}${caution ? ` — ${caution}` : ''}`, identityCaution: caution };
      }),
  );

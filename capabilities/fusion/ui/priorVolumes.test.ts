import { describe, expect, it } from 'vitest';
import type { StudyRecord } from '../../studies/contract.js';
import { priorVolumes } from './priorVolumes.js';

const series = (id: string, identityOverride: string) =>
  ({ id, studyId: 's1', modality: 'MR', description: `T2 ${id}`, identityOverride, volume: { id: `v-${id}` } }) as unknown as StudyRecord['series'][number];

describe('priorVolumes', () => {
  it('marks a series imported after an identity override in its label; the others are plain', () => {
    const studies = [{ id: 's1', series: [series('a', ''), series('b', 'name'), series('c', 'name, birth date')] }] as unknown as StudyRecord[];
    const v = priorVolumes(studies);
    expect(v.map((x) => x.label)).toEqual([
      'MR · T2 a',
      'MR · T2 b — identity confirmed at import: name differed',
      'MR · T2 c — identity confirmed at import: name, birth date differed',
    ]);
    expect(v.map((x) => x.identityCaution)).toEqual([
      null,
      'identity confirmed at import: name differed',
      'identity confirmed at import: name, birth date differed',
    ]);
  });
});

/**
 * The feature graph's relations on constructed records: a disc meets both its
 * vertebrae across modalities, a symmetry index derives from its left and
 * right channels, the same feature at two visits is longitudinal, Cobb angles
 * with other end vertebrae stay one trend; association edges appear only with
 * ≥ 20 patients having both features and |ρ| ≥ 0.3 (Spearman's ρ checked
 * against a hand computation with ties).
 */
import { describe, expect, it } from 'vitest';
import type { MotionSessionDetail } from '../motion/contract.js';
import type { FeatureNode } from './contract.js';
import { associations, buildPatientGraph, levelVertebrae, spearman, trendKey, type GraphInputs } from './graph.js';

const feature = (name: string, level: string | null, value: number, unit = 'mm') => ({
  name,
  level,
  value,
  unit,
  sourceSeriesId: 's1',
  algorithm: 'orthotwin.spine',
  algorithmVersion: '5',
  parameters: {},
  createdAt: '2026-01-10T10:00:00Z',
});

const motion = (id: string, visitDate: string, features: MotionSessionDetail['features']): MotionSessionDetail => ({
  id,
  patientId: 'p1',
  visitDate,
  visitLabel: '',
  format: 'c3d',
  fileName: `${id}.c3d`,
  bytes: 1,
  sha256: '',
  durationS: 1,
  analogHz: 2000,
  pointHz: 0,
  points: 0,
  channels: [],
  events: [],
  simulated: false,
  featureCount: features.length,
  createdAt: '',
  createdBy: '',
  features,
});

const emg = (name: string, channel: string, side: string, value: number): MotionSessionDetail['features'][number] => ({
  name,
  value,
  unit: name.includes('symmetry') ? '%' : 'V',
  channel,
  muscle: 'erector spinae',
  side,
  level: 'L4',
  flags: [],
  algorithm: 'orthotwin.emg',
  algorithmVersion: '1',
  parameters: {},
});

const INPUTS: GraphInputs = {
  patientId: 'p1',
  birthDate: '1960-06-01',
  entered: [{ visitDate: '2026-01-10', label: 'baseline' }],
  twins: [
    { twinId: 't1', version: 1, studyId: 'st1', seriesId: 's1', modality: 'CT', studyDescription: '', visitDate: '2026-01-10', createdAt: '', features: [] },
  ],
  spine: [
    {
      twinId: 't1',
      twinVersion: 1,
      analysisId: 'a1',
      analysisVersion: 1,
      features: [
        feature('spine.disc_height_mean_ap', 'L4-L5', 8.5),
        feature('spine.trabecular_hu_mean', 'L4', 140, 'HU'),
        feature('spine.cobb_coronal', 'T10-L2', 12, 'deg'),
      ],
    },
  ],
  motion: [
    motion('m1', '2026-01-10', [
      emg('emg.rms', 'EMG1', 'left', 1e-4),
      emg('emg.rms', 'EMG2', 'right', 2e-4),
      emg('emg.symmetry_rms', 'EMG1/EMG2', 'bilateral', -66.7),
    ]),
  ],
  proms: [],
  clinical: [],
};

describe('buildPatientGraph', () => {
  const g = buildPatientGraph(INPUTS);
  const node = (id: string): FeatureNode => g.nodes.find((n) => n.id === id)!;
  it('links a disc to its vertebrae across modalities (L4-L5 disc height ↔ L4 paraspinal sEMG), never within one', () => {
    expect(levelVertebrae('L4-L5')).toEqual(['L4', 'L5']);
    const sameLevel = g.edges.filter((e) => e.type === 'same-level');
    const pairs = sameLevel.map((e) => [node(e.source).name, node(e.target).name].sort().join(' ↔ '));
    expect(pairs).toContain('emg.rms ↔ spine.disc_height_mean_ap');
    expect(pairs).toContain('emg.rms ↔ spine.trabecular_hu_mean');
    expect(sameLevel.every((e) => node(e.source).modality !== node(e.target).modality)).toBe(true);
    // a Cobb angle's end vertebrae are not its level
    expect(sameLevel.some((e) => [node(e.source), node(e.target)].some((n) => n.name === 'spine.cobb_coronal'))).toBe(false);
  });
  it('derives the symmetry index from the left and right channels; gives the age at the visit', () => {
    const sym = g.nodes.find((n) => n.name === 'emg.symmetry_rms')!;
    const from = g.edges.filter((e) => e.type === 'derived-from' && e.target === sym.id).map((e) => node(e.source).side);
    expect(from.sort()).toEqual(['left', 'right']);
    expect(g.nodes.find((n) => n.name === 'age_years')!.value).toBe(65.6);
    expect(g.visits).toHaveLength(1);
    expect(g.visits[0]).toMatchObject({ label: 'baseline', derived: false });
  });
  it('follows a feature over visits (longitudinal, weighted by the change), a Cobb angle whatever its end vertebrae', () => {
    const later = buildPatientGraph({
      ...INPUTS,
      twins: [...INPUTS.twins, { ...INPUTS.twins[0]!, twinId: 't2', version: 2, visitDate: '2026-07-10' }],
      spine: [
        ...INPUTS.spine,
        {
          twinId: 't2',
          twinVersion: 2,
          analysisId: 'a2',
          analysisVersion: 1,
          features: [feature('spine.cobb_coronal', 'T11-L3', 18, 'deg'), feature('spine.disc_height_mean_ap', 'L4-L5', 8)],
        },
      ],
    });
    const long = later.edges.filter((e) => e.type === 'longitudinal');
    const byName = new Map(long.map((e) => [later.nodes.find((n) => n.id === e.source)!.name, e.weight]));
    expect(byName.get('spine.cobb_coronal')).toBe(6);
    expect(byName.get('spine.disc_height_mean_ap')).toBe(-0.5);
    expect(trendKey({ name: 'spine.cobb_coronal', level: 'T10-L2', site: 'spine', side: '' })).toBe(
      trendKey({ name: 'spine.cobb_coronal', level: 'T11-L3', site: 'spine', side: '' }),
    );
  });
});

describe('association edges over the cohort', () => {
  const n = (patient: number, name: string, value: number): FeatureNode => ({
    id: `${patient}:${name}`,
    name,
    label: name,
    value,
    unit: '',
    modality: 'PROM',
    scale: 'macro',
    site: 'patient',
    level: '',
    side: '',
    visitId: `v${patient}`,
    visitDate: '2026-01-01',
    algorithm: '',
    algorithmVersion: '',
    flags: [],
    source: { kind: 'prom', id: `${patient}` },
  });
  const cohort = (size: number): FeatureNode[][] =>
    Array.from({ length: size }, (_, i) => [n(i, 'odi', 20 + i), n(i, 'nrs_leg', (i * 7) % 11), n(i, 'rmdq', 3 + 0.5 * i)]);
  it("Spearman's ρ with ties", () => {
    // x ranks 1, 2.5, 2.5, 4; y ranks 1, 2, 3, 4: ρ = Pearson of the ranks
    expect(spearman([1, 2, 2, 3], [10, 20, 30, 40])).toBeCloseTo(0.9486832980505138, 12);
  });
  it('none under 20 patients, with the reason; with 25, the correlated pair only', () => {
    const me = [n(99, 'odi', 30), n(99, 'nrs_leg', 4), n(99, 'rmdq', 8)];
    const few = associations(me, cohort(19));
    expect(few.edges).toEqual([]);
    expect(few.note).toBe(
      "No association edges: the site's cohort has 19 patients with a feature graph; at least 20 with both features are needed (Spearman's ρ, |ρ| ≥ 0.3).",
    );
    const many = associations(me, cohort(25));
    const pairs = many.edges.map((e) => `${e.source}~${e.target}`);
    expect(pairs).toEqual(['99:odi~99:rmdq']);
    expect(many.edges[0]!.weight).toBe(1);
    expect(many.edges[0]!.type).toBe('association');
  });
});

/**
 * The patient's feature graph (issue 23 §2; MS-DT's inference level): every
 * acquisition's features as nodes — value, unit, modality, scale (the seed's
 * macro/meso/micro), anatomical site and level, visit, algorithm and version —
 * and typed edges between them:
 *
 * - `same-level`: features of one visit and of different modalities at the
 *   same vertebral level, a disc (L4-L5) meeting both its vertebrae (L4 disc
 *   height ↔ L4 paraspinal sEMG);
 * - `same-site`: features of one visit of the same muscle and side (one sEMG
 *   channel's amplitude and spectrum);
 * - `derived-from`: a feature computed from others (a bilateral symmetry index
 *   from the left and right channels' values at its level);
 * - `same-modality`: within a visit and modality, the same measurement at
 *   successive levels or channels, and the first of each measurement chained,
 *   so every modality is one connected piece without a clique;
 * - `longitudinal`: the same feature (name, level, channel) at successive
 *   visits, weighted by the change;
 * - `association`: Spearman's ρ between two features over the site's cohort
 *   (each patient's latest value), when at least ASSOCIATION_MIN_PATIENTS
 *   patients have both and |ρ| ≥ ASSOCIATION_MIN_RHO.
 */
import type { MotionSessionDetail } from '../motion/contract.js';
import type { Feature } from '../twins/contract.js';
import type { FeatureEdge, FeatureGraph, FeatureModality, FeatureNode, FeatureScale, PromResponse, Visit } from './contract.js';
import type { EnteredVisit, TwinSource } from './repo.js';

export const GRAPH_ALGORITHM_VERSION = '1.0.0';
export const ASSOCIATION_MIN_PATIENTS = 20;
export const ASSOCIATION_MIN_RHO = 0.3;

export interface SpineSource {
  twinId: string;
  twinVersion: number;
  analysisId: string;
  analysisVersion: number;
  features: Feature[];
}

export interface GraphInputs {
  patientId: string;
  birthDate: string | null;
  entered: EnteredVisit[];
  twins: TwinSource[];
  spine: SpineSource[];
  motion: MotionSessionDetail[];
  proms: PromResponse[];
  clinical: { visitDate: string; name: string; value: number; createdBy: string }[];
}

const VERTEBRA = /^(C|T|L|S)(\d{1,2})$/;

/** The vertebrae a level names: 'L4' → [L4]; 'L4-L5' → [L4, L5]; a Cobb range 'T10-L2' → its two end vertebrae. */
export function levelVertebrae(level: string): string[] {
  if (!level) return [];
  return level.split('-').filter((p) => VERTEBRA.test(p));
}

function spineScale(full: string): FeatureScale {
  const name = full.replace(/^spine\./, '');
  if (name.startsWith('trabecular_hu')) return 'micro';
  if (name.startsWith('cobb') || name === 'lumbar_lordosis' || name.includes('kyphosis') || name.includes('pelvic') || name.includes('sacral')) return 'macro';
  return 'meso';
}

function motionModality(name: string): FeatureModality {
  if (name.startsWith('imu.')) return 'IMU';
  if (name.startsWith('depth.')) return 'depth';
  return 'sEMG';
}

function motionScale(name: string): FeatureScale {
  if (name.startsWith('imu.') || name.startsWith('depth.')) return 'macro';
  // spectral features follow the muscle fibres' conduction velocity (tissue); amplitude and symmetry the muscle
  if (/^emg\.(mnf|mdf)/.test(name)) return 'micro';
  return 'meso';
}

const LABELS: Record<string, string> = {
  body_volume: 'Body volume',
  skin_area: 'Skin area',
  bone_volume: 'Bone volume',
  trabecular_hu_mean: 'Trabecular HU (mean)',
  trabecular_hu_median: 'Trabecular HU (median)',
  disc_height_anterior: 'Disc height (anterior)',
  disc_height_middle: 'Disc height (middle)',
  disc_height_posterior: 'Disc height (posterior)',
  disc_height_mean_ap: 'Disc height (mean AP)',
  cobb_coronal: 'Cobb angle (coronal)',
  cobb_sagittal: 'Cobb angle (sagittal)',
  cobb_max_plane: 'Cobb angle (plane of maximum curvature)',
  lumbar_lordosis: 'Lumbar lordosis',
  'emg.iemg': 'sEMG IEMG',
  'emg.rms': 'sEMG RMS',
  'emg.mnf': 'sEMG mean frequency',
  'emg.mdf': 'sEMG median frequency',
  'emg.mdf_slope': 'sEMG MDF slope (fatigue)',
  odi: 'Oswestry Disability Index',
  rmdq: 'Roland-Morris Disability Questionnaire',
  nrs_back: 'Back pain NRS',
  nrs_leg: 'Leg pain NRS',
  srs22r: 'SRS-22r (mean of items 1–20)',
  risser: 'Risser grade',
  cobb_manual: 'Cobb angle (manual, radiograph)',
  age_years: 'Age',
};

/** A feature's name for people: "Disc height (mean AP)", else the name with its separators as spaces. */
export function featureLabel(name: string): string {
  const bare = name.replace(/^spine\./, '');
  const known = LABELS[bare];
  if (known) return known;
  const words = bare.replace(/^(emg|imu|depth)\./, (m) => `${m === 'emg.' ? 'sEMG' : m.slice(0, -1).toUpperCase()} `).replace(/[._]/g, ' ');
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/** Feature name of a form's score node: 'nrs-back' → 'nrs_back'. */
export function promFeatureName(instrument: string): string {
  return instrument.replace('-', '_');
}

function ageAt(birth: string, day: string): number {
  const b = new Date(`${birth}T00:00:00Z`).getTime();
  const d = new Date(`${day}T00:00:00Z`).getTime();
  return (d - b) / (365.2425 * 86400e3);
}

/**
 * Builds the patient's visits and the graph's nodes and edges (not the cohort's association edges: `addAssociations`).
 * @param inputs the patient's records (visit days ISO 8601)
 * @returns visits oldest first; nodes; edges; node ids are stable for unchanged inputs
 */
export function buildPatientGraph(inputs: GraphInputs): { visits: Visit[]; nodes: FeatureNode[]; edges: FeatureEdge[] } {
  const visitMap = new Map<string, Visit>();
  const visitOf = (day: string, label = ''): Visit => {
    let v = visitMap.get(day);
    if (!v) {
      v = { id: `visit:${inputs.patientId}:${day}`, patientId: inputs.patientId, visitDate: day, label, derived: true, acquisitions: [] };
      visitMap.set(day, v);
    }
    if (label && !v.label) v.label = label;
    return v;
  };
  for (const e of inputs.entered) {
    const v = visitOf(e.visitDate, e.label);
    v.derived = false;
    if (e.label) v.label = e.label;
  }
  const nodes: FeatureNode[] = [];
  const edges: FeatureEdge[] = [];
  const add = (n: Omit<FeatureNode, 'visitId' | 'label' | 'flags'> & { label?: string; flags?: string[] }): FeatureNode => {
    const v = visitOf(n.visitDate);
    const node: FeatureNode = { ...n, flags: n.flags ?? [], label: n.label ?? `${featureLabel(n.name)}${n.level ? ` ${n.level}` : ''}`, visitId: v.id };
    nodes.push(node);
    return node;
  };

  const twinDay = new Map<string, string>();
  for (const t of inputs.twins) {
    twinDay.set(t.twinId, t.visitDate);
    const v = visitOf(t.visitDate);
    v.acquisitions.push({ kind: 'twin', id: t.twinId, description: `${t.modality} twin v${t.version}${t.studyDescription ? ` (${t.studyDescription})` : ''}` });
    const modality: FeatureModality = t.modality === 'MR' ? 'MR' : 'CT';
    for (const f of t.features)
      add({
        id: `twin:${t.twinId}:${f.name}:${f.level ?? ''}`,
        name: f.name,
        value: f.value,
        unit: f.unit,
        modality,
        scale: f.name.startsWith('bone_hu') ? 'micro' : 'macro',
        site: f.name.startsWith('bone') ? 'skeleton' : 'body',
        level: f.level ?? '',
        side: '',
        visitDate: t.visitDate,
        algorithm: f.algorithm,
        algorithmVersion: f.algorithmVersion,
        source: { kind: 'twin', id: t.twinId },
      });
  }
  for (const s of inputs.spine) {
    const day = twinDay.get(s.twinId);
    if (!day) continue;
    const twin = inputs.twins.find((t) => t.twinId === s.twinId)!;
    visitOf(day).acquisitions.push({ kind: 'spine', id: s.analysisId, description: `spine analysis v${s.analysisVersion} of twin v${s.twinVersion}` });
    for (const f of s.features)
      add({
        id: `spine:${s.analysisId}:${f.name}:${f.level ?? ''}`,
        name: f.name,
        value: f.value,
        unit: f.unit,
        modality: twin.modality === 'MR' ? 'MR' : 'CT',
        scale: spineScale(f.name),
        site: /^spine\.(disc|intervertebral)/.test(f.name) ? 'disc' : /trabecular|body|genant/.test(f.name) ? 'vertebral body' : 'spine',
        level: f.level ?? '',
        side: '',
        visitDate: day,
        algorithm: f.algorithm,
        algorithmVersion: f.algorithmVersion,
        source: { kind: 'spine', id: s.analysisId },
      });
  }
  for (const m of inputs.motion) {
    visitOf(m.visitDate, m.visitLabel).acquisitions.push({ kind: 'motion', id: m.id, description: `${m.format} trial ${m.fileName}` });
    const here: FeatureNode[] = [];
    for (const f of m.features)
      here.push(
        add({
          id: `motion:${m.id}:${f.name}:${f.channel}`,
          label: `${featureLabel(f.name)} ${[f.muscle, f.side, f.level].filter(Boolean).join(' ') || f.channel}`,
          name: f.name,
          value: f.value,
          unit: f.unit,
          modality: motionModality(f.name),
          scale: motionScale(f.name),
          // the muscle, else the channel itself (so that two channels are never taken for one site)
          site: f.muscle || f.channel,
          level: f.level,
          side: f.side,
          visitDate: m.visitDate,
          algorithm: f.algorithm,
          algorithmVersion: f.algorithmVersion,
          flags: f.flags,
          source: { kind: 'motion', id: m.id },
        }),
      );
    // a symmetry index is derived from the left and right channels' feature at its level
    for (const sym of here.filter((n) => /^emg\.symmetry_/.test(n.name))) {
      const base = `emg.${sym.name.slice('emg.symmetry_'.length)}`;
      for (const src of here.filter((n) => n.name === base && n.level === sym.level && (n.side === 'left' || n.side === 'right')))
        edges.push({ source: src.id, target: sym.id, type: 'derived-from', weight: null, detail: `${sym.label} from ${src.label}` });
    }
  }
  for (const p of inputs.proms) {
    visitOf(p.visitDate).acquisitions.push({ kind: 'prom', id: p.id, description: `${p.instrument.toUpperCase()} form` });
    const base = promFeatureName(p.instrument);
    const promNode = (name: string, value: number, label?: string): FeatureNode =>
      add({
        id: `prom:${p.id}:${name}:`,
        ...(label ? { label } : {}),
        name,
        value,
        unit: p.score.unit,
        modality: 'PROM',
        scale: 'macro',
        site: 'patient',
        level: '',
        side: '',
        visitDate: p.visitDate,
        algorithm: `${p.instrument} scoring`,
        algorithmVersion: p.score.algorithmVersion,
        source: { kind: 'prom', id: p.id },
      });
    const total = promNode(base, p.score.total);
    for (const [domain, value] of Object.entries(p.score.domains)) {
      if (value === null) continue;
      const d = promNode(`${base}.${domain}`, value, `${featureLabel(base).split(' (')[0]} ${domain}`);
      edges.push({ source: d.id, target: total.id, type: 'same-site', weight: null, detail: 'domain and total of one form' });
    }
  }
  for (const c of inputs.clinical) {
    visitOf(c.visitDate).acquisitions.push({
      kind: 'clinical',
      id: `${c.visitDate}:${c.name}`,
      description: `${featureLabel(c.name)} entered by ${c.createdBy}`,
    });
    add({
      id: `clinical:${c.visitDate}:${c.name}:`,
      name: c.name,
      value: c.value,
      unit: c.name === 'risser' ? 'grade' : c.name === 'cobb_manual' ? 'deg' : 'years',
      modality: 'clinical',
      scale: 'macro',
      site: c.name === 'risser' ? 'iliac apophysis' : c.name === 'cobb_manual' ? 'spine' : 'patient',
      level: '',
      side: '',
      visitDate: c.visitDate,
      algorithm: 'clinician entry',
      algorithmVersion: '1',
      source: { kind: 'clinical', id: `${c.visitDate}:${c.name}` },
    });
  }
  // the age at each visit, from the birth date (unless entered)
  if (inputs.birthDate)
    for (const v of visitMap.values())
      if (!nodes.some((n) => n.visitId === v.id && n.name === 'age_years'))
        add({
          id: `clinical:${v.visitDate}:age_years:`,
          name: 'age_years',
          value: Math.round(ageAt(inputs.birthDate, v.visitDate) * 10) / 10,
          unit: 'years',
          modality: 'clinical',
          scale: 'macro',
          site: 'patient',
          level: '',
          side: '',
          visitDate: v.visitDate,
          algorithm: 'age from the birth date',
          algorithmVersion: '1',
          source: { kind: 'clinical', id: `${v.visitDate}:age_years` },
        });

  edges.push(...structuralEdges(nodes));
  const visits = [...visitMap.values()].sort((a, b) => a.visitDate.localeCompare(b.visitDate));
  return { visits, nodes, edges };
}

function levelOrder(level: string): number {
  const m = VERTEBRA.exec(levelVertebrae(level)[0] ?? '');
  if (!m) return 1e6;
  return { C: 0, T: 100, L: 200, S: 300 }[m[1] as 'C' | 'T' | 'L' | 'S'] + Number(m[2]);
}

/** Same-level, same-site, same-modality and longitudinal edges among nodes (derived-from edges are made where the nodes are). */
export function structuralEdges(nodes: FeatureNode[]): FeatureEdge[] {
  const edges: FeatureEdge[] = [];
  const byVisit = new Map<string, FeatureNode[]>();
  for (const n of nodes) byVisit.set(n.visitId, [...(byVisit.get(n.visitId) ?? []), n]);
  for (const vn of byVisit.values()) {
    // same level: nodes of the visit sharing a vertebra (a disc meets its two vertebrae); a Cobb range's ends are not its levels
    const byVertebra = new Map<string, FeatureNode[]>();
    for (const n of vn) {
      if (/^spine\.(cobb|lumbar_lordosis|thoracic_kyphosis)/.test(n.name)) continue;
      for (const v of levelVertebrae(n.level)) byVertebra.set(v, [...(byVertebra.get(v) ?? []), n]);
    }
    const seen = new Set<string>();
    for (const [vert, group] of byVertebra)
      for (let i = 0; i < group.length; i++)
        for (let j = i + 1; j < group.length; j++) {
          const a = group[i]!;
          const b = group[j]!;
          // within a modality the levels are chained (same-modality); across modalities every pair at a vertebra
          if (a.modality === b.modality) continue;
          const key = a.id < b.id ? `${a.id}|${b.id}` : `${b.id}|${a.id}`;
          if (seen.has(key)) continue;
          seen.add(key);
          edges.push({ source: a.id, target: b.id, type: 'same-level', weight: null, detail: `both at ${vert}` });
        }
    // same site: one muscle and side (one sEMG channel, one IMU pair)
    const bySite = new Map<string, FeatureNode[]>();
    for (const n of vn)
      if (n.modality === 'sEMG' || n.modality === 'IMU' || n.modality === 'depth') {
        const k = `${n.modality}|${n.site}|${n.side}|${n.level}`;
        bySite.set(k, [...(bySite.get(k) ?? []), n]);
      }
    for (const group of bySite.values())
      for (let i = 1; i < group.length; i++)
        edges.push({ source: group[0]!.id, target: group[i]!.id, type: 'same-site', weight: null, detail: `${group[0]!.site} ${group[0]!.side}`.trim() });
    // same modality: a chain along the levels of each measurement, and the measurements' first nodes chained
    const byModality = new Map<string, FeatureNode[]>();
    for (const n of vn) byModality.set(n.modality, [...(byModality.get(n.modality) ?? []), n]);
    for (const [modality, group] of byModality) {
      const byName = new Map<string, FeatureNode[]>();
      for (const n of group) byName.set(n.name, [...(byName.get(n.name) ?? []), n]);
      const heads: FeatureNode[] = [];
      for (const list of byName.values()) {
        list.sort((a, b) => levelOrder(a.level) - levelOrder(b.level) || a.id.localeCompare(b.id));
        heads.push(list[0]!);
        for (let i = 1; i < list.length; i++)
          edges.push({
            source: list[i - 1]!.id,
            target: list[i]!.id,
            type: 'same-modality',
            weight: null,
            detail: `${modality}: ${list[i]!.name} along the levels`,
          });
      }
      for (let i = 1; i < heads.length; i++)
        edges.push({ source: heads[i - 1]!.id, target: heads[i]!.id, type: 'same-modality', weight: null, detail: `${modality}` });
    }
  }
  // longitudinal: the same feature at successive visits
  const series = new Map<string, FeatureNode[]>();
  for (const n of nodes) {
    if (n.value === null) continue;
    const k = trendKey(n);
    series.set(k, [...(series.get(k) ?? []), n]);
  }
  for (const list of series.values()) {
    list.sort((a, b) => a.visitDate.localeCompare(b.visitDate));
    for (let i = 1; i < list.length; i++) {
      const a = list[i - 1]!;
      const b = list[i]!;
      if (a.visitDate === b.visitDate) continue;
      edges.push({ source: a.id, target: b.id, type: 'longitudinal', weight: b.value! - a.value!, detail: `${a.visitDate} → ${b.visitDate}` });
    }
  }
  return edges;
}

/**
 * The level a feature is followed at over visits: its level, except for curvature measures (Cobb angles, lordosis,
 * kyphosis), whose "level" is the curve's end vertebrae — they may change between visits while the curve is the same.
 */
export function trendLevel(n: Pick<FeatureNode, 'name' | 'level'>): string {
  return /^spine\.(cobb|lumbar_lordosis|thoracic_kyphosis)/.test(n.name) ? '' : n.level;
}

/** What makes two nodes "the same feature" across visits: name, level (`trendLevel`), muscle and side. */
export function trendKey(n: Pick<FeatureNode, 'name' | 'level' | 'site' | 'side'>): string {
  return `${n.name}|${trendLevel(n)}|${n.site}|${n.side}`;
}

function ranks(v: number[]): number[] {
  const idx = v.map((x, i) => [x, i] as const).sort((a, b) => a[0] - b[0]);
  const r = new Array<number>(v.length);
  for (let i = 0; i < idx.length;) {
    let j = i;
    while (j + 1 < idx.length && idx[j + 1]![0] === idx[i]![0]) j++;
    for (let k = i; k <= j; k++) r[idx[k]![1]] = (i + j) / 2 + 1;
    i = j + 1;
  }
  return r;
}

/** Spearman's rank correlation (average ranks for ties); NaN when either side is constant. */
export function spearman(x: number[], y: number[]): number {
  const rx = ranks(x);
  const ry = ranks(y);
  const n = x.length;
  const mx = rx.reduce((a, b) => a + b, 0) / n;
  const my = ry.reduce((a, b) => a + b, 0) / n;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    sxy += (rx[i]! - mx) * (ry[i]! - my);
    sxx += (rx[i]! - mx) ** 2;
    syy += (ry[i]! - my) ** 2;
  }
  return sxy / Math.sqrt(sxx * syy);
}

/**
 * Association edges between the patient's latest nodes of two features whose values correlate over the site's cohort
 * (each patient's latest value of each feature; Spearman's ρ; at least ASSOCIATION_MIN_PATIENTS patients with both;
 * |ρ| ≥ ASSOCIATION_MIN_RHO).
 * @returns the edges and a sentence on what the cohort allowed
 */
export function associations(patientNodes: FeatureNode[], cohort: FeatureNode[][]): { edges: FeatureEdge[]; note: string } {
  const latestOf = (nodes: FeatureNode[]): Map<string, FeatureNode> => {
    const m = new Map<string, FeatureNode>();
    for (const n of nodes) {
      if (n.value === null || !Number.isFinite(n.value)) continue;
      const k = trendKey(n);
      const cur = m.get(k);
      if (!cur || cur.visitDate < n.visitDate) m.set(k, n);
    }
    return m;
  };
  const mine = latestOf(patientNodes);
  const others = cohort.map(latestOf);
  const patients = others.length;
  if (patients < ASSOCIATION_MIN_PATIENTS)
    return {
      edges: [],
      note: `No association edges: the site's cohort has ${patients} patient${patients === 1 ? '' : 's'} with a feature graph; at least ${ASSOCIATION_MIN_PATIENTS} with both features are needed (Spearman's ρ, |ρ| ≥ ${ASSOCIATION_MIN_RHO}).`,
    };
  const keys = [...mine.keys()];
  const edges: FeatureEdge[] = [];
  for (let i = 0; i < keys.length; i++)
    for (let j = i + 1; j < keys.length; j++) {
      const x: number[] = [];
      const y: number[] = [];
      for (const o of others) {
        const a = o.get(keys[i]!);
        const b = o.get(keys[j]!);
        if (a && b) {
          x.push(a.value!);
          y.push(b.value!);
        }
      }
      if (x.length < ASSOCIATION_MIN_PATIENTS) continue;
      const rho = spearman(x, y);
      if (!Number.isFinite(rho) || Math.abs(rho) < ASSOCIATION_MIN_RHO) continue;
      const a = mine.get(keys[i]!)!;
      const b = mine.get(keys[j]!)!;
      edges.push({ source: a.id, target: b.id, type: 'association', weight: rho, detail: `Spearman ρ ${rho.toFixed(2)} over ${x.length} patients` });
    }
  return {
    edges,
    note: `Association edges from the site's cohort of ${patients} patients (Spearman's ρ, |ρ| ≥ ${ASSOCIATION_MIN_RHO}, at least ${ASSOCIATION_MIN_PATIENTS} patients with both features): ${edges.length}.`,
  };
}

/** The nodes (and edges among them) a filter keeps. */
export function filterGraph(
  g: FeatureGraph,
  f: { modality?: FeatureModality | undefined; level?: string | undefined; visitId?: string | undefined },
): FeatureGraph {
  const keep = g.nodes.filter(
    (n) =>
      (!f.modality || n.modality === f.modality) &&
      (!f.visitId || n.visitId === f.visitId) &&
      (!f.level || n.level === f.level || levelVertebrae(n.level).includes(f.level)),
  );
  const ids = new Set(keep.map((n) => n.id));
  return { ...g, nodes: keep, edges: g.edges.filter((e) => ids.has(e.source) && ids.has(e.target)) };
}

/**
 * The risk models the site holds: the shipped files `models/risk/*.json`
 * (read where the enhancement models are: `resolveModelsDir`, beside the asar
 * when packaged; each parsed by `RiskModelFile`, its SHA-256 kept) and the
 * site's refits (migration 0016). The inputs of a model are read from the
 * patient's feature graph at a day (each feature's latest value on or before
 * it, reduced over levels and sides as the model says; a value its acquisition
 * flagged — a flat or saturated sEMG channel — is left out).
 */
import fs from 'node:fs';
import path from 'node:path';
import { AppError } from '../../electron/contract/errors.js';
import { sha256 } from '../../electron/db/files.js';
import type { TwinStore } from '../../electron/db/store.js';
import { resolveModelsDir } from '../../electron/enhance/manifest.js';
import { RiskModelFile, type FeatureModality, type FeatureNode, type RiskModelEntry } from './contract.js';
import { listSiteModels } from './repo.js';

/** The folder of the shipped risk models (`ORTHOTWIN_MODELS_DIR`/risk, else the app's models/risk). */
export function riskModelsDir(): string {
  return path.join(resolveModelsDir(), 'risk');
}

/**
 * The shipped risk model files, sorted by id.
 * @throws AppError BAD_REQUEST naming the file when one is not JSON or not a risk model file (a broken install)
 */
export function shippedModels(dir: string = riskModelsDir()): { key: string; model: RiskModelFile; sha256: string; file: string }[] {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => {
      const file = path.join(dir, f);
      const bytes = fs.readFileSync(file);
      let json: unknown;
      try {
        json = JSON.parse(bytes.toString('utf8'));
      } catch (e) {
        throw new AppError('BAD_REQUEST', `${file}: the risk model is not JSON (${(e as Error).message})`);
      }
      const parsed = RiskModelFile.safeParse(json);
      if (!parsed.success)
        throw new AppError('BAD_REQUEST', `${file}: not a risk model file (${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')})`);
      return { key: `${parsed.data.id}@${parsed.data.version}`, model: parsed.data, sha256: sha256(bytes), file };
    });
}

/** Every model the site holds: the shipped ones, then the site's fits. */
export function modelEntries(store: TwinStore): RiskModelEntry[] {
  const shipped = shippedModels().map((s): RiskModelEntry => ({
    key: s.key,
    model: s.model,
    origin: 'shipped',
    baseKey: null,
    state: 'available',
    approvedBy: null,
    approvedAt: null,
    sha256: s.sha256,
  }));
  const site = listSiteModels(store).map((m): RiskModelEntry => ({
    key: m.key,
    model: m.model,
    origin: 'site-fit',
    baseKey: m.baseKey,
    state: m.state,
    approvedBy: m.approvedBy,
    approvedAt: m.approvedAt,
    sha256: m.sha256,
  }));
  return [...shipped, ...site];
}

export type ModelInputs = Record<string, { value: number; nodeId: string | null; modality: FeatureModality | null; visitDate: string } | undefined>;

/**
 * A model's inputs from graph nodes: for each input, the nodes of its feature (or, when the input's own feature was
 * not measured at that visit, of its `also` features, in their order) at the latest visit on or before `day` that
 * measured any of them — so a radiograph's Cobb angle is preferred to the CT's on the day both exist, and an older
 * value is used only when nothing newer exists (its day is in the result) — restricted to the input's level and
 * sites, without flagged values, reduced over levels and sides as the input says.
 * @param day ISO day; null = all visits
 */
export function inputsFromNodes(model: RiskModelFile, nodes: FeatureNode[], day: string | null): ModelInputs {
  const out: ModelInputs = {};
  for (const input of model.inputs) {
    const names = [input.from.feature, ...input.from.also];
    const cands = nodes.filter(
      (n) =>
        names.includes(n.name) &&
        n.value !== null &&
        Number.isFinite(n.value) &&
        n.flags.length === 0 &&
        (input.from.level === undefined || n.level === input.from.level) &&
        (!input.from.sites || input.from.sites.includes(n.site)) &&
        (day === null || n.visitDate <= day),
    );
    if (cands.length === 0) continue;
    const latest = cands.reduce((d, n) => (n.visitDate > d ? n.visitDate : d), '');
    const atDay = cands.filter((n) => n.visitDate === latest);
    const name = names.find((x) => atDay.some((n) => n.name === x))!;
    const pool = atDay.filter((n) => n.name === name).sort((a, b) => a.id.localeCompare(b.id));
    let pick: FeatureNode = pool[0]!;
    let value = pick.value!;
    switch (input.from.reduce) {
      case 'max':
        for (const c of pool) if (c.value! > value) [pick, value] = [c, c.value!];
        break;
      case 'min':
        for (const c of pool) if (c.value! < value) [pick, value] = [c, c.value!];
        break;
      case 'max-abs':
        value = Math.abs(value);
        for (const c of pool) if (Math.abs(c.value!) > value) [pick, value] = [c, Math.abs(c.value!)];
        break;
      case 'mean':
        value = pool.reduce((s, c) => s + c.value!, 0) / pool.length;
        break;
      case 'first':
        break;
    }
    out[input.name] = { value, nodeId: pick.id, modality: pick.modality, visitDate: latest };
  }
  return out;
}

/**
 * Why a patient is outside a model's population by its eligibility rules (the latest value of each feature on or
 * before `day`), or null; a rule whose feature is unknown is listed in `unchecked`.
 */
export function eligibilityOf(model: RiskModelFile, nodes: FeatureNode[], day: string | null): { outside: string | null; unchecked: string[] } {
  const reasons: string[] = [];
  const unchecked: string[] = [];
  for (const rule of model.eligibility) {
    const latest = nodes
      .filter((n) => n.name === rule.feature && n.value !== null && (day === null || n.visitDate <= day))
      .sort((a, b) => b.visitDate.localeCompare(a.visitDate))[0];
    if (!latest) {
      unchecked.push(`${rule.feature} unknown (${rule.reason})`);
      continue;
    }
    const v = latest.value!;
    if ((rule.min !== null && v < rule.min) || (rule.max !== null && v >= rule.max))
      reasons.push(`${latest.label} ${Number(v.toFixed(1))} ${latest.unit}: the model is ${rule.reason}`);
  }
  return { outside: reasons.length ? `No probability: ${reasons.join('; ')}.` : null, unchecked };
}

/**
 * `npm run twin -- risk --data-dir D --patient ID [--store-key-file K] [--json]`:
 * the patient's risk under the site's primary model (an approved site fit,
 * else the expert prior) and every other model in use, with contributions and
 * advice. `--patient` takes the patient's record id or its ID (MRN).
 *
 * JSON: `{"model": {...}, "probability", "interval": [lo, hi], "contributions":
 * [{"feature", "value", "logOdds", "source"}], "advice": [...], "others": [...]}`.
 */
import { cliFailure } from '../../electron/platform/capability.js';
import { AppError } from '../../electron/contract/errors.js';
import { resolveDataDir } from '../../electron/services/dataDir.js';
import { createServices, type ServiceHost } from '../../electron/services/index.js';
import { fileKeyStore } from '../../electron/services/storeKey.js';
import path from 'node:path';
import type { RiskResult } from './contract.js';
import { overviewOf } from './index.js';

const USAGE = 'usage: twin risk --data-dir D --patient ID [--store-key-file K] [--json]';

function resolvePatient(host: ServiceHost, ref: string): string {
  const byId = host.store.db.prepare('SELECT id FROM patients WHERE id = ?').pluck().get(ref) as string | undefined;
  if (byId) return byId;
  const byMrn = host.store.db.prepare('SELECT id FROM patients WHERE lower(trim(mrn)) = lower(trim(?)) AND trashed_at IS NULL').pluck().all(ref) as string[];
  if (byMrn.length === 1) return byMrn[0]!;
  if (byMrn.length > 1) throw new AppError('CONFLICT', `several patients have the ID ${ref}: give the record id`);
  throw new AppError('NOT_FOUND', `no patient with the record id or ID ${ref} in ${host.store.dataDir}`);
}

function line(r: RiskResult): string {
  const pct = (p: number): string => `${(100 * p).toFixed(1)} %`;
  return `${r.model.title} (${r.model.key}, ${r.model.status}): ${pct(r.probability)} [${pct(r.interval[0])}, ${pct(r.interval[1])}]`;
}

/** @returns 0 done, 1 failed (the message says why), 2 bad usage */
export async function runRisk(argv: string[]): Promise<number> {
  let patient: string | null = null;
  let json = false;
  let keyFile: string | null = null;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--json') json = true;
    else if (a === '--patient') patient = argv[++i] ?? null;
    else if (a === '--store-key-file') keyFile = argv[++i] ?? null;
    else if (a === '--data-dir') i++;
    else if (a.startsWith('--data-dir=')) continue;
    else {
      console.error(`unknown argument ${a}\n${USAGE}`);
      return 2;
    }
  }
  if (!patient) {
    console.error(USAGE);
    return 2;
  }
  let host: ServiceHost | null = null;
  try {
    host = createServices({
      dataDir: resolveDataDir(argv),
      transport: 'cli',
      actor: 'cli',
      ...(keyFile ? { keyStore: fileKeyStore(path.resolve(keyFile)) } : {}),
    });
    const o = overviewOf(host.store, resolvePatient(host, patient));
    const primary = o.risks.find((r) => r.model.approved) ?? o.risks.find((r) => r.model.status === 'expert-prior') ?? o.risks[0];
    if (!primary) throw new AppError('NOT_FOUND', 'no risk model is installed (models/risk is empty)');
    const out = {
      model: primary.model,
      probability: primary.probability,
      interval: primary.interval,
      intervalMethod: primary.intervalMethod,
      logit: primary.logit,
      contributions: primary.contributions.map((c) => ({
        feature: c.feature,
        label: c.label,
        value: c.value,
        unit: c.unit,
        logOdds: c.logOdds,
        source: c.source,
        imputed: c.imputed,
      })),
      missing: primary.missing,
      outOfRange: primary.outOfRange,
      horizons: primary.horizons,
      statement: primary.statement,
      advice: o.advice,
      others: o.risks.filter((r) => r !== primary),
      graph: { version: o.graph.version, nodes: o.graph.nodes.length, edges: o.graph.edges.length, visits: o.graph.visits.length },
    };
    if (json) process.stdout.write(JSON.stringify(out, null, 2) + '\n');
    else {
      console.log(line(primary));
      for (const c of primary.contributions)
        console.log(`  ${c.label}: ${c.logOdds >= 0 ? '+' : ''}${c.logOdds.toFixed(3)}${c.imputed ? ' (missing: reference)' : ''}`);
      console.log(`  ${primary.statement}`);
      for (const r of out.others) console.log(line(r));
      for (const a of o.advice) console.log(`advice: ${a.text} (${a.citation})`);
    }
    return 0;
  } catch (e) {
    return cliFailure(e, json);
  } finally {
    host?.close();
  }
}

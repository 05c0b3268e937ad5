/**
 * `npm run twin -- pacs echo|find|retrieve|send` against a site-policy node
 * (`--node NAME`) or one given ad hoc (`--host H --port P --aet AET
 * [--dicomweb URL] [--tls]`), with `--local-aet`/`--store-port`/`--timeout`
 * overriding the policy's `pacsLocal`:
 *
 *   pacs echo
 *   pacs find [--level study|series] [--patient-name N] [--patient-id I] [--date YYYYMMDD[-YYYYMMDD]] [--modality M] [--description D] [--study UID] [--qido]
 *   pacs retrieve --study UID [--series UID] [--via c-move|c-get|wado-rs] [--patient ID] [--expected N] [--build-twin]
 *   pacs send (--series-id ID | FILE...) [--via c-store|stow-rs]
 *
 * Exit 0 done, 1 failed (the message names the PACS and the fault), 2 bad usage.
 */
import { cliFailure } from '../../electron/platform/capability.js';
import path from 'node:path';
import { resolveDataDir } from '../../electron/services/dataDir.js';
import { createServices, type ServiceHost } from '../../electron/services/index.js';
import { loadSitePolicy } from '../../electron/services/policy.js';
import { fileKeyStore } from '../../electron/services/storeKey.js';
import type { PacsNode } from './contract.js';

const USAGE = `usage: twin pacs echo|find|retrieve|send (--node NAME | --host H --port P --aet AET [--dicomweb URL] [--tls]) [--local-aet A] [--store-port P] [--timeout S] [--data-dir D] [--store-key-file K] [--json]
  find     [--level study|series] [--patient-name N] [--patient-id I] [--date YYYYMMDD[-YYYYMMDD]] [--modality M] [--description D] [--study UID] [--qido]
  retrieve --study UID [--series UID] [--via c-move|c-get|wado-rs] [--patient ID] [--expected N] [--build-twin]
  send     (--series-id ID | FILE...) [--via c-store|stow-rs]`;

/** @returns 0 done, 1 failed, 2 bad usage */
export async function runPacs(argv: string[]): Promise<number> {
  const [verb, ...rest] = argv;
  const bad = (why: string): number => {
    console.error(`${why}\n${USAGE}`);
    return 2;
  };
  if (!verb || !['echo', 'find', 'retrieve', 'send'].includes(verb)) return bad(verb ? `unknown pacs command "${verb}"` : 'missing the pacs command');
  const opt: Record<string, string> = {};
  const flags = new Set<string>();
  const files: string[] = [];
  const valued = new Set([
    '--node',
    '--host',
    '--port',
    '--aet',
    '--dicomweb',
    '--local-aet',
    '--store-port',
    '--timeout',
    '--data-dir',
    '--store-key-file',
    '--level',
    '--patient-name',
    '--patient-id',
    '--date',
    '--modality',
    '--description',
    '--study',
    '--series',
    '--via',
    '--patient',
    '--expected',
    '--series-id',
  ]);
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i]!;
    if (valued.has(a)) {
      const v = rest[++i];
      if (v === undefined) return bad(`${a} needs a value`);
      opt[a] = v;
    } else if (['--json', '--tls', '--qido', '--build-twin'].includes(a)) flags.add(a);
    else if (a.startsWith('--')) return bad(`unknown option ${a}`);
    else files.push(a);
  }
  const json = flags.has('--json');
  let node: string | PacsNode;
  if (opt['--node']) node = opt['--node'];
  else if (opt['--host'] && opt['--port'] && opt['--aet'])
    node = {
      name: `${opt['--aet']}@${opt['--host']}:${opt['--port']}`,
      aet: opt['--aet'],
      host: opt['--host'],
      port: Number(opt['--port']),
      tls: flags.has('--tls'),
      ...(opt['--dicomweb'] ? { dicomWebUrl: opt['--dicomweb'] } : {}),
    };
  else return bad('give --node NAME, or --host, --port and --aet');
  let host: ServiceHost | null = null;
  try {
    const policy = loadSitePolicy();
    const local = {
      aet: opt['--local-aet'] ?? policy.pacsLocal.aet,
      storePort: opt['--store-port'] ? Number(opt['--store-port']) : policy.pacsLocal.storePort,
      timeoutSeconds: opt['--timeout'] ? Number(opt['--timeout']) : policy.pacsLocal.timeoutSeconds,
    };
    const keyFile = opt['--store-key-file'];
    host = createServices({
      dataDir: resolveDataDir(argv),
      transport: 'cli',
      actor: 'cli',
      policy: { ...policy, pacsLocal: local },
      ...(keyFile ? { keyStore: fileKeyStore(path.resolve(keyFile)) } : {}),
    });
    const pacs = host.impl.pacs;
    let out: unknown;
    if (verb === 'echo') {
      const r = await pacs.echo(node);
      out = r;
      if (!json) console.log(`C-ECHO ${r.node}: ok in ${r.ms} ms`);
    } else if (verb === 'find') {
      const level = (opt['--level'] ?? 'study') as 'study' | 'series';
      const q = {
        ...(opt['--patient-name'] ? { patientName: opt['--patient-name'] } : {}),
        ...(opt['--patient-id'] ? { patientId: opt['--patient-id'] } : {}),
        ...(opt['--date'] ? { studyDate: opt['--date'] } : {}),
        ...(opt['--modality'] ? { modality: opt['--modality'] } : {}),
        ...(opt['--description'] ? { studyDescription: opt['--description'] } : {}),
        ...(opt['--study'] ? { studyUid: opt['--study'] } : {}),
      };
      const hits = await pacs.find(node, q, level, flags.has('--qido') ? 'qido-rs' : 'c-find');
      out = hits;
      if (!json)
        for (const h of hits)
          console.log(
            [
              h.patientName,
              h.patientId,
              h.studyDate,
              h.modality,
              h.studyDescription,
              h.studyUid,
              h.seriesUid ?? '',
              h.seriesDescription ?? '',
              `${h.instances ?? '?'} instances`,
            ]
              .filter((x) => x !== '')
              .join(' | '),
          );
    } else if (verb === 'retrieve') {
      if (!opt['--study']) return bad('retrieve needs --study UID');
      const jobId = await pacs.retrieve(node, {
        studyUid: opt['--study'],
        ...(opt['--series'] ? { seriesUid: opt['--series'] } : {}),
        via: (opt['--via'] ?? 'c-move') as 'c-move' | 'c-get' | 'wado-rs',
        ...(opt['--patient'] ? { patientId: opt['--patient'] } : {}),
        ...(opt['--expected'] ? { expectedInstances: Number(opt['--expected']) } : {}),
        buildTwin: flags.has('--build-twin'),
      });

      const outcome = await host.jobs.wait(jobId);
      if (outcome.job.status !== 'done') throw Object.assign(new Error(outcome.job.error?.message ?? outcome.job.status), { code: outcome.job.error?.code });
      out = { jobId, seriesId: outcome.job.resultId, retrieve: outcome.details['retrieve'] ?? null };
      const s = outcome.details['retrieve'] as { fetched: number; retrieveMs: number; instancesPerSecond: number } | undefined;
      const last = s ? `${s.fetched} instances fetched in ${s.retrieveMs} ms (${s.instancesPerSecond} instances/s)` : '';
      if (!json) console.log(`retrieved study ${opt['--study']} into series ${outcome.job.resultId ?? '-'}: ${last}`);
    } else {
      const via = (opt['--via'] ?? 'c-store') as 'c-store' | 'stow-rs';
      const r = await pacs.send(node, opt['--series-id'] ? { via, seriesId: opt['--series-id'] } : { via, files });
      out = r;
      if (!json) console.log(`sent ${r.sent} instances to ${r.node} by ${r.via} in ${r.ms} ms`);
    }
    if (json) process.stdout.write(JSON.stringify(out, null, 2) + '\n');
    return 0;
  } catch (e) {
    return cliFailure(e, json);
  } finally {
    host?.close();
  }
}

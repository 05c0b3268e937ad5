/**
 * worker_threads entry point: one job per worker (cancel = terminate). Looks
 * the job's kind up in the capabilities' job definitions, validates its
 * request, runs it, and sends progress, outputs, then `done` or `error`
 * (JobWorkerProtocol). Outputs that carry files were staged (fsynced) into
 * the job's staging folder; the parent commits them. Never loads the store.
 */
import path from 'node:path';
import { parentPort, workerData } from 'node:worker_threads';
import { AppError, toErrorShape } from '../contract/errors.js';
import { sha256, writeFileDurable } from '../db/files.js';
import type { WorkerEnvelope, WorkerSide, WorkerStart } from '../platform/job.js';
import { jobDefinition } from '../platform/registry.js';

const post = (event: WorkerEnvelope['event'], payload: unknown): void => parentPort?.postMessage({ event, payload } satisfies WorkerEnvelope);

const side: WorkerSide<unknown> = {
  progress: (fraction, stage) => post('progress', { fraction, stage }),
  result: (out) => post('result', out),
  stage: (dir, name, data) => {
    const p = path.join(dir, name);
    writeFileDurable(p, data);
    return { stagedPath: p, bytes: data.byteLength, sha256: sha256(data) };
  },
};

async function run(start: WorkerStart): Promise<void> {
  const def = jobDefinition(start.kind);
  const req = def.request.safeParse(start.request);
  if (!req.success)
    throw new AppError('BAD_REQUEST', `invalid ${def.title} request: ${req.error.issues.map((i) => `${i.path.join('.')} ${i.message}`).join('; ')}`);
  await def.run(req.data, side);
}

run(workerData as WorkerStart).then(
  () => post('done', {}),
  (e: unknown) => post('error', toErrorShape(e)),
);

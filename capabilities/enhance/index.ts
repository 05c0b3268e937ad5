/**
 * The ultrasound enhancement capability (issue 22): the ONNX models of
 * `models/manifest.json` (electron/enhance: manifest, SHA-256 check,
 * onnxruntime-node), `enhance.models` (their entries, file check and cards),
 * `enhance.enhanceVolume` (a job enhancing a stored 8-bit ultrasound volume
 * into a new series) and `twin enhance` (PNG images and PLUS sequences).
 */
import fs from 'node:fs';
import path from 'node:path';
import { AppError } from '../../electron/contract/errors.js';
import { checkModels, resolveModelsDir } from '../../electron/enhance/manifest.js';
import { defineCapability } from '../../electron/platform/capability.js';
import { getSeriesSource, getVolume } from '../studies/repo.js';
import { EnhanceService, EnhanceVolumeRequest, type EnhanceModelStatus } from './contract.js';
import { enhanceVolumeJob } from './jobs.js';

/** Every model of the manifest in the folder: entry, file check (SHA-256, without loading) and card text. @throws EnhanceError when the manifest itself is missing or invalid */
export function modelStatuses(modelsDir: string = resolveModelsDir()): EnhanceModelStatus[] {
  return checkModels(modelsDir).map((c) => {
    const cardPath = path.join(modelsDir, c.info.card);
    const card = fs.existsSync(cardPath) ? fs.readFileSync(cardPath, 'utf8') : null;
    return { info: c.info, ok: c.ok, problem: c.problem ?? null, card, cardPath };
  });
}

export default defineCapability(
  {
    name: 'enhance',
    title: 'Ultrasound enhancement',
    version: '0.1.0',
    services: [EnhanceService],
    jobs: [enhanceVolumeJob],
    cli: [
      {
        name: 'enhance',
        usage:
          'twin enhance <image.png|sequence.igs.mha|sequence.igs.nrrd> --model <denoise|sr2> --out <image.png|sequence.igs.mha|sequence.igs.nrrd> [--threads N] [--json]',
        run: async (argv) => (await import('./cliEnhance.js')).runEnhance(argv),
      },
    ],
  },
  ({ store, jobs }) => ({
    enhance: {
      models: () => modelStatuses(),
      enhanceVolume: (r) => {
        const req = EnhanceVolumeRequest.parse(r);
        const vol = getVolume(store, req.volumeId);
        if (vol.modality !== 'US') throw new AppError('BAD_REQUEST', `volume ${req.volumeId} is ${vol.modality}; the enhancement models take ultrasound`);
        if (vol.voxelType !== 'uint8')
          throw new AppError('BAD_REQUEST', `volume ${req.volumeId} holds ${vol.voxelType} voxels; the enhancement models take 8-bit ultrasound`);
        const modelsDir = resolveModelsDir();
        // the manifest's files checked by their hashes (again at load, in the job worker); no card is read here
        const status = checkModels(modelsDir).find((m) => m.info.name === req.model);
        if (!status) throw new AppError('NOT_FOUND', `no enhancement model named ${req.model} in ${path.join(modelsDir, 'manifest.json')}`);
        if (!status.ok) throw new AppError('COMPUTE_FAILED', status.problem ?? `model ${req.model} cannot be used`);
        const series = getSeriesSource(store, vol.seriesId);
        return jobs.start(enhanceVolumeJob, {
          payload: { volumeId: req.volumeId, model: req.model },
          context: { patientId: vol.patientId },
          request: (stagingDir) => ({
            volumePath: path.join(store.dataDir, vol.relPath),
            fileKey: store.fileKey?.toString('hex') ?? null,
            modelsDir,
            model: req.model,
            sourceDescription: series.description,
            nominalGeometry: vol.nominalGeometry,
            stagingDir,
          }),
        }).id;
      },
    },
  }),
);

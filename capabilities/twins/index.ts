/**
 * The twins capability: the anatomical twin of a CT or MR volume, built in a
 * worker (jobs.ts), versioned per patient (repo.ts), with the `twin build`
 * and `twin spine` CLI (cli.ts).
 */
import path from 'node:path';
import { defineCapability } from '../../electron/platform/capability.js';
import { TwinParams, TwinsService } from './contract.js';
import { getTwin, listTwins, markDefaultTwin } from './repo.js';
import { assertTwinModality, twinBuildJob } from './jobs.js';
import { getVolume } from '../studies/repo.js';

export default defineCapability(
  {
    name: 'twins',
    title: 'Anatomical twin',
    version: '1.0.0',
    services: [TwinsService],
    jobs: [twinBuildJob],
    cli: [
      {
        name: 'build',
        usage: 'twin build <study path> [--data-dir D] [--store-key-file K] [--json] [--patient NAME] [--series UID] [--lenient] [--modality CT|MR|US]',
        run: async (argv) => (await import('./cli.js')).runBuild(argv, false),
      },
      {
        name: 'spine',
        usage: 'twin spine <study path> [--data-dir D] [--store-key-file K] [--json] [--patient NAME] [--series UID] [--lenient] [--modality CT|MR|US]',
        run: async (argv) => (await import('./cli.js')).runBuild(argv, true),
      },
    ],
  },
  ({ store, jobs, actor }) => ({
    twins: {
      build: (volumeId, partial) => {
        const vol = getVolume(store, volumeId);
        assertTwinModality(vol.modality);
        const params = TwinParams.parse(partial);
        const context = { patientId: vol.patientId, volumeId, seriesId: vol.seriesId, params };
        return jobs.start(twinBuildJob, {
          payload: { volumeId },
          context,
          request: (stagingDir) => ({
            volumePath: path.join(store.dataDir, vol.relPath),
            modality: vol.modality as 'CT' | 'MR',
            params,
            stagingDir,
            fileKey: store.fileKey?.toString('hex') ?? null,
          }),
        }).id;
      },
      get: (id) => getTwin(store, id),
      list: (patientId) => listTwins(store, patientId),
      markDefault: (id) => markDefaultTwin(store, id, actor()),
    },
  }),
);

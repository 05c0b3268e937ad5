/**
 * The annotations capability: a twin's measurements and annotations from the
 * 2D views (ruler, angle, Cobb, ROI, text), kept with the twin (repo.ts,
 * migration 0012), drawn and edited by the planning view.
 */
import { defineCapability } from '../../electron/platform/capability.js';
import { getTwin } from '../twins/repo.js';
import { AnnotationsService } from './contract.js';
import { getAnnotations, saveAnnotations } from './repo.js';
import * as m0012 from './migrations/0012-annotations.js';

export default defineCapability(
  {
    name: 'annotations',
    title: 'Measurements and annotations',
    version: '0.1.0',
    services: [AnnotationsService],
    jobs: [],
    migrations: [{ version: 12, name: m0012.name, sql: m0012.sql }],
  },
  ({ store, actor }) => ({
    annotations: {
      get: (twinId) => {
        getTwin(store, twinId);
        return getAnnotations(store, twinId);
      },
      save: (twinId, baseRevision, annotations) => {
        getTwin(store, twinId);
        return saveAnnotations(store, twinId, baseRevision, annotations, actor());
      },
    },
  }),
);

/**
 * The system capability: the workstation's identity for the UI (version,
 * transport, data directory, example data, store encryption) and the store
 * key rotation.
 */
import { AppError } from '../../electron/contract/errors.js';
import { defineCapability } from '../../electron/platform/capability.js';
import { newStoreKey } from '../../electron/services/storeKey.js';
import { sampleImu, sampleRecordings, sampleStudies, sampleTrials } from '../../electron/services/samples.js';
import { appPackage } from '../../electron/platform/appInfo.js';
import { SystemService } from './contract.js';

export default defineCapability(
  {
    name: 'system',
    title: 'System',
    version: '1.0.0',
    services: [SystemService],
  },
  ({ store, keyStore, transport, actor }) => ({
    system: {
      info: () => {
        const samples = sampleStudies();
        return {
          version: appPackage().version,
          dataDir: store.dataDir,
          transport,
          dataAvailable: samples.length > 0,
          sampleStudies: samples,
          sampleRecordings: sampleRecordings(),
          sampleImu: sampleImu(),
          sampleTrials: sampleTrials(),
          storeEncrypted: keyStore !== null,
        };
      },
      rotateStoreKey: () => {
        if (!keyStore)
          throw new AppError('BAD_REQUEST', 'the twin store is not encrypted: start OrthoTwin with a key store (the OS keystore, or --store-key-file) first');
        const key = newStoreKey();
        store.rekey(key, actor());
        keyStore.save(key);
        return { encrypted: true, keyStore: keyStore.description };
      },
    },
  }),
);

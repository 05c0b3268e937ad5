import { defineConfig } from 'vitest/config';

/**
 * Suites that measure live rates and timing (the NDI stream, the device host,
 * the depth camera, session recording) run after the others, one file at a
 * time: on the 2-core CI machine a CPU-heavy neighbour (e.g. the depth
 * simulator rendering 30 fps) would otherwise starve the stream they measure.
 */
const TIMING = [
  'tests/integration/ndiAurora.test.ts',
  'tests/integration/deviceHost.test.ts',
  'tests/integration/igtlDevice.test.ts',
  'tests/integration/recording.test.ts',
  'native-bridges/devices/emg-imu-picox/protocol.test.ts',
  'tests/integration/picoxDevice.test.ts',
  'tests/integration/c3dReplayDevice.test.ts',
];

export default defineConfig({
  // also transform CommonJS TypeScript (.cts: the sandboxed preload)
  oxc: { include: /\.(c|m)?tsx?$/ },
  test: {
    environment: 'node',
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: [
            'electron/**/*.test.ts',
            'native-bridges/**/*.test.ts',
            'math/**/*.test.ts',
            'capabilities/**/*.test.ts',
            'renderer/**/*.test.ts',
            'tests/integration/**/*.test.ts',
          ],
          exclude: TIMING,
          sequence: { groupOrder: 0 },
        },
      },
      { extends: true, test: { name: 'timing', include: TIMING, fileParallelism: false, sequence: { groupOrder: 1 } } },
    ],
  },
});

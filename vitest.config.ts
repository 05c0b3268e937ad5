import { defineConfig } from 'vitest/config';

export default defineConfig({
  // also transform CommonJS TypeScript (.cts: the sandboxed preload)
  oxc: { include: /\.(c|m)?tsx?$/ },
  test: {
    include: ['electron/**/*.test.ts', 'native-bridges/**/*.test.ts', 'renderer/**/*.test.ts', 'tests/integration/**/*.test.ts'],
    environment: 'node',
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
  },
});

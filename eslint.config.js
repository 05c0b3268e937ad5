// Lint zones (architecture guide §2): the renderer may import only the
// contract from electron/; services, engine and workers never import electron;
// the engine does no I/O; the contract is runtime-neutral.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/** What the renderer and the capabilities' UI may import: the contract, capabilities' contracts and UI, shared math, the pure native-bridges/core. */
const RENDERER_IMPORTS = [
  { regex: '^(\\.\\./)+electron/(?!contract/)', message: 'the renderer may import only electron/contract' },
  { regex: '^(\\.\\./)+capabilities/[^/]+/(?!contract\\.js$|ui/)', message: "the renderer may import a capability's contract.ts and ui/ only" },
  { regex: '^(\\.\\./)+native-bridges/(?!core/)', message: 'the renderer may import only the pure native-bridges/core' },
  { regex: '^node:', message: 'no Node modules in the renderer' },
  { regex: '^electron$', message: 'the renderer never imports electron' },
];

export default tseslint.config(
  {
    ignores: [
      'dist/**',
      'dist-renderer/**',
      'release/**',
      'release-meta/**',
      'node_modules/**',
      'tools/*/node_modules/**',
      'test-results/**',
      'scratch/**',
      'electron/workers/tsx-bootstrap.mjs',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-sequences': 'off',
      '@typescript-eslint/no-unused-expressions': 'off',
    },
  },
  {
    // header values are quoted digit for digit as the files store them
    files: ['**/*.test.ts', 'tests/**/*.ts'],
    rules: { 'no-loss-of-precision': 'off' },
  },
  {
    // the renderer and the capabilities' UI folders: the contract, shared math and the pure native-bridges/core only
    files: ['renderer/**/*.{ts,tsx}', 'capabilities/*/ui/**/*.{ts,tsx}'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [...RENDERER_IMPORTS],
        },
      ],
    },
  },
  {
    // a capability's UI imports its own contract, never its services (index, repo, jobs, CLI)
    files: ['capabilities/*/ui/*.{ts,tsx}'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            ...RENDERER_IMPORTS,
            { regex: '^\\.\\./(?!contract\\.js$)[^/]+\\.js$', message: "a capability's UI may import its contract.ts, not its services" },
          ],
        },
      ],
    },
  },
  {
    // a capability's contract is runtime-neutral like electron/contract: zod, the contract machinery, shared math and other capabilities' contracts
    files: ['capabilities/*/contract.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: ['electron'],
          patterns: [
            { regex: '^node:', message: 'contracts are pure: no I/O, no Node modules' },
            {
              regex: '^\\.\\./\\.\\./(?!electron/contract/|math/|capabilities/[^/]+/contract\\.js$)',
              message: 'a contract imports only electron/contract, math and other contracts',
            },
            { regex: '^\\.\\./(?!\\.\\./)(?![^/]+/contract\\.js$)', message: "a contract imports only other capabilities' contracts" },
            { regex: '^\\./(?!contract)', message: "a contract does not import its capability's services" },
          ],
        },
      ],
    },
  },
  {
    // a capability's services, repository, jobs and CLI: never electron, never the renderer
    files: ['capabilities/*.ts', 'capabilities/*/*.ts', 'capabilities/*/migrations/*.ts'],
    ignores: ['capabilities/*/contract.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [{ name: 'electron', message: 'services and below never import electron (browser mode and the CLI run them without it)' }],
          patterns: [{ regex: '^(\\.\\./)+renderer/|^\\./ui/', message: 'services never import the renderer' }],
        },
      ],
    },
  },
  {
    files: [
      'electron/services/**/*.ts',
      'electron/engine/**/*.ts',
      'electron/workers/**/*.ts',
      'electron/db/**/*.ts',
      'electron/io/**/*.ts',
      'electron/host/**/*.ts',
      'electron/cli/**/*.ts',
      'electron/contract/**/*.ts',
      'electron/enhance/**/*.ts',
    ],
    rules: {
      'no-restricted-imports': [
        'error',
        { paths: [{ name: 'electron', message: 'services and below never import electron (browser mode and the CLI run them without it)' }] },
      ],
    },
  },
  {
    // device framing, protocol and state machines are pure (architecture guide §6): bytes in, frames out
    files: [
      'native-bridges/core/**/*.ts',
      'native-bridges/devices/*/framing.ts',
      'native-bridges/devices/*/protocol.ts',
      'native-bridges/devices/*/machine.ts',
      'native-bridges/devices/*/codec/**/*.ts',
    ],
    ignores: ['**/*.test.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: ['electron'],
          patterns: [
            { regex: '^node:', message: 'framing, protocol and machines are pure: no I/O, no Node modules' },
            { regex: '^(\\.\\./)+(electron|renderer)/', message: 'native-bridges sits below the app: it may import shared math (math/) and itself only' },
          ],
        },
      ],
    },
  },
  {
    // shared math (4×4 transforms, pose interpolation, geometry, image statistics, binning, uncertainty): the bottom layer, imports nothing of the project above it
    files: ['math/**/*.ts'],
    ignores: ['**/*.test.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: ['electron'],
          patterns: [
            { regex: '^node:', message: 'shared math is pure: no I/O, no Node modules' },
            { regex: '^\\.\\./', message: 'shared math imports nothing above it (only ./ siblings)' },
          ],
        },
      ],
    },
  },
  {
    // native-bridges: device drivers and recordings; they import shared math downwards, never the app (electron/) or the renderer
    files: ['native-bridges/**/*.ts'],
    ignores: [
      '**/*.test.ts',
      'native-bridges/core/**/*.ts',
      'native-bridges/devices/*/framing.ts',
      'native-bridges/devices/*/protocol.ts',
      'native-bridges/devices/*/machine.ts',
      'native-bridges/devices/*/codec/**/*.ts',
    ],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [{ name: 'electron', message: 'drivers run in the device host, never in Electron main' }],
          patterns: [
            { regex: '^(\\.\\./)+(electron|renderer)/', message: 'native-bridges sits below the app: it may import shared math (math/) and itself only' },
          ],
        },
      ],
    },
  },
  {
    files: ['electron/engine/**/*.ts', 'electron/contract/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: ['electron'],
          patterns: [
            { regex: '^node:', message: 'engine and contract are pure: no I/O, no Node modules' },
            { regex: '^(\\.\\./)+native-bridges/', message: 'engine and contract import shared math (math/), never the device layer above them' },
          ],
        },
      ],
    },
  },
);

// Two projects: `unit` (pure, no network) and `integration` (real Kafka, Postgres and Redis).
const transform = {
  '^.+\\.(t|j)sx?$': [
    '@swc/jest',
    {
      jsc: {
        parser: { syntax: 'typescript', tsx: true },
        target: 'es2022',
        transform: { react: { runtime: 'automatic' } },
      },
      module: { type: 'commonjs' },
    },
  ],
};
const common = {
  transform,
  testEnvironment: 'node',
  // @middy/core is ESM-only; let swc turn it into CommonJS like our own code.
  transformIgnorePatterns: ['/node_modules/(?!(@middy|openid-client|oauth4webapi|jose|oidc-provider)/)'],
  setupFiles: ['<rootDir>/test/setup-env.ts'],
  modulePathIgnorePatterns: ['<rootDir>/cdk.out', '<rootDir>/frontend/dist', '<rootDir>/.cache'],
};

/** @type {import('jest').Config} */
module.exports = {
  testTimeout: 90_000,
  // Two workers on 2 cores: the integration files mostly wait on Kafka, Postgres and Redis. The chaos suite runs alone
  // and last (test/run-alone-environment.ts, test/sequencer.js).
  maxWorkers: 2,
  testSequencer: '<rootDir>/test/sequencer.js',
  projects: [
    {
      ...common,
      displayName: 'unit',
      testMatch: ['<rootDir>/**/*.test.ts'],
      testPathIgnorePatterns: ['/node_modules/', '\\.integration\\.test\\.ts$'],
    },
    {
      ...common,
      displayName: 'integration',
      testMatch: ['<rootDir>/**/*.integration.test.ts'],
      testPathIgnorePatterns: ['/node_modules/'],
      globalSetup: '<rootDir>/test/global-setup.ts',
      globalTeardown: '<rootDir>/test/global-teardown.ts',
      testEnvironment: '<rootDir>/test/run-alone-environment.ts',
    },
  ],
};

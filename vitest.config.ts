import { configDefaults, defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    environment: 'node',
    // One PostgreSQL for the run; each test file makes its own database from a template.
    globalSetup: ['tests/setup/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 120_000,
    // Child processes, not worker threads: isolated-vm and native addons are safest there.
    pool: 'forks',
    // isolated-vm needs this on Node 20+ (the npm test script also sets it in NODE_OPTIONS).
    execArgv: ['--no-node-snapshot'],
    exclude: [...configDefaults.exclude, '.data/**'],
  },
});

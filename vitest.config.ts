import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 300_000,
    // The closing "N passed, N failed" line of .ci/run is computed from this file.
    reporters: ['default', ['json', { outputFile: '.test-results/vitest.json' }]],
    pool: 'forks',
  },
});

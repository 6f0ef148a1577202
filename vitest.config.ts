import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // One temporary directory per run (TMPDIR), removed at the end: tests leave no scratch files behind.
    globalSetup: ['test/tmp-root.ts'],
    // .ci/run reads this JSON summary to fail on skipped tests and print the closing counts.
    reporters: process.env.RUNWARDEN_VITEST_JSON === undefined ? ['default'] : ['default', 'json'],
    outputFile: process.env.RUNWARDEN_VITEST_JSON === undefined ? undefined : { json: process.env.RUNWARDEN_VITEST_JSON },
  },
});

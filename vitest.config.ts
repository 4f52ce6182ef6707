import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/support/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Integration tests share 2 cores with influxd: run files one or two at a time.
    maxWorkers: 2,
    minWorkers: 1,
    dangerouslyIgnoreUnhandledErrors: false,
  },
});

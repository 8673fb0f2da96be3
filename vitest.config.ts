import { defineConfig } from 'vitest/config';

const integration = ['**/*.int.test.ts'];
const ignored = ['**/node_modules/**', 'charts/**'];

export default defineConfig({
  test: {
    // The digest repeats each failure's reason at the very end, where CI's kept tail shows it.
    reporters: ['default', './devkit/failure-digest.ts'],
    projects: [
      {
        test: {
          name: 'unit',
          include: ['**/*.test.ts'],
          exclude: [...ignored, ...integration],
        },
      },
      {
        test: {
          name: 'integration',
          include: integration,
          exclude: ignored,
          globalSetup: ['devkit/global-setup.ts'],
          // Suites share one broker, one search node and one database: run them one file at a time.
          fileParallelism: false,
          testTimeout: 120_000,
          hookTimeout: 300_000,
        },
      },
    ],
  },
});

import { defineConfig } from 'vitest/config';

// Three suites, as in hls.js: pure unit tests, functional tests of one stage with real tools
// (ffmpeg, a Temporal dev server, the OCI stand-in), and end-to-end runs of the whole pipeline.
export default defineConfig({
  test: {
    projects: [
      { extends: true, test: { name: 'unit', include: ['tests/unit/**/*.test.ts'] } },
      {
        extends: true,
        test: { name: 'functional', include: ['tests/functional/**/*.test.ts'], testTimeout: 120_000, hookTimeout: 120_000 },
      },
      {
        extends: true,
        test: {
          name: 'e2e',
          include: ['tests/e2e/**/*.test.ts'],
          testTimeout: 300_000,
          hookTimeout: 180_000,
          fileParallelism: false,
        },
      },
    ],
  },
});

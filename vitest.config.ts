import { defineConfig } from 'vitest/config';

const functional = { testTimeout: 120_000, hookTimeout: 120_000 };
const OCI_FUNCTIONAL = 'tests/functional/oci/**/*.test.ts';

// Three suites, as in hls.js: pure unit tests, functional tests of one stage with real tools
// (ffmpeg, a Temporal dev server, the OCI stand-in), and end-to-end runs of the whole pipeline.
export default defineConfig({
  test: {
    reporters: ['default', './tests/reporters/slowest.ts'],
    // Two files at a time (vitest's default on two cores is one): most functional and e2e files wait on a
    // Temporal server, a timer, a browser or a child process rather than on the CPU. Every e2e file starts
    // its own stack on free ports in its own data dir, so two can share the machine.
    maxWorkers: 2,
    projects: [
      { extends: true, test: { name: 'unit', include: ['tests/unit/**/*.test.ts'] } },
      { extends: true, test: { name: 'functional', include: ['tests/functional/**/*.test.ts'], exclude: [OCI_FUNCTIONAL], ...functional } },
      // The OCI adapters in a zone far from UTC: oci-common formats dates with local-time getters, so
      // a zone offset makes any such slip visible at every hour, not only between 00:00 and 09:59 UTC.
      { extends: true, test: { name: 'functional-oci', include: [OCI_FUNCTIONAL], env: { TZ: 'Asia/Kolkata' }, ...functional } },
      {
        extends: true,
        test: {
          name: 'e2e',
          include: ['tests/e2e/**/*.test.ts'],
          testTimeout: 300_000,
          hookTimeout: 180_000,
        },
      },
      // Images built and run with podman (npm run test:images): run on their own after the rest, since a
      // cold build (base image, ffmpeg, npm ci) takes minutes of both cores.
      { extends: true, test: { name: 'images', include: ['tests/images/**/*.test.ts'], testTimeout: 600_000, hookTimeout: 1_200_000 } },
    ],
  },
});

// Static checks of the two images (no Docker engine here): pinned Debian bookworm + Node 20 bases,
// Debian's ffmpeg, non-root user, exec-form entrypoints that exist in the repository, nothing piped
// from the network into a shell, and build contexts that contain what the COPY lines need.
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { transcoderArgs } from '../../../src/activities/jobs.js';
import { baseImages, entrypoint, included, readDockerfile, type Instruction } from './dockerfile.js';

const images = {
  transcoder: 'transcoder-image/Dockerfile',
  worker: 'worker-image/Dockerfile',
} as const;

const runLines = (ins: Instruction[]) => ins.filter((i) => i.keyword === 'RUN').map((i) => i.args);

describe.each(Object.entries(images))('%s image', (_name, path) => {
  const ins = readDockerfile(path);

  it('builds on a pinned Debian bookworm Node 20 image', () => {
    const bases = baseImages(ins);
    expect(bases.length).toBeGreaterThan(0);
    for (const image of bases) {
      expect(image).toMatch(/^node:20[\w.-]*-bookworm-slim$/);
      expect(image).not.toMatch(/:latest$/);
    }
  });

  it("installs Debian's ffmpeg without recommends and cleans the apt lists", () => {
    const install = runLines(ins).find((r) => r.includes('apt-get install'));
    expect(install).toMatch(/--no-install-recommends/);
    expect(install).toMatch(/\bffmpeg\b/);
    expect(install).toMatch(/rm -rf \/var\/lib\/apt\/lists/);
  });

  it('runs as a non-root user', () => {
    const user = ins.filter((i) => i.keyword === 'USER').at(-1)?.args;
    expect(user).toBeDefined();
    expect(['root', '0', '0:0']).not.toContain(user);
  });

  it('downloads nothing into a shell, and installs npm packages exactly as locked', () => {
    for (const run of runLines(ins)) {
      expect(run).not.toMatch(/(curl|wget)[^|]*\|\s*(ba|z)?sh\b/);
      if (run.includes('npm ')) expect(run).toMatch(/npm ci\b.*--omit=dev/);
    }
    expect(ins.some((i) => i.keyword === 'ADD' && /https?:/.test(i.args))).toBe(false);
  });

  it('copies only paths that exist and that its build context includes', () => {
    for (const copy of ins.filter((i) => i.keyword === 'COPY' && !i.args.startsWith('--from'))) {
      const sources = copy.args.split(/\s+/).slice(0, -1);
      for (const source of sources) {
        expect(existsSync(source), source).toBe(true);
        expect(included(`${path}.dockerignore`, source), `${source} in ${path}.dockerignore`).toBe(true);
      }
    }
    expect(included(`${path}.dockerignore`, 'node_modules/x')).toBe(false);
    expect(included(`${path}.dockerignore`, '.data/buckets/a')).toBe(false);
  });

  it('has an exec-form entrypoint behind tini, so SIGTERM reaches the process', () => {
    const entry = entrypoint(ins);
    expect(entry?.slice(0, 2)).toEqual(['/usr/bin/tini', '--']);
    expect(runLines(ins).find((r) => r.includes('apt-get install'))).toMatch(/\btini\b/);
  });
});

describe('entrypoints', () => {
  it('transcoder: the CLI, given the JobRunner arguments that start with its subcommand', () => {
    const ins = readDockerfile(images.transcoder);
    expect(entrypoint(ins)?.slice(2)).toEqual(['oci-transcode']);
    expect(runLines(ins).some((r) => r.includes('ln -s /app/bin/oci-transcode.js /usr/local/bin/oci-transcode'))).toBe(true);
    expect(existsSync('bin/oci-transcode.js')).toBe(true);
    const args = transcoderArgs(
      {
        source: { namespace: 'ns', bucket: 'media-in', object: 'a.mp4', etag: 'e' },
        dest: { bucket: 'media-out' },
        plan: { jobs: [] } as never,
        jobId: 'job-0',
      },
      'ns',
    );
    expect(args[0]).toBe('transcode');
  });

  it('worker: the worker main module through tsx', () => {
    const entry = entrypoint(readDockerfile(images.worker));
    expect(entry?.slice(2)).toEqual(['node', '--import', 'tsx', '/app/src/worker/main.ts']);
    expect(existsSync('src/worker/main.ts')).toBe(true);
  });
});

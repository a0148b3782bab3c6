// Static checks of the images (tests/images/ builds and runs them with podman): Debian bookworm + Node 20
// bases behind the NODE_IMAGE build argument, Debian's ffmpeg, non-root users, exec-form entrypoints that
// exist in the repository, nothing piped from the network into a shell, npm's CA only as a build secret,
// and build contexts that contain what the COPY lines need.
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { transcoderArgs } from '../../../src/activities/jobs.js';
import { baseImages, entrypoint, included, readDockerfile, type Instruction } from './dockerfile.js';

const images = {
  transcoder: 'transcoder-image/Dockerfile',
  worker: 'worker-image/Dockerfile',
} as const;

const STARTER = 'src/starter-fn/Dockerfile';

const runLines = (ins: Instruction[]) => ins.filter((i) => i.keyword === 'RUN').map((i) => i.args);
const fromLines = (ins: Instruction[]) => ins.filter((i) => i.keyword === 'FROM').map((i) => i.args.split(/\s+/)[0]);
const fromIndexes = (ins: Instruction[]) => ins.flatMap((i, n) => (i.keyword === 'FROM' ? [n] : []));
/** Instructions of the first build stage (from its FROM up to the next). */
const firstStage = (ins: Instruction[]) => ins.slice(fromIndexes(ins)[0], fromIndexes(ins)[1]);

describe.each([...Object.values(images), STARTER])('%s: base image', (path) => {
  const ins = readDockerfile(path);

  it('takes every stage from the NODE_IMAGE build argument, Docker Hub\'s node:20-bookworm-slim by default', () => {
    expect(ins.find((i) => i.keyword === 'ARG' && i.args.startsWith('NODE_IMAGE='))?.args).toBe('NODE_IMAGE=node:20-bookworm-slim');
    expect(ins.findIndex((i) => i.keyword === 'ARG')).toBeLessThan(ins.findIndex((i) => i.keyword === 'FROM'));
    expect(fromLines(ins).length).toBeGreaterThan(0);
    for (const from of fromLines(ins)) expect(from).toBe('${NODE_IMAGE}');
  });
});

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

  it("gives npm an extra CA only as the optional build secret build-ca, never in a layer or the image's ENV", () => {
    const npm = runLines(ins).find((r) => r.includes('npm ci'))!;
    expect(npm).toMatch(/^--mount=type=secret,id=build-ca\s/);
    expect(npm).toMatch(/if \[ -f \/run\/secrets\/build-ca \]; then export NODE_EXTRA_CA_CERTS=\/run\/secrets\/build-ca; fi/);
    for (const i of ins.filter((x) => ['COPY', 'ADD', 'ENV', 'ARG'].includes(x.keyword))) expect(i.args).not.toMatch(/secrets|\.crt\b|\.pem\b|EXTRA_CA/);
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

describe('shared layers', () => {
  it('the transcoder and worker install dependencies identically, so one build reuses the other\'s layers', () => {
    const [transcoder, worker] = [readDockerfile(images.transcoder), readDockerfile(images.worker)];
    expect(firstStage(transcoder).length).toBeGreaterThan(2);
    expect(firstStage(worker)).toEqual(firstStage(transcoder));
    const runtimeStart = (ins: Instruction[]) => ins.slice(fromIndexes(ins)[1], ins.findIndex((i) => i.keyword === 'COPY' && i.args === 'src ./src') + 1);
    expect(runtimeStart(worker)).toEqual(runtimeStart(transcoder));
    expect(readFileSync(`${images.worker}.dockerignore`, 'utf8')).toBe(readFileSync(`${images.transcoder}.dockerignore`, 'utf8'));
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

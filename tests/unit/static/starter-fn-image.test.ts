// `npm run build:fn` makes a folder `fn deploy` can build. fnproject/cli's rules (langs/node.go,
// common.go): with `runtime: docker` it builds the folder's Dockerfile and fails without one; with
// `runtime: node` and a package.json but no node_modules it generates `RUN npm install` plus a COPY of
// node_modules, which fails for a bundle without dependencies (npm creates no node_modules for it).
// tests/images/ builds this folder's image the same way and runs it under the FDK contract.
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildFunction } from '../../../scripts/build-fn.js';
import { baseImages, entrypoint, readDockerfile } from './dockerfile.js';

let tmp: string;
let dir: string;

beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'build-fn-'));
  dir = (await buildFunction(join(tmp, 'starter-fn/'))).dir;
});
afterAll(() => rm(tmp, { recursive: true, force: true }));

/** What `fn deploy` would do with the folder, by its own rules: the Dockerfile it builds, or why it fails. */
function fnBuildPlan(folder: string): { dockerfile: string } | { fails: string } {
  const func = parse(readFileSync(join(folder, 'func.yaml'), 'utf8')) as { runtime?: string };
  const has = (name: string) => existsSync(join(folder, name));
  if (func.runtime === 'docker') return has('Dockerfile') ? { dockerfile: join(folder, 'Dockerfile') } : { fails: "Dockerfile does not exist for 'docker' runtime" };
  if (func.runtime?.startsWith('node') && has('package.json') && !has('node_modules')) {
    return { fails: 'generated Dockerfile: RUN npm install leaves no node_modules, COPY --from=build-stage /function/node_modules/ fails' };
  }
  return { fails: `runtime ${func.runtime}: fn generates a Dockerfile we neither ship nor test` };
}

describe('npm run build:fn output, as fn deploy sees it', () => {
  it('is a runtime: docker function whose Dockerfile fn builds as it is', () => {
    const plan = fnBuildPlan(dir);
    expect(plan).toEqual({ dockerfile: join(dir, 'Dockerfile') });
    expect(readFileSync(join(dir, 'Dockerfile'), 'utf8')).toBe(readFileSync('src/starter-fn/Dockerfile', 'utf8'));
  });

  it('has every file the Dockerfile copies, and an entrypoint that runs the bundle with the FDK', () => {
    const ins = readDockerfile(join(dir, 'Dockerfile'));
    const copies = ins.filter((i) => i.keyword === 'COPY');
    expect(copies.length).toBeGreaterThan(0);
    for (const copy of copies) for (const source of copy.args.split(/\s+/).slice(0, -1)) expect(existsSync(join(dir, source)), source).toBe(true);
    expect(ins.some((i) => i.keyword === 'RUN')).toBe(false); // nothing to install: the bundle is self-contained
    expect(entrypoint(ins)).toEqual(['node', 'func.js']);
    expect(readFileSync(join(dir, 'func.js'), 'utf8')).toContain('FN_LISTENER');
  });

  it('runs as uid 1000, the user OCI Functions starts every function container with', () => {
    const ins = readDockerfile(join(dir, 'Dockerfile'));
    expect(ins.filter((i) => i.keyword === 'USER').at(-1)?.args).toBe('1000:1000');
    expect(baseImages(ins)).toEqual(['node:20-bookworm-slim']);
  });

  it('keeps memory and timeout in func.yaml, with no entrypoint for fn to ignore', () => {
    const func = parse(readFileSync(join(dir, 'func.yaml'), 'utf8')) as Record<string, unknown>;
    expect(func).toMatchObject({ schema_version: 20180708, name: 'oci-transcode-starter', runtime: 'docker', memory: 256, timeout: 30 });
    expect(func).not.toHaveProperty('entrypoint');
  });
});

// `npm run images:base [-- --rebuild]`: a local stand-in for node:20-bookworm-slim, for machines that reach
// Debian's archive but no public image registry. Debian bookworm minbase from the mirror apt here already
// uses (debootstrap), slimmed as Debian's container images are, with this machine's Node 20 (node, npm,
// npx) under /usr/local and a `node` user (uid 1000), as in the official image. The Dockerfiles take it
// through their NODE_IMAGE build argument and install ffmpeg and tini themselves, as they do on Docker Hub's
// image. Cached: reused while its recipe (this file, the mirrors, the Node and npm versions) is unchanged.
import { createHash } from 'node:crypto';
import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { aptSources, debianSources, mirrorsFor, type SuiteMirrors } from './apt-sources.js';
import { engine, findEngine, inspectImage, runCommand } from './engine.js';

export const BASE_IMAGE = 'localhost/oci-transcode-base:bookworm-node20';
export const RECIPE_LABEL = 'org.oci-transcode.base.recipe';
const SUITE = 'bookworm';
const NODE_MAJOR = 20;
const PATH_VALUE = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

// What Debian's slim images leave out (their dpkg path excludes), so later installs stay lean too.
const DPKG_EXCLUDES = `path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/info/*
path-exclude /usr/share/locale/*
path-include /usr/share/locale/locale.alias
path-exclude /usr/share/lintian/*
`;

export interface HostNode {
  version: string;
  npmVersion: string;
  binary: string;
  npmDir: string;
}

/** The Node 20 this script runs on, and the npm beside it. */
export function hostNode(): HostNode {
  const version = process.versions.node;
  if (Number(version.split('.')[0]) !== NODE_MAJOR) throw new Error(`the base image copies this machine's Node ${NODE_MAJOR}; this is Node ${version}`);
  const binary = realpathSync(process.execPath);
  const npmDir = join(dirname(dirname(binary)), 'lib/node_modules/npm');
  if (!existsSync(join(npmDir, 'package.json'))) throw new Error(`no npm beside ${binary} (looked in ${npmDir})`);
  const npmVersion = (JSON.parse(readFileSync(join(npmDir, 'package.json'), 'utf8')) as { version: string }).version;
  return { version, npmVersion, binary, npmDir };
}

export function recipeHash(mirrors: SuiteMirrors, node: Pick<HostNode, 'version' | 'npmVersion'>): string {
  const script = readFileSync(fileURLToPath(import.meta.url), 'utf8');
  return createHash('sha256').update(JSON.stringify({ suite: SUITE, mirrors, node: node.version, npm: node.npmVersion, arch: process.arch, script })).digest('hex').slice(0, 16);
}

export interface BaseResult {
  image: string;
  built: boolean;
  ms: number;
  size: number;
  steps: Record<string, number>;
}

/** Runs a command in the new root with a clean environment (none of this machine's variables leak in). */
const inRoot = (root: string, args: string[]) => runCommand('chroot', [root, ...args], { env: { PATH: PATH_VALUE, LANG: 'C.UTF-8' } });

async function timed(steps: Record<string, number>, name: string, work: () => unknown): Promise<void> {
  const started = Date.now();
  await work();
  steps[name] = Date.now() - started;
}

/** Imports a root folder as an image: tar's stream straight into `podman import`. */
async function importRoot(root: string, tag: string, changes: string[]): Promise<void> {
  const tar = spawn('tar', ['-C', root, '--numeric-owner', '-c', '.'], { stdio: ['ignore', 'pipe', 'inherit'] });
  // 'exit', not 'close': tar's stdout belongs to podman now, so this side never sees it end.
  const tarExit = new Promise<number | null>((resolve) => tar.on('exit', resolve));
  const args = ['import', ...changes.flatMap((c) => ['--change', c]), '-', tag];
  const [, code] = await Promise.all([engine(args, { stdio: [tar.stdout, 'pipe', 'pipe'] }), tarExit]);
  if (code !== 0) throw new Error(`tar of ${root} failed (exit ${code})`);
}

export async function ensureBaseImage(options: { rebuild?: boolean; log?: (line: string) => void } = {}): Promise<BaseResult> {
  const log = options.log ?? ((line: string) => console.error(`[base-image] ${line}`));
  const started = Date.now();
  if (!findEngine()) throw new Error('no container engine: podman is not on PATH (bash scripts/setup.sh --images installs it)');
  const mirrors = mirrorsFor(SUITE, aptSources());
  const node = hostNode();
  const recipe = recipeHash(mirrors, node);
  const existing = await inspectImage(BASE_IMAGE);
  if (existing && existing.labels[RECIPE_LABEL] === recipe && !options.rebuild) {
    return { image: BASE_IMAGE, built: false, ms: Date.now() - started, size: existing.size, steps: {} };
  }
  for (const tool of ['debootstrap', 'chroot', 'tar']) {
    const found = await runCommand('sh', ['-c', 'command -v "$1"', 'sh', tool]).then(() => true, () => false);
    if (!found) throw new Error(`${tool} is needed to make the base image (bash scripts/setup.sh --images installs debootstrap)`);
  }
  log(`making ${BASE_IMAGE} (recipe ${recipe}): Debian ${SUITE} minbase + Node ${node.version}, npm ${node.npmVersion}`);
  const work = mkdtempSync(join(tmpdir(), 'oci-transcode-base-'));
  const root = join(work, 'root');
  const steps: Record<string, number> = {};
  try {
    await timed(steps, 'debootstrap', () => runCommand('debootstrap', ['--variant=minbase', '--components=main', SUITE, root, mirrors.main]));
    await timed(steps, 'configure', async () => {
      writeFileSync(join(root, 'etc/apt/sources.list'), '');
      writeFileSync(join(root, 'etc/apt/sources.list.d/debian.sources'), debianSources(SUITE, mirrors));
      writeFileSync(join(root, 'etc/dpkg/dpkg.cfg.d/slim-excludes'), DPKG_EXCLUDES);
      for (const dir of ['usr/share/man', 'usr/share/info', 'usr/share/lintian']) rmSync(join(root, dir), { recursive: true, force: true });
      await inRoot(root, ['find', '/usr/share/doc', '-mindepth', '1', '-not', '-name', 'copyright', '-not', '-type', 'd', '-delete']);
      await inRoot(root, ['find', '/usr/share/locale', '-mindepth', '1', '-maxdepth', '1', '-not', '-name', 'locale.alias', '-exec', 'rm', '-rf', '{}', '+']);
      // Node and npm where the official image has them.
      mkdirSync(join(root, 'usr/local/lib/node_modules'), { recursive: true });
      cpSync(node.binary, join(root, 'usr/local/bin/node'));
      cpSync(node.npmDir, join(root, 'usr/local/lib/node_modules/npm'), { recursive: true, verbatimSymlinks: true });
      symlinkSync('../lib/node_modules/npm/bin/npm-cli.js', join(root, 'usr/local/bin/npm'));
      symlinkSync('../lib/node_modules/npm/bin/npx-cli.js', join(root, 'usr/local/bin/npx'));
      await inRoot(root, ['groupadd', '--gid', '1000', 'node']);
      await inRoot(root, ['useradd', '--uid', '1000', '--gid', 'node', '--shell', '/bin/bash', '--create-home', 'node']);
      const versions = (await inRoot(root, ['sh', '-c', 'node --version && npm --version'])).stdout.trim().split('\n');
      if (versions[0] !== `v${node.version}` || versions[1] !== node.npmVersion) throw new Error(`node in the new root answers ${versions.join(', ')}`);
      for (const dir of ['var/lib/apt/lists', 'var/cache/apt', 'var/log']) {
        rmSync(join(root, dir), { recursive: true, force: true });
        mkdirSync(join(root, dir), { recursive: true });
      }
      mkdirSync(join(root, 'var/lib/apt/lists/partial'), { recursive: true });
    });
    await timed(steps, 'import', () =>
      importRoot(root, BASE_IMAGE, [
        `ENV PATH=${PATH_VALUE}`,
        `LABEL ${RECIPE_LABEL}=${recipe}`,
        `LABEL org.opencontainers.image.description="Debian ${SUITE} minbase with Node ${node.version}, made by scripts/images/base-image.ts"`,
        'CMD ["node"]',
      ]),
    );
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  const made = await inspectImage(BASE_IMAGE);
  if (made?.labels[RECIPE_LABEL] !== recipe) throw new Error(`${BASE_IMAGE} was imported without its recipe label`);
  if (existing && existing.id !== made.id) await engine(['image', 'rm', existing.id]).catch(() => undefined); // only when nothing uses it
  return { image: BASE_IMAGE, built: true, ms: Date.now() - started, size: made.size, steps };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const result = await ensureBaseImage({ rebuild: process.argv.includes('--rebuild') });
  const steps = Object.entries(result.steps).map(([k, ms]) => `${k} ${(ms / 1000).toFixed(1)} s`).join(', ');
  console.log(`${result.image}: ${result.built ? `made in ${(result.ms / 1000).toFixed(1)} s (${steps})` : 'cached, recipe unchanged'}, ${(result.size / 1e6).toFixed(0)} MB`);
}

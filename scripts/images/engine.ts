// The container engine that builds and runs our images here: podman, always driven with argument arrays.
// Its flags are what this kind of machine needs and harm none elsewhere: the runc runtime (crun fails on
// hybrid cgroups), chroot isolation for build steps, and rlimits no higher than the VM allows.
import { spawn, type SpawnOptions } from 'node:child_process';
import { accessSync, constants, existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';

export const ENGINE_NAME = 'podman';

const LIMITS = ['--ulimit', 'nofile=1024:1024', '--ulimit', 'nproc=1024:1024'];
/** For every `podman run`: never pull (no public registry is reachable; a missing image must fail). */
export const RUN_FLAGS: readonly string[] = ['--runtime', 'runc', ...LIMITS, '--pull=never'];
export const BUILD_FLAGS: readonly string[] = ['--isolation', 'chroot', ...LIMITS, '--pull=never'];

/** The engine's path, or undefined when none is installed. */
export function findEngine(path = process.env.PATH ?? ''): string | undefined {
  for (const dir of path.split(delimiter).filter(Boolean)) {
    const candidate = join(dir, ENGINE_NAME);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not in this folder
    }
  }
  return undefined;
}

export class EngineError extends Error {
  constructor(
    readonly argv: string[],
    readonly exitCode: number | null,
    readonly output: string,
  ) {
    const tail = output.trim().split('\n').slice(-25).join('\n');
    super(`${ENGINE_NAME} ${argv.slice(0, 3).join(' ')} … failed (exit ${exitCode}):\n${tail}`);
  }
}

export interface RunResult {
  stdout: string;
  output: string;
  ms: number;
}

/** Runs a command to completion; stdout apart, and stdout + stderr interleaved for errors and logs. */
export function runCommand(command: string, args: string[], options: SpawnOptions & { onOutput?: (chunk: string) => void } = {}): Promise<RunResult> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], ...options });
    let stdout = '';
    let output = '';
    child.stdout?.on('data', (c: Buffer) => {
      stdout += c.toString();
      output += c.toString();
      options.onOutput?.(c.toString());
    });
    child.stderr?.on('data', (c: Buffer) => {
      output += c.toString();
      options.onOutput?.(c.toString());
    });
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0) resolve({ stdout, output, ms: Date.now() - started });
      else reject(new EngineError([command, ...args], code, output));
    });
  });
}

export function engine(args: string[], options: SpawnOptions & { onOutput?: (chunk: string) => void } = {}): Promise<RunResult> {
  const path = findEngine();
  if (!path) throw new Error(`no container engine: ${ENGINE_NAME} is not on PATH (bash scripts/setup.sh --images installs it)`);
  return runCommand(path, args, options);
}

export interface ImageInfo {
  id: string;
  size: number;
  labels: Record<string, string>;
  user: string;
  entrypoint: string[];
  cmd: string[];
  workdir: string;
  env: string[];
}

interface Inspected {
  Id: string;
  Size: number;
  Labels?: Record<string, string> | null;
  Config?: { User?: string; Entrypoint?: string[] | null; Cmd?: string[] | null; WorkingDir?: string; Env?: string[] | null };
}

/** The local image's configuration, or undefined when there is no such image. */
export async function inspectImage(tag: string): Promise<ImageInfo | undefined> {
  const exists = await engine(['image', 'exists', tag]).then(() => true, () => false);
  if (!exists) return undefined;
  const [image] = JSON.parse((await engine(['image', 'inspect', tag])).stdout) as Inspected[];
  if (!image) return undefined;
  return {
    id: image.Id,
    size: image.Size,
    labels: image.Labels ?? {},
    user: image.Config?.User ?? '',
    entrypoint: image.Config?.Entrypoint ?? [],
    cmd: image.Config?.Cmd ?? [],
    workdir: image.Config?.WorkingDir ?? '',
    env: image.Config?.Env ?? [],
  };
}

export interface BuildSpec {
  tag: string;
  /** The Dockerfile, relative to the context or absolute. */
  dockerfile: string;
  context: string;
  buildArgs?: Record<string, string>;
  /** Build arguments passed by name only, their values (if any) taken from the environment (as `fn` does with proxies). */
  passBuildArgs?: string[];
  /** Build secrets (id -> file), mounted only into the RUN steps that ask for them, never stored in a layer. */
  secrets?: Record<string, string>;
  onOutput?: (chunk: string) => void;
}

export function buildArgv(spec: BuildSpec): string[] {
  return [
    'build',
    ...BUILD_FLAGS,
    '-t', spec.tag,
    '-f', spec.dockerfile,
    ...Object.entries(spec.buildArgs ?? {}).flatMap(([k, v]) => ['--build-arg', `${k}=${v}`]),
    ...(spec.passBuildArgs ?? []).flatMap((k) => ['--build-arg', k]),
    ...Object.entries(spec.secrets ?? {}).flatMap(([id, src]) => ['--secret', `id=${id},src=${src}`]),
    '.',
  ];
}

export async function buildImage(spec: BuildSpec): Promise<RunResult> {
  return engine(buildArgv(spec), { cwd: spec.context, onOutput: spec.onOutput });
}

/**
 * The CA bundle npm trusts on this machine (NODE_EXTRA_CA_CERTS), handed to image builds as the
 * `build-ca` secret so `npm ci` inside them trusts what npm trusts here. None where none is set.
 */
export function buildCaSecret(env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const file = env.NODE_EXTRA_CA_CERTS;
  return file && existsSync(file) ? { 'build-ca': file } : {};
}

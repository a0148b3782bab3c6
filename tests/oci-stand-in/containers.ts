// What runs "inside" a stand-in container: the image's entrypoint as a child process (never through a
// shell) with the container's arguments and environment, its own temp folder as home, output kept the way
// retrieveLogs serves it (the most recent 256 KB), and an exit code as a container runtime reports it.
// An image with `podman` set runs for real instead: `podman run` of that local image with the container's
// arguments and environment only, so the image's own entrypoint, user, working directory and ENV apply.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { constants, tmpdir } from 'node:os';
import { join } from 'node:path';

export interface ImageSpec {
  /** The image's ENTRYPOINT as argv (e.g. [node, bin/oci-transcode.js]); the container's arguments follow. */
  entrypoint: string[];
  /** Working directory (the image's WORKDIR); default: the container's temp folder. */
  cwd?: string;
  /** Variables the image itself sets (its ENV lines). */
  env?: Record<string, string>;
  /** Run this local image in a real container (entrypoint, cwd and env above are then unused). */
  podman?: PodmanImage;
}

export interface PodmanImage {
  /** The engine's path. */
  engine: string;
  /** A local image, e.g. localhost/oci-transcode:test. */
  image: string;
  /** `podman run` flags before the image: runtime, limits, network, mounts. */
  flags: string[];
}

/** Label on every container the stand-in runs, so a test can remove what a crash left behind. */
export const PODMAN_LABEL = 'oci-stand-in=1';
// Variables podman itself reads: given to the container on its command line, never through podman's environment.
const ENGINE_OWN_ENV = new Set(['PATH', 'HOME', 'TMPDIR', 'XDG_RUNTIME_DIR', 'XDG_CONFIG_HOME', 'CONTAINERS_CONF', 'CONTAINERS_STORAGE_CONF', 'CONTAINERS_REGISTRIES_CONF']);

/**
 * `podman run` for a container: the container's command (if any) replaces the image's ENTRYPOINT as on
 * Container Instances; values travel in podman's environment (`--env NAME`), not on its command line.
 */
export function podmanRun(podman: PodmanImage, name: string, spec: Pick<ProcessSpec, 'command' | 'args' | 'env'>): { argv: string[]; env: Record<string, string> } {
  const passed = Object.keys(spec.env).filter((k) => !ENGINE_OWN_ENV.has(k));
  const inline = Object.entries(spec.env).filter(([k]) => ENGINE_OWN_ENV.has(k));
  const argv = [
    'run', '--rm', '--name', name, '--label', PODMAN_LABEL, ...podman.flags,
    ...(spec.command?.length ? ['--entrypoint', JSON.stringify(spec.command)] : []),
    ...passed.flatMap((k) => ['--env', k]),
    ...inline.flatMap(([k, v]) => ['--env', `${k}=${v}`]),
    podman.image,
    ...spec.args,
  ];
  const env = { PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin', ...Object.fromEntries(passed.map((k) => [k, spec.env[k]!])) };
  return { argv, env };
}

const LOG_KEEP = 256 * 1024;

export class LogBuffer {
  private chunks: Buffer[] = [];
  private size = 0;
  total = 0;

  push(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.size += chunk.length;
    this.total += chunk.length;
    while (this.chunks.length > 1 && this.size - this.chunks[0]!.length >= LOG_KEEP) this.size -= this.chunks.shift()!.length;
  }

  text(): string {
    return Buffer.concat(this.chunks).subarray(-LOG_KEEP).toString('utf8');
  }
}

export interface ProcessSpec {
  image: ImageSpec;
  command?: string[];
  args: string[];
  env: Record<string, string>;
}

export interface Exit {
  exitCode: number;
  signal?: string;
}

/** One run of a container's process. */
export class ContainerProcess {
  readonly logs = new LogBuffer();
  readonly home: string;
  private child: ChildProcess | undefined;
  /** Set for a real container: signals go to it through the engine, not to the `podman run` client. */
  private podman: { engine: string; name: string } | undefined;
  readonly exited: Promise<Exit>;
  private resolveExit!: (exit: Exit) => void;
  private done = false;

  constructor(readonly label: string) {
    this.home = mkdtempSync(join(tmpdir(), 'oci-stand-in-ctr-'));
    this.exited = new Promise((resolve) => (this.resolveExit = resolve));
  }

  start(spec: ProcessSpec, onOutput?: (line: string) => void): void {
    const { podman } = spec.image;
    let argv: string[];
    let env: Record<string, string>;
    if (podman) {
      this.podman = { engine: podman.engine, name: `${this.label.replace(/[^\w.-]/g, '-')}-${randomBytes(4).toString('hex')}` };
      const run = podmanRun(podman, this.podman.name, spec);
      argv = [podman.engine, ...run.argv];
      env = run.env;
    } else {
      argv = [...(spec.command ?? spec.image.entrypoint), ...spec.args];
      env = {
        PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin',
        HOME: this.home,
        TMPDIR: this.home,
        HOSTNAME: this.label,
        ...spec.image.env,
        ...spec.env,
      };
    }
    const child = spawn(argv[0]!, argv.slice(1), { cwd: podman ? this.home : (spec.image.cwd ?? this.home), env, stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    const collect = (chunk: Buffer): void => {
      this.logs.push(chunk);
      if (onOutput) for (const line of chunk.toString('utf8').split('\n')) if (line.trim()) onOutput(line);
    };
    child.stdout?.on('data', collect);
    child.stderr?.on('data', collect);
    child.on('error', (error) => {
      // The entrypoint could not start: like a runtime's "exec format error" / "no such file" (exit 127).
      this.logs.push(Buffer.from(`exec ${argv[0]}: ${error.message}\n`));
      this.finish({ exitCode: 127 });
    });
    child.on('exit', (code, signal) => {
      const exitCode = code ?? 128 + (signal ? (constants.signals[signal] ?? 0) : 0);
      this.finish({ exitCode, signal: signal ?? undefined });
    });
  }

  private finish(exit: Exit): void {
    if (this.done) return;
    this.done = true;
    this.resolveExit(exit);
  }

  get running(): boolean {
    return this.child !== undefined && !this.done;
  }

  kill(signal: NodeJS.Signals): void {
    if (!this.running) return;
    if (!this.podman) {
      this.child!.kill(signal);
      return;
    }
    // As a runtime stops a container: the signal reaches its PID 1 (tini), which passes it on. A container
    // still being created is not known yet: try again until it is, or until `podman run` has ended.
    const { engine, name } = this.podman;
    const attempt = (left: number): void => {
      const killer = spawn(engine, ['kill', '--signal', signal, name], { stdio: 'ignore' });
      killer.on('error', () => this.child?.kill(signal));
      killer.on('exit', (code) => {
        if (code !== 0 && left > 0 && this.running) setTimeout(() => attempt(left - 1), 250).unref();
      });
    };
    attempt(40);
  }

  /** SIGTERM, then SIGKILL after the grace period, as a container runtime stops a container. */
  async stop(graceMs: number): Promise<void> {
    if (!this.running) return;
    this.kill('SIGTERM');
    const timer = setTimeout(() => this.kill('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(timer);
  }

  removeHome(): void {
    rmSync(this.home, { recursive: true, force: true });
  }
}

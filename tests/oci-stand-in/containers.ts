// What runs "inside" a stand-in container: the image's entrypoint as a child process (never through a
// shell) with the container's arguments and environment, its own temp folder as home, output kept the way
// retrieveLogs serves it (the most recent 256 KB), and an exit code as a container runtime reports it.
import { spawn, type ChildProcess } from 'node:child_process';
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
  readonly exited: Promise<Exit>;
  private resolveExit!: (exit: Exit) => void;
  private done = false;

  constructor(readonly label: string) {
    this.home = mkdtempSync(join(tmpdir(), 'oci-stand-in-ctr-'));
    this.exited = new Promise((resolve) => (this.resolveExit = resolve));
  }

  start(spec: ProcessSpec, onOutput?: (line: string) => void): void {
    const argv = [...(spec.command ?? spec.image.entrypoint), ...spec.args];
    const env = {
      PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin',
      HOME: this.home,
      TMPDIR: this.home,
      HOSTNAME: this.label,
      ...spec.image.env,
      ...spec.env,
    };
    const child = spawn(argv[0]!, argv.slice(1), { cwd: spec.image.cwd ?? this.home, env, stdio: ['ignore', 'pipe', 'pipe'] });
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
    if (this.running) this.child!.kill(signal);
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

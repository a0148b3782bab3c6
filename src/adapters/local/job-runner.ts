// Local JobRunner: each job is a detached child process (through job-shim.mjs), the laptop's stand-in
// for an OCI Container Instance. Like a container it outlives a worker crash, keeps its output for
// logTail, leaves an exit code, and is started at most once per idempotency key.
//
// Files under <dataDir>/jobs/, per job id:
//   <id>.key   registry entry for the idempotency key; kept after delete as a tombstone, so a retried
//              start of a deleted job never runs it again
//   <id>.json  launch metadata (display name, tags, arguments; never the environment)
//   <id>.pid   the shim's pid, which is also the job's process group id
//   <id>.log   combined stdout + stderr;  <id>.exit  exit code once it ended
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, open, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { JobHandle, JobLaunch, JobPhase, JobRunner, JobState } from '../../ports.js';

const SHIM = fileURLToPath(new URL('./job-shim.mjs', import.meta.url));
const TAIL_BYTES = 64 * 1024;
/** A job with a registry entry but no pid yet is 'starting' for this long, then 'gone'. */
const START_GRACE_MS = 30_000;

export interface LocalJobRunnerOptions {
  dataDir: string;
  /** The transcoder command; the launch arguments are appended, e.g. [process.execPath, 'bin/oci-transcode.js']. */
  command: string[];
  /** Base environment of every job (what a container image would provide, e.g. PATH, HOME). */
  env: Record<string, string>;
  /** Folder of the bucket folders, given to jobs as OCI_TRANSCODE_STORE=local:<dir>. Default <dataDir>/buckets. */
  bucketsDir?: string;
  cwd?: string;
}

interface JobMeta {
  id: string;
  idempotencyKey: string;
  displayName: string;
  tags: Record<string, string>;
  args: string[];
  createdAt: string;
}

export interface LocalJobRunner extends JobRunner {
  list(tags: Record<string, string>): Promise<(JobHandle & { tags: Record<string, string>; phase: JobPhase })[]>;
  /** The job's process group id while it runs (tests use it to prove nothing is left running). */
  pid(handle: JobHandle): Promise<number | undefined>;
}

/** Job ids derive from the idempotency key alone, so every retry of a start lands on the same files. */
export function localJobId(idempotencyKey: string): string {
  return `job-${createHash('sha256').update(idempotencyKey).digest('hex').slice(0, 20)}`;
}

const sleep = (ms: number): Promise<void> => new Promise((done) => setTimeout(done, ms));

function isErrno(error: unknown, code: string): boolean {
  return error instanceof Error && (error as NodeJS.ErrnoException).code === code;
}

async function readText(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    if (isErrno(error, 'ENOENT')) return undefined;
    throw error;
  }
}

async function writeAtomic(path: string, text: string): Promise<void> {
  // A temp name of our own: the shim writes the same pid file at the same moment.
  const temp = `${path}.${process.pid}.tmp`;
  await writeFile(temp, text);
  await rename(temp, path);
}

export function createLocalJobRunner(options: LocalJobRunnerOptions): LocalJobRunner {
  if (options.command.length === 0) throw new Error('createLocalJobRunner: command must name the transcoder program');
  const dir = resolve(options.dataDir, 'jobs');
  const bucketsDir = resolve(options.bucketsDir ?? join(options.dataDir, 'buckets'));
  const file = (id: string, ext: string): string => {
    if (!/^[\w.-]+$/.test(id)) throw new Error(`Not a local job id: ${JSON.stringify(id)}`);
    return join(dir, `${id}.${ext}`);
  };

  /** Alive and still our shim (guards against a recycled pid on Linux). */
  async function alive(id: string, pid: number): Promise<boolean> {
    try {
      process.kill(pid, 0);
    } catch (error) {
      return isErrno(error, 'EPERM');
    }
    const cmdline = await readText(`/proc/${pid}/cmdline`).catch(() => undefined);
    // No /proc (macOS): trust kill(0). An empty cmdline is a zombie waiting to be reaped.
    return cmdline === undefined ? process.platform !== 'linux' : cmdline.includes(id);
  }

  async function livePid(id: string): Promise<number | undefined> {
    const pid = Number.parseInt((await readText(file(id, 'pid'))) ?? '', 10);
    return Number.isInteger(pid) && pid > 0 && (await alive(id, pid)) ? pid : undefined;
  }

  async function state(handle: JobHandle): Promise<JobState> {
    const exit = await readText(file(handle.id, 'exit'));
    if (exit !== undefined) {
      const exitCode = Number.parseInt(exit, 10);
      return exitCode === 0 ? { phase: 'succeeded', exitCode } : { phase: 'failed', exitCode, message: `exited with code ${exitCode}` };
    }
    if ((await livePid(handle.id)) !== undefined) return { phase: 'running' };
    // The shim writes the exit file before it exits: look again in case it ended between the two reads.
    const late = await readText(file(handle.id, 'exit'));
    if (late !== undefined) return state(handle);
    const meta = await stat(file(handle.id, 'json')).catch(() => undefined);
    if (meta && !(await readText(file(handle.id, 'pid'))) && Date.now() - meta.mtimeMs < START_GRACE_MS) {
      return { phase: 'starting' };
    }
    return { phase: 'gone', message: meta ? 'the job process vanished without an exit code' : 'no such job (deleted or never started)' };
  }

  function signalGroup(pid: number, signal: NodeJS.Signals): void {
    try {
      process.kill(-pid, signal);
    } catch (error) {
      if (!isErrno(error, 'ESRCH')) throw error;
    }
  }

  return {
    async start(launch: JobLaunch): Promise<JobHandle> {
      const id = localJobId(launch.idempotencyKey);
      await mkdir(dir, { recursive: true });
      try {
        // Exclusive create: of two concurrent or repeated starts with one key, exactly one spawns.
        const registry = await open(file(id, 'key'), 'wx');
        await registry.writeFile(launch.idempotencyKey);
        await registry.close();
      } catch (error) {
        if (isErrno(error, 'EEXIST')) return { id, placement: 'local' };
        throw error;
      }
      const meta: JobMeta = {
        id,
        idempotencyKey: launch.idempotencyKey,
        displayName: launch.displayName,
        tags: launch.tags,
        args: launch.args,
        createdAt: new Date().toISOString(),
      };
      await writeAtomic(file(id, 'json'), JSON.stringify(meta, null, 2));
      const [program, ...programArgs] = options.command as [string, ...string[]];
      const child = spawn(process.execPath, [SHIM, dir, id, '--', program, ...programArgs, ...launch.args], {
        detached: true,
        stdio: 'ignore',
        cwd: options.cwd ?? process.cwd(),
        env: { ...options.env, ...launch.env, OCI_TRANSCODE_STORE: `local:${bucketsDir}` },
      });
      // The shim writes its pid too; writing it here as well closes the window before it runs.
      if (child.pid !== undefined) await writeAtomic(file(id, 'pid'), String(child.pid));
      child.unref();
      return { id, placement: 'local' };
    },

    state,

    async logTail(handle: JobHandle): Promise<string> {
      let fh;
      try {
        fh = await open(file(handle.id, 'log'), 'r');
      } catch (error) {
        if (isErrno(error, 'ENOENT')) return '';
        throw error;
      }
      try {
        const { size } = await fh.stat();
        const start = Math.max(0, size - TAIL_BYTES);
        const buffer = Buffer.alloc(size - start);
        await fh.read(buffer, 0, buffer.length, start);
        const text = buffer.toString('utf8');
        // Drop a line cut in half by the window, so every line the caller parses is whole.
        return start > 0 ? text.slice(text.indexOf('\n') + 1) : text;
      } finally {
        await fh.close();
      }
    },

    async delete(handle: JobHandle): Promise<void> {
      const pid = await livePid(handle.id);
      if (pid !== undefined) {
        // Like a container stop: SIGTERM to the whole group, SIGKILL after a grace period.
        signalGroup(pid, 'SIGTERM');
        for (let waited = 0; waited < 5_000 && (await alive(handle.id, pid)); waited += 100) await sleep(100);
        if (await alive(handle.id, pid)) {
          signalGroup(pid, 'SIGKILL');
          for (let waited = 0; waited < 2_000 && (await alive(handle.id, pid)); waited += 50) await sleep(50);
        }
      }
      for (const ext of ['json', 'pid', 'log', 'exit']) await rm(file(handle.id, ext), { force: true });
    },

    async list(tags: Record<string, string>) {
      let names: string[];
      try {
        names = await readdir(dir);
      } catch (error) {
        if (isErrno(error, 'ENOENT')) return [];
        throw error;
      }
      const found: (JobHandle & { tags: Record<string, string>; phase: JobPhase })[] = [];
      for (const name of names.filter((n) => n.endsWith('.json'))) {
        const text = await readText(join(dir, name));
        if (text === undefined) continue; // deleted meanwhile
        const meta = JSON.parse(text) as JobMeta;
        if (!Object.entries(tags).every(([k, v]) => meta.tags[k] === v)) continue;
        found.push({ id: meta.id, placement: 'local', tags: meta.tags, phase: (await state({ id: meta.id })).phase });
      }
      return found;
    },

    async pid(handle: JobHandle) {
      return livePid(handle.id);
    },
  };
}

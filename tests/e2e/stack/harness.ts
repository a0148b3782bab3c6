// Runs the real CLI as a user would: child processes, a temp data dir, free ports. Every stack a
// test starts is stopped in afterAll, and leftover job processes are killed (and reported).
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import { CLI_ENTRY, REPO_ROOT, stackPaths } from '../../../src/stack/paths.js';
import { liveState, processAlive } from '../../../src/stack/state.js';
import { findTemporalBin } from '../../../src/stack/temporal-bin.js';
import { freePort } from '../../helpers/net.js';

const execFileAsync = promisify(execFile);

export interface Outcome {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface StackEnv {
  dataDir: string;
  bucketsDir: string;
  env: NodeJS.ProcessEnv;
  port: number;
  uiPort: number;
  previewPort: number;
  /** Runs `oci-transcode <args>` to the end. */
  cli(args: string[], timeoutMs?: number): Promise<Outcome>;
  /** Starts `oci-transcode <args>` and returns at once; `done` resolves when it exits. */
  spawnCli(args: string[]): { child: ChildProcess; done: Promise<Outcome> };
  /** Runs the `temporal` CLI against this stack's server. */
  temporal(args: string[]): Promise<Outcome>;
  client(): Promise<Client>;
  /** Job records left in <dataDir>/jobs (a deleted job leaves only its .key tombstone). */
  leftoverJobs(): Promise<string[]>;
  /** Live pids of job processes. */
  liveJobPids(): Promise<number[]>;
  dispose(): Promise<void>;
}

function collect(child: ChildProcess): Promise<Outcome> {
  let stdout = '';
  let stderr = '';
  child.stdout?.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr?.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  return new Promise((resolve) => child.once('close', (code) => resolve({ code, stdout, stderr })));
}

export async function createStackEnv(): Promise<StackEnv> {
  const dataDir = await mkdtemp(join(tmpdir(), 'oci-transcode-e2e-'));
  const [port, uiPort, previewPort] = [await freePort(), await freePort(), await freePort()];
  const temporalBin = findTemporalBin();
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    OCI_TRANSCODE_DATA_DIR: dataDir,
    OCI_TRANSCODE_DEV_PORT: String(port),
    OCI_TRANSCODE_DEV_UI_PORT: String(uiPort),
    OCI_TRANSCODE_DEV_PREVIEW_PORT: String(previewPort),
    OCI_TRANSCODE_TEMPORAL_BIN: temporalBin,
    // Quick job polls keep tiny-clip runs short.
    OCI_TRANSCODE_JOB_POLL_SEC: '0.5',
  };
  const connections: Connection[] = [];
  const spawned: ChildProcess[] = [];
  const jobsDir = join(dataDir, 'jobs');

  const spawnCli = (args: string[]): { child: ChildProcess; done: Promise<Outcome> } => {
    const child = spawn(process.execPath, [CLI_ENTRY, ...args], { cwd: REPO_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    spawned.push(child);
    return { child, done: collect(child) };
  };
  const cli = async (args: string[], timeoutMs = 240_000): Promise<Outcome> => {
    const { child, done } = spawnCli(args);
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    try {
      return await done;
    } finally {
      clearTimeout(timer);
    }
  };
  const liveJobPids = async (): Promise<number[]> => {
    const names = await readdir(jobsDir).catch(() => [] as string[]);
    const pids = await Promise.all(names.filter((n) => n.endsWith('.pid')).map(async (n) => Number(await readFile(join(jobsDir, n), 'utf8').catch(() => ''))));
    // Alive and still a job shim (a recycled pid would be some other program).
    const isShim = (pid: number): boolean => processAlive(pid) && readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('job-shim');
    return pids.filter((pid) => pid > 0 && (() => { try { return isShim(pid); } catch { return false; } })());
  };

  return {
    dataDir,
    bucketsDir: stackPaths(dataDir).bucketsDir,
    env,
    port,
    uiPort,
    previewPort,
    cli,
    spawnCli,
    async temporal(args) {
      try {
        const { stdout, stderr } = await execFileAsync(temporalBin, [...args, '--address', `127.0.0.1:${port}`, '--namespace', 'default'], { env });
        return { code: 0, stdout, stderr };
      } catch (error) {
        const e = error as { code?: number; stdout?: string; stderr?: string };
        return { code: typeof e.code === 'number' ? e.code : 1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
      }
    },
    async client() {
      const connection = await Connection.connect({ address: `127.0.0.1:${port}` });
      connections.push(connection);
      return new Client({ connection, namespace: 'default' });
    },
    async leftoverJobs() {
      const names = await readdir(jobsDir).catch(() => [] as string[]);
      return names.filter((n) => n.endsWith('.json'));
    },
    liveJobPids,
    async dispose() {
      for (const c of connections) await c.close().catch(() => undefined);
      // A graceful stop first (it stops the server too), then whatever is still running.
      await cli(['stop'], 90_000).catch(() => undefined);
      for (const child of spawned) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      // Belt and braces: whatever a failed test left behind must not outlive the suite.
      const state = await liveState(stackPaths(dataDir).stateFile).catch(() => undefined);
      for (const pid of [state?.pid, state?.serverPid]) if (pid) try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ }
      for (const pid of await liveJobPids()) try { process.kill(-pid, 'SIGKILL'); } catch { /* gone */ }
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** Polls until check() returns a value (not undefined), or fails after timeoutMs. */
export async function eventually<T>(check: () => Promise<T | undefined>, timeoutMs: number, what: string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

export const WEB_UI_LINE = /(http:\/\/127\.0\.0\.1:\d+\/namespaces\/default\/workflows\/[^/\s]+\/[0-9a-f-]{36})/;

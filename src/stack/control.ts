// Finding, starting (in the background) and stopping a stack from another process, through its
// state file. `run` uses these so a new user never has to open a second terminal.
import { spawn } from 'node:child_process';
import { mkdir, open, readFile } from 'node:fs/promises';
import { Client, Connection } from '@temporalio/client';
import { CLI_ENTRY, REPO_ROOT, stackPaths } from './paths.js';
import { liveState, readState, reapServer, stackAlive, type StackState, type StaleStack } from './state.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export class StackStartError extends Error {
  override readonly name = 'StackStartError';
}

/** The last lines of a log file, for error messages. */
export async function logTail(file: string, lines = 15): Promise<string> {
  try {
    return (await readFile(file, 'utf8')).trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}

/**
 * Starts `oci-transcode dev` detached (output to <dataDir>/stack.log) and waits until its state
 * file says ready. Another stack that won the race is fine: its state is returned.
 */
export async function startInBackground(dataDir: string, o: { timeoutMs?: number; env?: NodeJS.ProcessEnv } = {}): Promise<StackState> {
  const paths = stackPaths(dataDir);
  await mkdir(paths.dataDir, { recursive: true });
  const log = await open(paths.logFile, 'a');
  let exited: { code: number | null } | undefined;
  try {
    const child = spawn(process.execPath, [CLI_ENTRY, 'dev'], {
      detached: true,
      stdio: ['ignore', log.fd, log.fd],
      cwd: REPO_ROOT,
      env: { ...process.env, ...o.env, OCI_TRANSCODE_DATA_DIR: paths.dataDir },
    });
    child.once('exit', (code) => (exited = { code }));
    child.unref();
    const deadline = Date.now() + (o.timeoutMs ?? 120_000);
    while (Date.now() < deadline) {
      const state = await readState(paths.stateFile).catch(() => undefined);
      if (state?.ready && (state.pid === child.pid || stackAlive(state))) return state;
      if (exited) break;
      await sleep(200);
    }
    if (!exited) {
      try {
        process.kill(child.pid!, 'SIGTERM');
      } catch {
        // already gone
      }
    }
    const why = exited ? `it exited with code ${exited.code}` : 'it did not become ready in time';
    throw new StackStartError(`could not start the local stack: ${why}. Last lines of ${paths.logFile}:\n${await logTail(paths.logFile)}`);
  } finally {
    await log.close();
  }
}

/**
 * The running stack, started in the background when there is none. A stack that had died is
 * cleared away first (its leftover dev server stopped) and reported as `stale`.
 */
export async function ensureStack(dataDir: string): Promise<{ state: StackState; started: boolean; stale?: StaleStack }> {
  let stale: StaleStack | undefined;
  const onStale = (found: StaleStack): void => void (stale = found);
  const state = await liveState(stackPaths(dataDir).stateFile, { onStale });
  if (state?.ready) return { state, started: false };
  if (state) {
    // Another `dev` is still starting: wait for it rather than racing it.
    for (let i = 0; i < 600; i++) {
      await sleep(200);
      const now = await liveState(stackPaths(dataDir).stateFile, { onStale });
      if (!now) break;
      if (now.ready) return { state: now, started: false };
    }
  }
  return { state: await startInBackground(dataDir), started: true, ...(stale ? { stale } : {}) };
}

/** Stops the stack gracefully (SIGTERM, as Ctrl-C would); kills it if it does not stop in time. */
export async function stopStack(dataDir: string, o: { timeoutMs?: number } = {}): Promise<StackState | undefined> {
  const paths = stackPaths(dataDir);
  const state = await liveState(paths.stateFile);
  if (!state) return undefined;
  process.kill(state.pid, 'SIGTERM');
  const deadline = Date.now() + (o.timeoutMs ?? 60_000);
  while (stackAlive(state) && Date.now() < deadline) await sleep(100);
  if (stackAlive(state)) process.kill(state.pid, 'SIGKILL');
  await reapServer(state); // a killed stack could not stop its server
  await liveState(paths.stateFile); // removes the file if the process could not
  return state;
}

export async function connectClient(state: StackState): Promise<{ client: Client; close: () => Promise<void> }> {
  const connection = await Connection.connect({ address: state.address });
  return { client: new Client({ connection, namespace: state.namespace }), close: () => connection.close() };
}

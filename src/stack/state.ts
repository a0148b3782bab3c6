// The state file `<dataDir>/stack.json`: how `run`, `status` and `stop` find a running `dev`.
// Created exclusively (flag wx) before anything starts, so it doubles as the lock that keeps a second
// `dev` from starting on the same data dir; `ready` turns true once server, worker and watcher are up.
import { readFileSync } from 'node:fs';
import { open, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { z } from 'zod';

export const stackStateSchema = z.object({
  schema: z.literal(1),
  /** The `dev` process. */
  pid: z.number().int().positive(),
  /** The `temporal server start-dev` child, to clean it up if `dev` died without doing so. */
  serverPid: z.number().int().positive().optional(),
  ready: z.boolean(),
  address: z.string(),
  port: z.number().int().positive(),
  uiPort: z.number().int().positive(),
  uiUrl: z.string(),
  namespace: z.string(),
  taskQueue: z.string(),
  dataDir: z.string(),
  startedAt: z.string(),
});

export type StackState = z.infer<typeof stackStateSchema>;

export class StackStateError extends Error {
  override readonly name = 'StackStateError';
}

/** True when a process with this pid exists (and, where /proc tells, its arguments match). */
export function processAlive(pid: number, matches?: (argv: string[]) => boolean): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    // ESRCH: gone. EPERM: it exists but belongs to another user, so it is not ours.
    return false;
  }
  if (!matches) return true;
  try {
    // A recycled pid must not pass for our stack: check the command line where Linux exposes it.
    return matches(readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0'));
  } catch {
    return true;
  }
}

export async function readState(file: string): Promise<StackState | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  if (text.trim() === '') return undefined; // being created right now
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new StackStateError(`${file} is not valid JSON: remove it if no stack is running`);
  }
  const parsed = stackStateSchema.safeParse(json);
  if (!parsed.success) throw new StackStateError(`${file} is not a stack state file: remove it if no stack is running`);
  return parsed.data;
}

/** Recognises a `dev` process by its arguments: the CLI entry (any path) followed by `dev`. */
export const isDevProcess = (argv: string[]): boolean =>
  argv.some((arg) => /(^|\/)oci-transcode(\.js)?$/.test(arg)) && argv.includes('dev');

/** Recognises the Temporal dev server child. */
export const isDevServerProcess = (argv: string[]): boolean => argv.includes('start-dev');

/** The state of a live stack, or undefined; a file left by a dead `dev` is removed (and its server killed). */
export async function liveState(file: string): Promise<StackState | undefined> {
  const state = await readState(file);
  if (!state) return undefined;
  if (processAlive(state.pid, isDevProcess)) return state;
  if (state.serverPid && processAlive(state.serverPid, isDevServerProcess)) {
    try {
      process.kill(state.serverPid, 'SIGTERM');
    } catch {
      // already gone
    }
  }
  await rm(file, { force: true });
  return undefined;
}

/**
 * Claims the state file for this process. Returns the other stack's state when one is alive;
 * a stale file (its process is gone) is replaced.
 */
export async function claimState(file: string, state: StackState): Promise<{ claimed: true } | { claimed: false; other: StackState }> {
  for (let attempt = 0; attempt < 5; attempt++) {
    try {
      const handle = await open(file, 'wx');
      try {
        await handle.writeFile(JSON.stringify(state, null, 2));
      } finally {
        await handle.close();
      }
      return { claimed: true };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    let other = await readState(file).catch(() => undefined);
    if (!other) {
      // Empty or unreadable: maybe another `dev` is writing it this very moment.
      await new Promise((r) => setTimeout(r, 250));
      other = await readState(file).catch(() => undefined);
    }
    if (other && processAlive(other.pid, isDevProcess)) return { claimed: false, other };
    if (other) await liveState(file); // stale: also stops the server it left behind
    else await rm(file, { force: true });
  }
  throw new StackStateError(`could not claim ${file}: another process keeps recreating it`);
}

/** Replaces the file atomically (readers never see half a file). */
export async function updateState(file: string, state: StackState): Promise<void> {
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, JSON.stringify(state, null, 2));
  await rename(tmp, file);
}

/** Removes the file only if it is still ours. */
export async function releaseState(file: string, pid: number): Promise<void> {
  const current = await readState(file).catch(() => undefined);
  if (current && current.pid !== pid) return;
  await rm(file, { force: true });
}

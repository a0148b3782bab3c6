// The state file `<dataDir>/stack.json`: how `run`, `status` and `stop` find a running `dev`.
// Created exclusively (flag wx) before anything starts, so it doubles as the lock that keeps a second
// `dev` from starting on the same data dir; `ready` turns true once server, worker and watcher are up.
import { readFileSync } from 'node:fs';
import { open, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { z } from 'zod';

export const stackStateSchema = z.object({
  schema: z.literal(1),
  /** The process running the stack (`dev`, or a program embedding it). */
  pid: z.number().int().positive(),
  /** Its start time (Linux /proc), so a recycled pid never passes for it. */
  pidStart: z.string().optional(),
  /** The `temporal server start-dev` child, to clean it up if the stack died without doing so. */
  serverPid: z.number().int().positive().optional(),
  serverPidStart: z.string().optional(),
  ready: z.boolean(),
  address: z.string(),
  port: z.number().int().positive(),
  uiPort: z.number().int().positive(),
  uiUrl: z.string(),
  /** The preview page (absent when its port was taken, and in stacks started before it existed). */
  previewUrl: z.string().optional(),
  namespace: z.string(),
  taskQueue: z.string(),
  dataDir: z.string(),
  startedAt: z.string(),
});

export type StackState = z.infer<typeof stackStateSchema>;

export class StackStateError extends Error {
  override readonly name = 'StackStateError';
}

/** Fields of /proc/<pid>/stat after the command name (which may hold spaces and parentheses), where Linux tells. */
function statFields(pid: number): string[] | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

/** When the process started (clock ticks since boot, field 22 of /proc/<pid>/stat), where Linux tells. */
export function processStart(pid: number): string | undefined {
  return statFields(pid)?.[19];
}

/**
 * True when the process exists and, if its start time was recorded, is that same process. A zombie
 * (exited, not yet reaped by whoever adopted it) counts as gone: it holds no port and no file.
 */
export function processAlive(pid: number, startedAt?: string): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    // ESRCH: gone. EPERM: it exists but belongs to another user, so it is not ours.
    return false;
  }
  const fields = statFields(pid);
  if (fields && ['Z', 'X'].includes(fields[0] ?? '')) return false;
  if (startedAt === undefined) return true;
  return fields?.[19] === undefined || fields[19] === startedAt;
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

export const stackAlive = (state: StackState): boolean => processAlive(state.pid, state.pidStart);
export const serverAlive = (state: StackState): boolean => state.serverPid !== undefined && processAlive(state.serverPid, state.serverPidStart);

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal); // the server runs in its own process group (dev-server.ts)
  } catch {
    // already gone
  }
}

/**
 * Stops the dev server a dead stack left running (its process group outlives a SIGKILLed stack):
 * SIGTERM, then SIGKILL after graceMs, and waits until it is gone, so its ports and its database
 * are free for the next server. Only the process recorded in the state (pid and start time) is
 * signalled, never a recycled pid. Returns the pid it stopped, or undefined when there was none.
 */
export async function reapServer(state: StackState, o: { graceMs?: number } = {}): Promise<number | undefined> {
  if (!state.serverPid || !serverAlive(state)) return undefined;
  const pid = state.serverPid;
  signalGroup(pid, 'SIGTERM');
  const deadline = Date.now() + (o.graceMs ?? 10_000);
  while (serverAlive(state) && Date.now() < deadline) await sleep(50);
  if (serverAlive(state)) {
    signalGroup(pid, 'SIGKILL');
    for (let i = 0; i < 100 && serverAlive(state); i++) await sleep(50);
  }
  return pid;
}

/** What liveState found: a stack that is alive, or the one that had died (and the server it left, now stopped). */
export interface StaleStack {
  state: StackState;
  reapedServerPid?: number;
}

/** The state of a live stack, or undefined; a file left by a dead `dev` is removed once its server is stopped. */
export async function liveState(file: string, o: { onStale?: (stale: StaleStack) => void } = {}): Promise<StackState | undefined> {
  const state = await readState(file);
  if (!state) return undefined;
  if (stackAlive(state)) return state;
  const reapedServerPid = await reapServer(state);
  o.onStale?.({ state, reapedServerPid });
  await rm(file, { force: true });
  return undefined;
}

/**
 * Claims the state file for this process. Returns the other stack's state when one is alive;
 * a stale file (its process is gone) is replaced, once the server that stack left running is stopped.
 */
export async function claimState(file: string, state: StackState, o: { onStale?: (stale: StaleStack) => void } = {}): Promise<{ claimed: true } | { claimed: false; other: StackState }> {
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
    if (other && stackAlive(other)) return { claimed: false, other };
    if (other) await liveState(file, o); // also stops the server it left behind
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

// A client's hold on the local stack that outlives the stack: `run` follows a run for minutes, and
// the stack may stop under it (Ctrl-C, `stop`, an OOM kill). The run itself goes on in the database
// and its job keeps running, so the follower waits for a stack to be back on the same data dir
// (its state file says where: the address may have changed), connects again and carries on.
import { Client, Connection } from '@temporalio/client';
import { stackPaths } from './paths.js';
import { readState, stackAlive, type StackState } from './state.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** gRPC codes that mean "no server there" rather than an answer: UNAVAILABLE, DEADLINE_EXCEEDED. */
const UNREACHABLE = new Set([14, 4]);

/** True when the error, or a cause of it, is a gRPC failure to reach the server at all. */
export function unreachable(error: unknown): boolean {
  for (let e: unknown = error; e instanceof Error; e = (e as { cause?: unknown }).cause) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'number' && UNREACHABLE.has(code)) return true;
  }
  return false;
}

/** True when `now` (the state file as it reads now) still describes the live stack `was`. */
export function sameStack(was: StackState, now: StackState | undefined): boolean {
  return now !== undefined && now.pid === was.pid && now.pidStart === was.pidStart && stackAlive(now);
}

export class StackLostError extends Error {
  override readonly name = 'StackLostError';
  constructor(readonly lost: StackState, readonly waitedMs: number, how: 'stopped' | 'does not answer' = 'stopped') {
    const seconds = Math.round(waitedMs / 1000);
    super(how === 'stopped'
      ? `the local stack (pid ${lost.pid}) stopped and none came back on ${lost.dataDir} within ${seconds} s`
      : `the local stack (pid ${lost.pid}) has not answered at ${lost.address} for ${seconds} s`);
  }
}

export interface StackLinkOptions {
  /** How long to wait for a stack to be back once ours is gone. */
  reconnectTimeoutMs: number;
  pollMs?: number;
  /** Once per outage, when the stack is found gone. */
  onLost?: (lost: StackState) => void;
  /** When a stack is back and answers. */
  onBack?: (back: StackState) => void;
}

export interface StackLink {
  /** The stack connected to now. */
  readonly state: StackState;
  /** Runs fn with a client of the stack; when the stack is gone, before or during fn, waits for one to be back and runs fn again. */
  call<T>(fn: (client: Client) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

async function connect(state: StackState): Promise<{ connection: Connection; client: Client }> {
  const connection = await Connection.connect({ address: state.address, connectTimeout: 2000 });
  return { connection, client: new Client({ connection, namespace: state.namespace }) };
}

export async function openStackLink(initial: StackState, o: StackLinkOptions): Promise<StackLink> {
  const stateFile = stackPaths(initial.dataDir).stateFile;
  let state = initial;
  let current = await connect(initial);
  const isLost = async (): Promise<boolean> => !sameStack(state, await readState(stateFile).catch(() => undefined));

  const reconnect = async (): Promise<void> => {
    await current.connection.close().catch(() => undefined);
    o.onLost?.(state);
    const started = Date.now();
    for (;;) {
      const now = await readState(stateFile).catch(() => undefined);
      // `ready` only once server, worker and watcher are up; a stack still starting is waited for.
      if (now?.ready && stackAlive(now)) {
        try {
          current = await connect(now);
          state = now;
          o.onBack?.(now);
          return;
        } catch {
          // not answering yet (or already stopping again): look again
        }
      }
      if (Date.now() - started >= o.reconnectTimeoutMs) throw new StackLostError(state, Date.now() - started);
      await sleep(o.pollMs ?? 500);
    }
  };

  return {
    get state() {
      return state;
    },
    async call<T>(fn: (client: Client) => Promise<T>): Promise<T> {
      let silentSince: number | undefined;
      for (;;) {
        if (await isLost()) {
          await reconnect();
          silentSince = undefined;
        }
        try {
          return await fn(current.client);
        } catch (error) {
          if (await isLost()) continue; // gone meanwhile: wait for it at the top
          // An answer (not found, a failed run, a bad query) is the caller's; only silence is ours.
          if (!unreachable(error)) throw error;
          // The stack's process lives but its server does not answer (stopping, or wedged): bounded too.
          silentSince ??= Date.now();
          if (Date.now() - silentSince >= o.reconnectTimeoutMs) throw new StackLostError(state, Date.now() - silentSince, 'does not answer');
          await sleep(o.pollMs ?? 500);
        }
      }
    },
    close: () => current.connection.close(),
  };
}

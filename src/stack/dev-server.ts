// The `temporal server start-dev` child process: started with our database file, ports and search
// attributes, awaited until it answers gRPC and serves the Web UI, stopped with SIGTERM.
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { Connection } from '@temporalio/client';

export const DEV_HOST = '127.0.0.1';

export class PortInUseError extends Error {
  override readonly name = 'PortInUseError';
}

export class DevServerError extends Error {
  override readonly name = 'DevServerError';
}

export interface DevServerOptions {
  bin: string;
  dbFile: string;
  port: number;
  uiPort: number;
  namespace?: string;
  /** KEY=Type pairs registered at start, e.g. TranscodeSource=Keyword. */
  searchAttributes?: Record<string, string>;
  /** Receives the server's own output lines (warnings and errors at log level warn). */
  onLine?: (line: string) => void;
  /** Called with the server's pid as soon as it is spawned, before it is ready: who started it can record it at once. */
  onSpawn?: (pid: number) => Promise<void> | void;
  readyTimeoutMs?: number;
}

export interface DevServer {
  pid: number;
  address: string;
  uiUrl: string;
  /** Resolves with the exit code when the server process ends, for whatever reason. */
  exited: Promise<number | null>;
  stop(): Promise<void>;
  /** Last resort from a process 'exit' hook, where nothing asynchronous runs any more. */
  killNow(): void;
}

/** True when nothing listens on host:port right now (we can bind it ourselves). */
export async function portFree(port: number, host = DEV_HOST): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once('error', () => resolve(false));
    probe.listen({ port, host, exclusive: true }, () => probe.close(() => resolve(true)));
  });
}

export function devServerArgs(o: DevServerOptions): string[] {
  const args = ['server', 'start-dev', '--db-filename', o.dbFile, '--ip', DEV_HOST, '--port', String(o.port),
    '--ui-port', String(o.uiPort), '--namespace', o.namespace ?? 'default', '--log-level', 'warn',
    // No network beyond localhost: the UI's news feed would call out.
    '--ui-disable-news-fetch'];
  for (const [key, type] of Object.entries(o.searchAttributes ?? {})) args.push('--search-attribute', `${key}=${type}`);
  return args;
}

/** Resolves once the frontend answers for the namespace and the Web UI serves its page. */
export async function waitForServer(address: string, uiUrl: string, namespace: string, options: {
  timeoutMs: number;
  /** Rejects early when the process is known to be gone. */
  exited?: Promise<unknown>;
}): Promise<void> {
  const deadline = Date.now() + options.timeoutMs;
  let gone = false;
  void options.exited?.then(() => (gone = true));
  let lastError = 'no answer';
  while (Date.now() < deadline && !gone) {
    try {
      const connection = await Connection.connect({ address, connectTimeout: 1000 });
      try {
        await connection.workflowService.describeNamespace({ namespace });
      } finally {
        await connection.close();
      }
      const page = await fetch(uiUrl, { signal: AbortSignal.timeout(2000) });
      if (page.ok) return;
      lastError = `Web UI answered ${page.status}`;
    } catch (error) {
      lastError = (error as Error).message;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  if (gone) throw new DevServerError('the Temporal dev server exited during start-up');
  throw new DevServerError(`the Temporal dev server at ${address} did not become ready in ${options.timeoutMs} ms: ${lastError}`);
}

function linesOf(child: ChildProcess, onLine: (line: string) => void): void {
  for (const stream of [child.stdout, child.stderr]) {
    let rest = '';
    stream?.setEncoding('utf8');
    stream?.on('data', (chunk: string) => {
      const parts = (rest + chunk).split('\n');
      rest = parts.pop() ?? '';
      for (const line of parts) if (line.trim()) onLine(line);
    });
  }
}

/** A port the CLI picked for itself (HTTP API, metrics) was taken between its pick and its bind. */
class OwnPortRaceError extends PortInUseError {}

const START_ATTEMPTS = 3;

export async function startDevServer(o: DevServerOptions): Promise<DevServer> {
  for (const [port, what, variable] of [[o.port, 'gRPC', 'OCI_TRANSCODE_DEV_PORT'], [o.uiPort, 'Web UI', 'OCI_TRANSCODE_DEV_UI_PORT']] as const) {
    if (!(await portFree(port))) {
      throw new PortInUseError(
        `port ${port} on ${DEV_HOST} (Temporal ${what}) is already in use by another program: stop it, or pick another port with ${variable}=<port>`,
      );
    }
  }
  // The CLI picks free ports for its HTTP API and metrics itself and binds them later; another process
  // can take one in between. It picks new ones on every start, so that race is worth a retry.
  for (let attempt = 1; ; attempt++) {
    try {
      return await launch(o);
    } catch (error) {
      if (!(error instanceof OwnPortRaceError) || attempt >= START_ATTEMPTS) throw error;
      o.onLine?.(`a port the dev server picked itself was taken meanwhile; starting it again (attempt ${attempt + 1})`);
    }
  }
}

async function launch(o: DevServerOptions): Promise<DevServer> {
  const address = `${DEV_HOST}:${o.port}`;
  const uiUrl = `http://${DEV_HOST}:${o.uiPort}`;
  // Its own process group: Ctrl-C in the terminal reaches only `dev`, which then stops the worker
  // before the server, instead of the server vanishing under a worker that is still draining.
  const child = spawn(o.bin, devServerArgs(o), { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  const recent: string[] = [];
  linesOf(child, (line) => {
    recent.push(line);
    if (recent.length > 20) recent.shift();
    o.onLine?.(line);
  });
  const exited = new Promise<number | null>((resolve) => {
    child.once('exit', (code) => resolve(code));
    child.once('error', (error) => {
      recent.push(error.message);
      resolve(null);
    });
  });
  const stop = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const killed = await Promise.race([exited.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 10_000))]);
    if (!killed) {
      child.kill('SIGKILL');
      await exited;
    }
  };
  try {
    // Recorded before the wait: a stack killed while its server starts must still be able to stop it later.
    if (child.pid !== undefined) await o.onSpawn?.(child.pid);
    await waitForServer(address, uiUrl, o.namespace ?? 'default', { timeoutMs: o.readyTimeoutMs ?? 60_000, exited });
  } catch (error) {
    await stop();
    const output = recent.join('\n');
    if (/address already in use/.test(output)) {
      const ours = [o.port, o.uiPort].some((port) => output.includes(`:${port}:`) || output.includes(`:${port} `));
      const message = `a port the Temporal dev server needs was taken while it started:\n${output}`;
      throw ours ? new PortInUseError(message) : new OwnPortRaceError(message);
    }
    throw new DevServerError(`${(error as Error).message}${output ? `\n${output}` : ''}`);
  }
  if (child.pid === undefined) throw new DevServerError('the Temporal dev server did not start');
  const killNow = (): void => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
  };
  return { pid: child.pid, address, uiUrl, exited, stop, killNow };
}

// The local embedded stack in one process: the Temporal dev server (child), a worker with local
// adapters (folder buckets, child-process jobs) and a watcher that turns new files in the source
// bucket folders into create-object events for the same starter handler the OCI function runs.
import { appendFile, mkdir } from 'node:fs/promises';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import type { Config } from '../config.js';
import type { ObjectStore } from '../ports.js';
import { decodeObjectPath } from '../adapters/local/safe-path.js';
import { handleEvent, type StarterResult } from '../starter-fn/handler.js';
import { createTemporalStarter } from '../starter-fn/temporal-starter.js';
import { openAdapters } from '../worker/adapters.js';
import { createWorker } from '../worker/create-worker.js';
import { SEARCH_ATTRIBUTES } from '../workflows/definitions.js';
import { cachedWorkflowBundle } from './bundle-cache.js';
import { DEV_HOST, startDevServer, type DevServer } from './dev-server.js';
import { stackPaths, type StackPaths } from './paths.js';
import { startStackPreview } from './preview.js';
import { claimState, processStart, releaseState, updateState, type StackState, type StaleStack } from './state.js';
import { findTemporalBin } from './temporal-bin.js';
import { watchBuckets, type BucketWatcher } from './watcher.js';

export const STACK_NAMESPACE = 'default';

export class StackAlreadyRunningError extends Error {
  override readonly name = 'StackAlreadyRunningError';
  constructor(readonly other: StackState) {
    super(`a stack is already running for ${other.dataDir} (pid ${other.pid}, Web UI ${other.uiUrl}); stop it with \`npx oci-transcode stop\``);
  }
}

export interface RunningStack {
  state: StackState;
  paths: StackPaths;
  store: ObjectStore;
  client: Client;
  watcher: BucketWatcher;
  /** Resolves when the stack has stopped for any reason: with the failure when a part died, else undefined. */
  stopped: Promise<string | undefined>;
  stop(reason?: string): Promise<void>;
}

export async function startStack(config: Config, log: (line: string) => void = console.log): Promise<RunningStack> {
  const paths = stackPaths(config.dataDir);
  await mkdir(paths.bucketsDir, { recursive: true });
  const { port, uiPort } = config.dev;
  let state: StackState = {
    schema: 1, pid: process.pid, pidStart: processStart(process.pid), ready: false, address: `${DEV_HOST}:${port}`, port, uiPort,
    uiUrl: `http://${DEV_HOST}:${uiPort}`, namespace: STACK_NAMESPACE, taskQueue: config.taskQueue,
    dataDir: paths.dataDir, startedAt: new Date().toISOString(),
  };
  let stale: StaleStack | undefined;
  const claim = await claimState(paths.stateFile, state, { onStale: (found) => (stale = found) });
  if (!claim.claimed) throw new StackAlreadyRunningError(claim.other);
  if (stale) {
    const left = stale.reapedServerPid ? `; stopped the Temporal dev server it left running (pid ${stale.reapedServerPid})` : '';
    log(`[stack] the previous stack (pid ${stale.state.pid}) had died without stopping${left}; open runs continue from ${paths.dbFile}`);
  }

  // Undo in reverse order; each step registers its own undo as soon as it exists.
  const undo: (() => Promise<void>)[] = [];
  let server: DevServer | undefined;
  let stopping: Promise<void> | undefined;
  const onExit = (): void => server?.killNow();
  process.once('exit', onExit);
  const teardown = async (): Promise<void> => {
    for (const step of undo.reverse()) {
      try {
        await step();
      } catch (error) {
        log(`[stack] while stopping: ${(error as Error).message}`);
      }
    }
    undo.length = 0;
    await releaseState(paths.stateFile, process.pid);
    process.off('exit', onExit);
  };

  try {
    const bin = findTemporalBin({ explicit: config.dev.temporalBin, dataDir: paths.dataDir });
    log(`[stack] starting the Temporal dev server (${bin}) on ${state.address}`);
    server = await startDevServer({
      bin, dbFile: paths.dbFile, port, uiPort, namespace: STACK_NAMESPACE,
      onSpawn: async (pid) => {
        state = { ...state, serverPid: pid, serverPidStart: processStart(pid) };
        await updateState(paths.stateFile, state);
      },
      searchAttributes: Object.fromEntries(Object.values(SEARCH_ATTRIBUTES).map((key) => [key.name, 'Keyword'])),
      // The server's banner repeats what we print ourselves, and its shutdown chatter is noise.
      onLine: (line) => {
        if (!stopping && !/^(Temporal (CLI|Server|Persistence|UI|Metrics)|\s*$)/.test(line)) log(`[temporal] ${line}`);
      },
    });
    const devServer = server;
    undo.push(() => devServer.stop());
    state = { ...state, uiUrl: server.uiUrl };

    // The worker process's own local adapters: folder buckets under <dataDir>/buckets, child-process jobs.
    const adapters = await openAdapters({ ...config, mode: 'local', dataDir: paths.dataDir });
    undo.push(() => adapters.close());
    const { store, jobs, transcoderEnv, notify } = adapters;
    const nativeConnection = await NativeConnection.connect({ address: server.address });
    undo.push(() => nativeConnection.close());
    const worker = await createWorker({
      connection: nativeConnection, namespace: STACK_NAMESPACE, config, store, jobs, transcoderEnv, notify, workflowBundle: await cachedWorkflowBundle(),
    });
    const workerRun = worker.run();
    undo.push(async () => {
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await workerRun;
    });

    const connection = await Connection.connect({ address: server.address });
    undo.push(() => connection.close());
    const client = new Client({ connection, namespace: STACK_NAMESPACE });
    const preview = await startStackPreview(config, client, store, state.uiUrl, log);
    if (preview) {
      undo.push(() => preview.close());
      state = { ...state, previewUrl: preview.url };
    }
    const starter = createTemporalStarter(client, config);

    const watcher = await watchBuckets({
      bucketsDir: paths.bucketsDir, buckets: config.sourceBuckets, namespace: config.namespace,
      head: (bucket, name) => store.head(bucket, name),
      // The folder store maps unsafe names to escaped file names; map them back the same way.
      nameOf: decodeObjectPath,
      deliver: async (event) => {
        const { resourceName: object, additionalDetails: d } = event.data;
        let answer: StarterResult | { outcome: 'error'; reason: string };
        try {
          answer = await handleEvent(event, { starter, config });
        } catch (error) {
          answer = { outcome: 'error', reason: (error as Error).message };
        }
        const reason = 'reason' in answer ? ` (${answer.reason})` : '';
        log(`[watcher] ${d.bucketName}/${object} eTag ${d.eTag}: ${answer.outcome}${reason}`);
        // The journal lets `run` explain an upload that started nothing.
        const line = { time: event.eventTime, eventID: event.eventID, bucket: d.bucketName, object, etag: d.eTag, ...answer };
        await appendFile(paths.eventsFile, `${JSON.stringify(line)}\n`);
      },
      onError: (error, context) => log(`[watcher] ${context}: ${error.message}`),
    });
    undo.push(() => watcher.close());

    state = { ...state, ready: true };
    await updateState(paths.stateFile, state);

    let failure: string | undefined;
    let resolveStopped: (failure: string | undefined) => void = () => undefined;
    const stopped = new Promise<string | undefined>((resolve) => (resolveStopped = resolve));
    const stop = (reason?: string): Promise<void> => {
      if (stopping) return stopping;
      if (reason) log(`[stack] stopping: ${reason}`);
      stopping = teardown().then(() => resolveStopped(failure));
      return stopping;
    };
    const fail = (reason: string): Promise<void> => {
      if (!stopping) failure = reason;
      return stop(reason);
    };
    // Either part dying takes the whole stack down: a half-running stack would accept uploads it never runs.
    void devServer.exited.then((code) => fail(`the Temporal dev server exited unexpectedly (code ${code})`));
    void workerRun.then(() => fail('the worker stopped unexpectedly'), (error: unknown) => fail(`the worker failed: ${(error as Error).message}`));
    return { state, paths, store, client, watcher, stopped, stop };
  } catch (error) {
    await teardown();
    throw error;
  }
}

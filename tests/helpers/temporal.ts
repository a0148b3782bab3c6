// A real Temporal dev server (the `temporal` CLI binary, never a download) and workers running the
// real workflow bundle with real local adapters: folder buckets and detached-process jobs.
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { WorkflowHandle } from '@temporalio/client';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import type { WorkflowBundle } from '@temporalio/worker';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { LocalFolderStore } from '../../src/adapters/local/object-store.js';
import type { LocalJobRunner } from '../../src/adapters/local/job-runner.js';
import { createLocalJobRunner } from '../../src/adapters/local/job-runner.js';
import type { Config } from '../../src/config.js';
import { loadConfig } from '../../src/config.js';
import type { TranscodeRequest } from '../../src/domain/types.js';
import type { JobRunner } from '../../src/ports.js';
import { requestFor } from '../../src/domain/events.js';
import { findTemporalBin } from '../../src/stack/temporal-bin.js';
import { startTranscode, type StartResult } from '../../src/starter-fn/handler.js';
import { createTemporalStarter } from '../../src/starter-fn/temporal-starter.js';
import { baseJobEnv, TRANSCODER_BIN } from '../../src/worker/adapters.js';
import { bundleWorkflows, createWorker, type TranscodeWorkers } from '../../src/worker/create-worker.js';
import type { transcode } from '../../src/workflows/transcode.js';
import type { Progress } from '../../src/workflows/definitions.js';
import { progressQuery, SEARCH_ATTRIBUTES, WORKFLOW_TYPE } from '../../src/workflows/definitions.js';

let runtimeInstalled = false;

/** Workflow, activity and worker logs only when something is wrong: tests print their own story. */
export function quietRuntime(): void {
  if (runtimeInstalled) return;
  Runtime.install({ logger: new DefaultLogger(process.env.TEST_LOG_LEVEL === 'debug' ? 'DEBUG' : 'ERROR') });
  runtimeInstalled = true;
}

/** Starts `temporal server start-dev` on a free port with our search attributes registered. */
export async function startTemporal(): Promise<TestWorkflowEnvironment> {
  quietRuntime();
  return TestWorkflowEnvironment.createLocal({
    server: {
      executable: { type: 'existing-path', path: findTemporalBin() },
      ip: '127.0.0.1',
      searchAttributes: [SEARCH_ATTRIBUTES.source, SEARCH_ATTRIBUTES.stage],
      log: { format: 'pretty', level: 'error' },
    },
  });
}

let bundle: Promise<WorkflowBundle> | undefined;
/** The workflow bundle, built once per test file and shared by its workers. */
export function workflowBundle(): Promise<WorkflowBundle> {
  return (bundle ??= bundleWorkflows());
}

export const SOURCE_BUCKET = 'media-in';
export const DEST_BUCKET = 'media-out';

export interface TestStack {
  env: TestWorkflowEnvironment;
  dataDir: string;
  config: Config;
  store: LocalFolderStore;
  /** The real local runner; `jobs` below may wrap it. */
  local: LocalJobRunner;
  jobs: JobRunner;
  worker: TranscodeWorkers;
  /** Copies a file into the source bucket; returns its etag. */
  upload(file: string, object: string): Promise<string>;
  start(request: Partial<TranscodeRequest> & { object: string }, workflowId?: string): Promise<WorkflowHandle<typeof transcode>>;
  /** The starter's path: an upload event for the object as it is now (Update-with-start on its workflow id). */
  announce(object: string, etag?: string): Promise<StartResult>;
  /** Polls the progress query until `until` holds (or the run ends). */
  waitForProgress(handle: WorkflowHandle, until: (p: Progress) => boolean, timeoutMs?: number): Promise<Progress>;
  stopWorker(): Promise<void>;
  /** Stops the worker and removes the data dir. */
  close(): Promise<void>;
}

export interface TestStackOptions {
  /** Wraps the real local runner, e.g. with createFaultRunner. */
  jobs?: (local: LocalJobRunner, paths: { dataDir: string; bucketsDir: string }) => JobRunner;
  config?: Partial<Config>;
  job?: Partial<Config['job']>;
  /** Reuse a data dir (a second worker after a simulated crash). */
  dataDir?: string;
  taskQueue?: string;
}

export async function startStack(env: TestWorkflowEnvironment, options: TestStackOptions = {}): Promise<TestStack> {
  const dataDir = options.dataDir ?? (await mkdtemp(join(tmpdir(), 'oci-transcode-wf-')));
  const bucketsDir = join(dataDir, 'buckets');
  const base = loadConfig({});
  const config: Config = {
    ...base,
    dataDir,
    taskQueue: options.taskQueue ?? `transcode-test-${randomBytes(4).toString('hex')}`,
    // Fast polls and short backoffs keep the suite quick; the logic is the same.
    job: { ...base.job, pollSec: 0.25, backoffSec: 0.2, timeoutSec: 300, ...options.job },
    ...options.config,
  };
  const store = new LocalFolderStore(bucketsDir, config.namespace);
  const local = createLocalJobRunner({ dataDir, bucketsDir, command: [process.execPath, TRANSCODER_BIN], env: baseJobEnv(), cwd: resolve('.') });
  const jobs = options.jobs ? options.jobs(local, { dataDir, bucketsDir }) : local;
  const worker = await createWorker({
    connection: env.nativeConnection,
    namespace: env.namespace ?? 'default',
    config,
    store,
    jobs,
    workflowBundle: await workflowBundle(),
    shutdownGraceTimeMs: 500,
  });
  const running = worker.run();
  let stopped = false;
  const stopWorker = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    if (worker.getState() === 'RUNNING') worker.shutdown();
    await running;
  };

  return {
    env,
    dataDir,
    config,
    store,
    local,
    jobs,
    worker,
    async upload(file, object) {
      return (await store.putFile(SOURCE_BUCKET, object, file)).etag;
    },
    async start(request, workflowId) {
      const { object, ...rest } = request;
      const head = await store.head(SOURCE_BUCKET, object);
      const full: TranscodeRequest = {
        source: { namespace: config.namespace, bucket: SOURCE_BUCKET, object, ...(head ? { etag: head.etag } : {}) },
        dest: { bucket: DEST_BUCKET },
        ...rest,
      };
      return env.client.workflow.start<typeof transcode>(WORKFLOW_TYPE, {
        taskQueue: config.taskQueue,
        workflowId: workflowId ?? `transcode-test-${randomBytes(6).toString('hex')}`,
        args: [full],
      });
    },
    async announce(object, etag) {
      const now = etag ?? (await store.head(SOURCE_BUCKET, object))?.etag;
      const source = { namespace: config.namespace, bucket: SOURCE_BUCKET, object, ...(now ? { etag: now } : {}) };
      return startTranscode(requestFor(source, config), { starter: createTemporalStarter(env.client, config), config });
    },
    async waitForProgress(handle, until, timeoutMs = 60_000) {
      const deadline = Date.now() + timeoutMs;
      let last: Progress | undefined;
      while (Date.now() < deadline) {
        last = await handle.query(progressQuery).catch(() => last);
        if (last && until(last)) return last;
        await new Promise((done) => setTimeout(done, 100));
      }
      throw new Error(`progress never reached the expected state; last: ${JSON.stringify(last)}`);
    },
    stopWorker,
    async close() {
      await stopWorker();
      // A failed test must not leave transcoders running on a shared machine.
      for (const job of await local.list({})) await local.delete(job);
      if (!options.dataDir) await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** Results of one activity type in a run, decoded from its history (default JSON payloads). */
export async function activityResults<T>(handle: WorkflowHandle, type: string): Promise<T[]> {
  const events = (await handle.fetchHistory()).events ?? [];
  const scheduled = new Map(
    events.flatMap((e) => (e.activityTaskScheduledEventAttributes ? [[String(e.eventId), e.activityTaskScheduledEventAttributes.activityType?.name]] : [])),
  );
  return events.flatMap((e) => {
    const done = e.activityTaskCompletedEventAttributes;
    if (!done || scheduled.get(String(done.scheduledEventId)) !== type) return [];
    const data = done.result?.payloads?.[0]?.data;
    return data ? [JSON.parse(Buffer.from(data).toString('utf8')) as T] : [];
  });
}

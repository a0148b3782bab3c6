// A Worker for the `transcode` task queue: the workflow bundle plus activities bound to two ports.
// Used by the worker process (main.ts), the local stack and the tests.
import { fileURLToPath } from 'node:url';
import type { NativeConnection, WorkflowBundle } from '@temporalio/worker';
import { bundleWorkflowCode, DefaultLogger, Worker } from '@temporalio/worker';
import { createActivities } from '../activities/index.js';
import type { Config } from '../config.js';
import type { JobRunner, ObjectStore } from '../ports.js';
import { livenessHeartbeats } from './liveness.js';

/** The bundle entry; .ts when run through tsx (the CLI, tests), .js once compiled. */
export const workflowsPath = fileURLToPath(new URL(`../workflows/index${import.meta.url.endsWith('.ts') ? '.ts' : '.js'}`, import.meta.url));

/** Bundles the workflow code once (a few seconds), for starting several workers or replaying. */
export async function bundleWorkflows(): Promise<WorkflowBundle> {
  return bundleWorkflowCode({ workflowsPath, logger: new DefaultLogger('WARN') });
}

export interface CreateWorkerOptions {
  connection: NativeConnection;
  namespace: string;
  config: Config;
  store: ObjectStore;
  jobs: JobRunner;
  /** Environment every transcoder job gets (a container's environmentVariables). */
  transcoderEnv?: Record<string, string>;
  /** A prebuilt bundle (see bundleWorkflows); bundled from workflowsPath when absent. */
  workflowBundle?: WorkflowBundle;
  identity?: string;
  /** How long in-flight activities get on shutdown before they are cancelled (awaitJob then resumes elsewhere). */
  shutdownGraceTimeMs?: number;
  maxConcurrentActivityTaskExecutions?: number;
}

export async function createWorker(options: CreateWorkerOptions): Promise<Worker> {
  const { connection, namespace, config, store, jobs } = options;
  const activities = createActivities({ store, jobs, config, ...(options.transcoderEnv ? { transcoderEnv: options.transcoderEnv } : {}) });
  return Worker.create({
    connection,
    namespace,
    taskQueue: config.taskQueue,
    ...(options.workflowBundle ? { workflowBundle: options.workflowBundle } : { workflowsPath }),
    activities,
    interceptors: { activity: [livenessHeartbeats] },
    ...(options.identity ? { identity: options.identity } : {}),
    shutdownGraceTime: options.shutdownGraceTimeMs ?? 5_000,
    // awaitJob mostly sleeps between polls: many can share a worker.
    maxConcurrentActivityTaskExecutions: options.maxConcurrentActivityTaskExecutions ?? 200,
  });
}

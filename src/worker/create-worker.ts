// The workers of a process: one for the `transcode` task queue (the workflows and every short activity)
// and one for the jobs task queue, where awaitJob waits out transcodes of minutes to hours. Separate slot
// budgets, so a burst of long jobs never blocks startJob, deleteJobs, publishing or the janitor.
// Used by the worker process (main.ts), the local stack and the tests.
import { fileURLToPath } from 'node:url';
import type { NativeConnection, WorkerOptions, WorkflowBundle } from '@temporalio/worker';
import { bundleWorkflowCode, DefaultLogger, Worker } from '@temporalio/worker';
import { createActivities, type ActivityDeps } from '../activities/index.js';
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
  /** What notifications are sent with (openAdapters' notify); without it, webhooks signed with the config's secret only, no topics. */
  notify?: ActivityDeps['notify'];
  /** A prebuilt bundle (see bundleWorkflows); bundled from workflowsPath when absent. */
  workflowBundle?: WorkflowBundle;
  identity?: string;
  /** How long in-flight activities get on shutdown before they are cancelled (awaitJob then resumes elsewhere). */
  shutdownGraceTimeMs?: number;
  /** Slots for the short activities (awaitJob has a budget of its own). */
  maxConcurrentActivityTaskExecutions?: number;
  /** awaitJob slots: each mostly sleeps between polls, so many share a process. */
  maxConcurrentJobWaits?: number;
  /** Activities to register instead of createActivities(ports): workflow tests with stub activities. */
  activities?: ReturnType<typeof createActivities>;
}

/** Both workers, run and stopped together: one failing stops the other. */
export class TranscodeWorkers {
  constructor(readonly main: Worker, readonly jobs: Worker) {}

  getState(): ReturnType<Worker['getState']> {
    return this.main.getState();
  }

  shutdown(): void {
    for (const w of [this.main, this.jobs]) if (w.getState() === 'RUNNING') w.shutdown();
  }

  async run(): Promise<void> {
    const runs = [this.main.run(), this.jobs.run()];
    try {
      await Promise.race(runs);
    } finally {
      this.shutdown();
      await Promise.allSettled(runs);
    }
    await Promise.all(runs); // rethrows the failure that stopped them, if one did
  }
}

/** Worker Versioning: with a build id, both workers are that version of the deployment; `transcode` runs are pinned to it. */
export function deploymentOptions(config: Pick<Config, 'deploymentName' | 'buildId'>): Pick<WorkerOptions, 'workerDeploymentOptions'> {
  if (!config.buildId) return {};
  return {
    workerDeploymentOptions: {
      useWorkerVersioning: true,
      version: { deploymentName: config.deploymentName, buildId: config.buildId },
      defaultVersioningBehavior: 'PINNED',
    },
  };
}

export async function createWorker(options: CreateWorkerOptions): Promise<TranscodeWorkers> {
  const { connection, namespace, config, store, jobs } = options;
  const activities =
    options.activities ??
    createActivities({ store, jobs, config, ...(options.transcoderEnv ? { transcoderEnv: options.transcoderEnv } : {}), ...(options.notify ? { notify: options.notify } : {}) });
  const { awaitJob } = activities;
  const common = {
    connection,
    namespace,
    interceptors: { activity: [livenessHeartbeats] },
    ...(options.identity ? { identity: options.identity } : {}),
    shutdownGraceTime: options.shutdownGraceTimeMs ?? 5_000,
    ...deploymentOptions(config),
  };
  const main = await Worker.create({
    ...common,
    taskQueue: config.taskQueue,
    ...(options.workflowBundle ? { workflowBundle: options.workflowBundle } : { workflowsPath }),
    // awaitJob too, for runs recorded before it had a queue of its own (they schedule it here).
    activities,
    maxConcurrentActivityTaskExecutions: options.maxConcurrentActivityTaskExecutions ?? 100,
  });
  const waits = await Worker.create({
    ...common,
    taskQueue: config.jobsTaskQueue,
    activities: { awaitJob },
    maxConcurrentActivityTaskExecutions: options.maxConcurrentJobWaits ?? 2_000,
  });
  return new TranscodeWorkers(main, waits);
}

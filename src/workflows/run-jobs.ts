// Runs every job of a plan concurrently. Each job gets up to maxAttempts fresh instances: a crash,
// a transient exit or a vanished job deletes the failed instance and retries after a growing backoff;
// exit 65 (bad input) fails the whole run at once with the transcoder's own words.
import { ApplicationFailure, CancellationScope, CancelledFailure, isCancellation, log, metricMeter, sleep } from '@temporalio/workflow';
import { isChunked } from '../domain/chunks.js';
import { METRICS } from '../domain/metrics.js';
import type { JobOutcome, RunSettings } from '../activities/index.js';
import { EXIT } from '../domain/types.js';
import type { DestRef, JobSpec, Plan, SourceRef } from '../domain/types.js';
import type { JobHandle } from '../ports.js';
import { jobControl, jobStart, jobWatch } from './proxies.js';
import type { RunState } from './run-state.js';
import { slots } from './slots.js';

export interface JobsContext {
  run: RunState;
  plan: Plan;
  source: SourceRef & { etag: string };
  dest: DestRef;
  settings: RunSettings;
  workflowId: string;
  runId: string;
  /** Called once every preview job (JobSpec.preview) has succeeded, while the other jobs go on. */
  onPreview?: () => Promise<void>;
  /** The jobs to run (default every job of the plan); each still gets the plan as a whole. */
  jobs?: JobSpec[];
}

const MAX_BACKOFF_SEC = 600;
/** Chunk jobs signal progress at 0, 50 and 100 % only: a run may have hundreds (domain/chunks.ts historyBudget). */
const CHUNK_PROGRESS_STEP = 50;

/** Replay-safe: the workflow meter counts only while the run really executes. */
export function count(key: keyof typeof METRICS): void {
  const { name, unit, description } = METRICS[key];
  metricMeter.createCounter(name, unit, description).add(1);
}

export function backoffSec(settings: RunSettings, failedAttempt: number): number {
  return Math.min(MAX_BACKOFF_SEC, settings.job.backoffSec * 2 ** (failedAttempt - 1));
}

function describe(outcome: JobOutcome): string {
  const how =
    outcome.phase === 'gone'
      ? `vanished (${outcome.message ?? 'no exit code'})`
      : outcome.exitCode !== undefined
        ? `exited with code ${outcome.exitCode}${outcome.exitCode === EXIT.TRANSIENT ? ' (transient)' : ''}`
        : (outcome.message ?? 'failed');
  return outcome.errorLines.length > 0 ? `${how}:\n${outcome.errorLines.join('\n')}` : how;
}

const messageOf = (error: unknown): string =>
  error instanceof Error ? (error.cause instanceof Error ? `${error.message}: ${error.cause.message}` : error.message) : String(error);

async function runJob(ctx: JobsContext, spec: JobSpec): Promise<void> {
  const { run, settings } = ctx;
  const { awaitJob } = jobWatch(settings);
  const { startJob } = jobStart(settings);
  let last = '';
  for (let attempt = 1; attempt <= settings.job.maxAttempts; attempt++) {
    Object.assign(run.job(spec.id), { attempt, state: 'starting', percent: 0 });
    const idempotencyKey = `${ctx.workflowId}/${ctx.runId}/${spec.id}/${attempt}`;
    // Never abandoned half-way: a start that succeeds must leave its handle with us for cleanup.
    const handle = await CancellationScope.nonCancellable(() =>
      startJob({
        source: ctx.source,
        dest: ctx.dest,
        // A chunk gets the plan with only its own job: hundreds of starts stay small in the history and
        // in the container's arguments (64 KB at most on OCI).
        plan: spec.chunk ? { ...ctx.plan, jobs: [spec] } : ctx.plan,
        jobId: spec.id,
        attempt,
        idempotencyKey,
        workflowId: ctx.workflowId,
        runId: ctx.runId,
      }),
    );
    run.started(spec.id, attempt, handle);

    let outcome: JobOutcome;
    try {
      outcome = await awaitJob({ handle, jobId: spec.id, attempt, pollSec: settings.job.pollSec, ...(spec.chunk ? { progressStep: CHUNK_PROGRESS_STEP } : {}) });
    } catch (error) {
      if (isCancellation(error)) throw error;
      outcome = { phase: 'failed', errorLines: [], message: `could not follow the job: ${messageOf(error)}` };
    }
    const job = run.job(spec.id);
    if (outcome.phase === 'succeeded') {
      Object.assign(job, { state: 'succeeded', percent: 100 });
      // A time-split run frees each instance as soon as its chunk is done: the cap counts live instances.
      if (isChunked(ctx.plan)) await deleteFinished(run, spec.id, handle);
      return;
    }
    job.state = 'failed';
    if (outcome.exitCode === EXIT.BAD_INPUT) {
      throw ApplicationFailure.nonRetryable(
        `The transcoder rejected the source (job ${spec.id}, exit 65):\n${outcome.errorLines.join('\n') || '(no error lines)'}`,
        'BadInput',
        { jobId: spec.id, attempt, errorLines: outcome.errorLines },
      );
    }
    last = describe(outcome);
    log.warn('job failed', { stage: 'transcoding', jobId: spec.id, attempt, handle: handle.id, reason: last });
    count('jobsFailed');
    if (attempt < settings.job.maxAttempts) count('jobsRetried');
    await jobControl.deleteJobs({ handles: [handle] });
    run.markDeleted(handle);
    job.state = 'deleted';
    const wait = backoffSec(settings, attempt);
    if (attempt < settings.job.maxAttempts && wait > 0) await sleep(`${wait}s`);
  }
  throw ApplicationFailure.nonRetryable(
    `Job ${spec.id} failed on ${settings.job.maxAttempts} fresh instance(s); the last one ${last}`,
    'JobFailed',
    { jobId: spec.id, attempts: settings.job.maxAttempts },
  );
}

async function deleteFinished(run: RunState, jobId: string, handle: JobHandle): Promise<void> {
  await jobControl.deleteJobs({ handles: [handle] });
  run.markDeleted(handle);
  run.job(jobId).state = 'deleted';
}

/** A job still waiting for a slot when the run is cancelled never starts (its start could not be cancelled). */
function unlessCancelled(): void {
  if (CancellationScope.current().consideredCancelled) throw new CancelledFailure('cancelled before it got an instance');
}

/**
 * All jobs at once; the first hard failure cancels the others, which then settle before we return. A
 * time-split plan runs at most `chunking.maxInstances` jobs at a time, in plan order (audio first, then any
 * preview jobs).
 */
export async function runJobs(ctx: JobsContext): Promise<void> {
  const scope = new CancellationScope();
  const cap = isChunked(ctx.plan) && ctx.settings.chunking ? slots(ctx.settings.chunking.maxInstances, unlessCancelled) : <T>(task: () => Promise<T>) => task();
  await scope.run(async () => {
    const specs = ctx.jobs ?? ctx.plan.jobs;
    const jobs = specs.map((spec) => cap(() => runJob(ctx, spec)));
    const previews = jobs.filter((_, i) => specs[i]!.preview);
    const onPreview = ctx.onPreview;
    // The preview's publish holds no instance slot: the other chunks keep every instance busy meanwhile.
    const preview = onPreview && previews.length > 0 ? Promise.all(previews).then(() => onPreview()) : undefined;
    try {
      await Promise.all(preview ? [...jobs, preview] : jobs);
    } catch (error) {
      scope.cancel();
      // Every start in flight must have recorded its handle, and a preview being published must be
      // written, before cleanup runs.
      await Promise.allSettled(preview ? [...jobs, preview] : jobs);
      throw error;
    }
  });
}

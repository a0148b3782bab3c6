// Runs every job of a plan concurrently. Each job gets up to maxAttempts fresh instances: a crash,
// a transient exit or a vanished job deletes the failed instance and retries after a growing backoff;
// exit 65 (bad input) fails the whole run at once with the transcoder's own words.
import { ApplicationFailure, CancellationScope, isCancellation, log, metricMeter, sleep } from '@temporalio/workflow';
import { METRICS } from '../domain/metrics.js';
import type { JobOutcome, RunSettings } from '../activities/index.js';
import { EXIT } from '../domain/types.js';
import type { DestRef, JobSpec, Plan, SourceRef } from '../domain/types.js';
import { jobControl, jobStart, jobWatch } from './proxies.js';
import type { RunState } from './run-state.js';

export interface JobsContext {
  run: RunState;
  plan: Plan;
  source: SourceRef & { etag: string };
  dest: DestRef;
  settings: RunSettings;
  workflowId: string;
  runId: string;
}

const MAX_BACKOFF_SEC = 600;

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
        plan: ctx.plan,
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
      outcome = await awaitJob({ handle, jobId: spec.id, attempt, pollSec: settings.job.pollSec });
    } catch (error) {
      if (isCancellation(error)) throw error;
      outcome = { phase: 'failed', errorLines: [], message: `could not follow the job: ${messageOf(error)}` };
    }
    const job = run.job(spec.id);
    if (outcome.phase === 'succeeded') {
      Object.assign(job, { state: 'succeeded', percent: 100 });
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

/** All jobs at once; the first hard failure cancels the others, which then settle before we return. */
export async function runJobs(ctx: JobsContext): Promise<void> {
  const scope = new CancellationScope();
  await scope.run(async () => {
    const jobs = ctx.plan.jobs.map((spec) => runJob(ctx, spec));
    try {
      await Promise.all(jobs);
    } catch (error) {
      scope.cancel();
      // Every start in flight must have recorded its handle before cleanup runs.
      await Promise.allSettled(jobs);
      throw error;
    }
  });
}

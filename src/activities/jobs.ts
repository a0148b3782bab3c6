// Job activities: start a transcoder job (idempotently), await it with heartbeats, delete jobs.
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { APP_TAG, JOB_TAGS } from '../domain/job-tags.js';
import { METRICS } from '../domain/metrics.js';
import { isTransient } from '../retry.js';
import { normalizePrefix } from '../domain/layout.js';
import { formatOciUri } from '../domain/oci-uri.js';
import { JobLaunchError, TransientError, type JobHandle, type JobState } from '../ports.js';
import { parseLatestProgress } from '../domain/contract.js';
import { jobProgressSignal } from '../workflows/definitions.js';
import type { ActivityDeps } from './deps.js';
import type { AwaitJobInput, DeleteJobsInput, JobOutcome, StartJobInput } from './types.js';


/** The transcoder's command line, exactly as a container gets it. */
export function transcoderArgs(input: Pick<StartJobInput, 'source' | 'dest' | 'plan' | 'jobId'>, namespace: string): string[] {
  const { source, dest, plan, jobId } = input;
  return [
    'transcode',
    '--source', formatOciUri({ namespace: source.namespace, bucket: source.bucket, name: source.object }),
    '--dest', formatOciUri({ namespace, bucket: dest.bucket, name: normalizePrefix(dest.prefix) }),
    '--plan', JSON.stringify(plan),
    '--job', jobId,
  ];
}

/** The transcoder's own error lines: its JSON error events, else the last lines it printed. */
export function errorLines(logTail: string, max = 20): string[] {
  const lines = logTail.split('\n').map((l) => l.trimEnd()).filter(Boolean);
  const events: string[] = [];
  for (const line of lines) {
    // stdout and stderr interleave: an event may follow other text on the same line.
    const start = line.indexOf('{"event":"error"');
    if (start < 0) continue;
    try {
      const event = JSON.parse(line.slice(start)) as { message?: unknown };
      events.push(String(event.message));
    } catch {
      // cut by the tail window or by interleaving
    }
  }
  const chosen = events.length > 0 ? events : lines.filter((l) => !l.includes('{"event":"progress"'));
  return chosen.slice(-max).map((l) => (l.length > 500 ? `${l.slice(0, 500)}…` : l));
}

const TERMINAL = new Set<JobState['phase']>(['succeeded', 'failed', 'gone']);
/** Progress reaches the workflow as a signal only on steps this big, to keep the history short. */
const SIGNAL_STEP = 5;
/** One poll (state or logs) that takes longer than this counts as failed; the next poll tries again. */
const POLL_CALL_TIMEOUT_MS = 60_000;
/** Polls failing for this long (and at least 5 poll intervals) fail the attempt; its retry resumes the job. */
const STALL_MS = 5 * 60_000;

/** Rejects with a TransientError when `promise` takes longer than `ms` (the SDK's calls have no deadline). */
async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new TransientError(`${what} took longer than ${ms / 1000} s`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

const counter = (ctx: Context, key: keyof typeof METRICS) => {
  const { name, unit, description } = METRICS[key];
  return ctx.metricMeter.createCounter(name, unit, description);
};

export function createJobActivities(deps: ActivityDeps) {
  const { jobs, store } = deps;

  async function startJob(input: StartJobInput): Promise<JobHandle> {
    const spec = input.plan.jobs.find((j) => j.id === input.jobId);
    if (!spec) throw ApplicationFailure.nonRetryable(`plan has no job ${input.jobId}`, 'InvalidRequest');
    const ctx = Context.current();
    const launch = {
      idempotencyKey: input.idempotencyKey,
      displayName: `oci-transcode ${input.source.object.slice(-120)} ${input.jobId} #${input.attempt}`,
      args: transcoderArgs(input, store.namespace),
      env: deps.transcoderEnv ?? {},
      tags: {
        [JOB_TAGS.app]: APP_TAG,
        [JOB_TAGS.workflowId]: input.workflowId,
        [JOB_TAGS.runId]: input.runId,
        [JOB_TAGS.jobId]: input.jobId,
        [JOB_TAGS.attempt]: String(input.attempt),
        // The janitor judges only its own namespace's jobs (a compartment may serve several).
        [JOB_TAGS.namespace]: ctx.info.namespace,
      },
    };
    let handle: JobHandle;
    try {
      handle = { ...(await jobs.start(launch, { signal: ctx.cancellationSignal })), startedAt: new Date().toISOString() };
    } catch (error) {
      if (error instanceof JobLaunchError) throw ApplicationFailure.nonRetryable(error.message, 'JobLaunchFailed');
      throw error;
    }
    counter(ctx, 'jobsStarted').add(1);
    ctx.log.info('job started', { stage: 'transcoding', jobId: input.jobId, attempt: input.attempt, handle: handle.id, placement: handle.placement });
    return handle;
  }

  async function awaitJob(input: AwaitJobInput): Promise<JobOutcome> {
    const ctx = Context.current();
    const { handle, jobId, attempt } = input;
    // After a worker crash the retried attempt resumes the same job, from the last heartbeat.
    const resumed = ctx.info.heartbeatDetails as { percent?: number } | undefined;
    let percent = resumed?.percent ?? 0;
    let phase: JobState['phase'] = 'starting';
    if (ctx.info.attempt > 1) ctx.log.info('resuming job', { stage: 'transcoding', jobId, attempt, handle: handle.id, percent });
    const step = input.progressStep ?? SIGNAL_STEP;
    let signalled = -step;
    const execution = ctx.info.workflowExecution;
    const pollMs = input.pollSec * 1000;
    // Heartbeats come from a timer, not from each poll: polls are tens of seconds apart and one may take a
    // while, and a cancellation reaches the activity only with a heartbeat's answer.
    const beatEvery = Math.max(1000, Math.min(10_000, Math.floor((ctx.info.heartbeatTimeoutMs ?? 30_000) / 3)));
    const beat = setInterval(() => ctx.heartbeat({ percent, phase }), beatEvery);
    ctx.heartbeat({ percent, phase });
    let lastContact = Date.now();
    const poll = async <T>(call: () => Promise<T>, what: string): Promise<T | undefined> => {
      try {
        const value = await within(call(), POLL_CALL_TIMEOUT_MS, `${what} of ${handle.id}`);
        lastContact = Date.now();
        return value;
      } catch (error) {
        if (!isTransient(error)) throw error;
        const silentMs = Date.now() - lastContact;
        if (silentMs > Math.max(STALL_MS, 5 * pollMs)) throw new TransientError(`no answer about job ${jobId} for ${Math.round(silentMs / 1000)} s: ${String(error)}`);
        ctx.log.warn('poll failed; polling again', { stage: 'transcoding', jobId, attempt, error: String(error) });
        return undefined;
      }
    };

    try {
      for (;;) {
        const state = await poll(() => jobs.state(handle), 'state');
        if (state && TERMINAL.has(state.phase)) {
          const tail = state.phase === 'succeeded' ? '' : ((await poll(() => jobs.logTail(handle), 'logs')) ?? '');
          const outcome: JobOutcome = { phase: state.phase as JobOutcome['phase'], errorLines: errorLines(tail) };
          if (state.exitCode !== undefined) outcome.exitCode = state.exitCode;
          if (state.message !== undefined) outcome.message = state.message;
          ctx.log.info('job ended', { stage: 'transcoding', jobId, attempt, phase: state.phase, exitCode: state.exitCode });
          return outcome;
        }
        if (state) phase = state.phase;
        const event = state && parseLatestProgress((await poll(() => jobs.logTail(handle), 'logs')) ?? '');
        if (event?.event === 'progress' && Number.isFinite(event.percent)) {
          percent = Math.max(percent, Math.min(100, Math.max(0, event.percent)));
        }
        if (percent >= signalled + step) {
          signalled = percent;
          // Best effort: progress is for people watching; a lost signal must not fail the job.
          try {
            if (!execution) throw new Error('not run by a workflow');
            await ctx.client.workflow.getHandle(execution.workflowId, execution.runId).signal(jobProgressSignal, { jobId, attempt, percent: Math.floor(percent) });
          } catch (error) {
            ctx.log.debug('progress signal not delivered', { error: String(error) });
          }
        }
        await ctx.sleep(pollMs); // rejects with CancelledFailure when the run is cancelled
      }
    } finally {
      clearInterval(beat);
    }
  }

  async function deleteJobs(input: DeleteJobsInput): Promise<{ deleted: string[] }> {
    const ctx = Context.current();
    const all = new Map(input.handles.map((h) => [h.id, h]));
    if (input.sweepTags && jobs.list) {
      for (const job of await jobs.list(input.sweepTags)) if (!all.has(job.id)) all.set(job.id, { id: job.id, ...(job.createdAt ? { startedAt: job.createdAt } : {}) });
    }
    const results = await Promise.allSettled(
      [...all.values()].map(async (h) => {
        await jobs.delete(h, { signal: ctx.cancellationSignal });
        const since = h.startedAt ? Date.parse(h.startedAt) : NaN;
        if (Number.isFinite(since)) counter(ctx, 'instanceSeconds').add(Math.max(0, Math.round((Date.now() - since) / 1000)));
      }),
    );
    const failed = results.flatMap((r, i) => (r.status === 'rejected' ? [`${[...all.keys()][i]}: ${String(r.reason)}`] : []));
    if (failed.length > 0) throw new Error(`could not delete ${failed.length} job(s): ${failed.join('; ')}`);
    ctx.log.info('jobs deleted', { stage: 'cleaning-up', jobs: [...all.keys()] });
    return { deleted: [...all.keys()] };
  }

  return { startJob, awaitJob, deleteJobs };
}

// Job activities: start a transcoder job (idempotently), await it with heartbeats, delete jobs.
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { normalizePrefix } from '../domain/layout.js';
import type { JobHandle, JobState } from '../ports.js';
import { parseLatestProgress } from '../transcoder/progress.js';
import { jobProgressSignal } from '../workflows/definitions.js';
import type { ActivityDeps } from './deps.js';
import type { AwaitJobInput, DeleteJobsInput, JobOutcome, StartJobInput } from './types.js';

/** Tag keys every job carries, for operators and for sweeping orphans. */
export const JOB_TAGS = { app: 'app', workflowId: 'workflowId', runId: 'runId', jobId: 'jobId', attempt: 'attempt', namespace: 'namespace' } as const;
export const APP_TAG = 'oci-transcode';

/** The transcoder's command line, exactly as a container gets it. */
export function transcoderArgs(input: Pick<StartJobInput, 'source' | 'dest' | 'plan' | 'jobId'>, namespace: string): string[] {
  const { source, dest, plan, jobId } = input;
  return [
    'transcode',
    '--source', `oci://${source.namespace}/${source.bucket}/${source.object}`,
    '--dest', `oci://${namespace}/${dest.bucket}/${normalizePrefix(dest.prefix)}`,
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

export function createJobActivities(deps: ActivityDeps) {
  const { jobs, store } = deps;

  async function startJob(input: StartJobInput): Promise<JobHandle> {
    const spec = input.plan.jobs.find((j) => j.id === input.jobId);
    if (!spec) throw ApplicationFailure.nonRetryable(`plan has no job ${input.jobId}`, 'InvalidRequest');
    const handle = await jobs.start({
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
        [JOB_TAGS.namespace]: Context.current().info.namespace,
      },
    });
    Context.current().log.info('job started', { stage: 'transcoding', jobId: input.jobId, attempt: input.attempt, handle: handle.id, placement: handle.placement });
    return handle;
  }

  async function awaitJob(input: AwaitJobInput): Promise<JobOutcome> {
    const ctx = Context.current();
    const { handle, jobId, attempt } = input;
    // After a worker crash the retried attempt resumes the same job, from the last heartbeat.
    const resumed = ctx.info.heartbeatDetails as { percent?: number } | undefined;
    let percent = resumed?.percent ?? 0;
    if (ctx.info.attempt > 1) ctx.log.info('resuming job', { stage: 'transcoding', jobId, attempt, handle: handle.id, percent });
    let signalled = -SIGNAL_STEP;
    const execution = ctx.info.workflowExecution;

    for (;;) {
      const state = await jobs.state(handle);
      if (TERMINAL.has(state.phase)) {
        const tail = state.phase === 'succeeded' ? '' : await jobs.logTail(handle).catch(() => '');
        const outcome: JobOutcome = { phase: state.phase as JobOutcome['phase'], errorLines: errorLines(tail) };
        if (state.exitCode !== undefined) outcome.exitCode = state.exitCode;
        if (state.message !== undefined) outcome.message = state.message;
        ctx.log.info('job ended', { stage: 'transcoding', jobId, attempt, phase: state.phase, exitCode: state.exitCode });
        return outcome;
      }
      const event = parseLatestProgress(await jobs.logTail(handle));
      if (event?.event === 'progress' && Number.isFinite(event.percent)) {
        percent = Math.max(percent, Math.min(100, Math.max(0, event.percent)));
      }
      ctx.heartbeat({ percent, phase: state.phase });
      if (percent >= signalled + SIGNAL_STEP) {
        signalled = percent;
        // Best effort: progress is for people watching; a lost signal must not fail the job.
        try {
          if (!execution) throw new Error('not run by a workflow');
          await ctx.client.workflow.getHandle(execution.workflowId, execution.runId).signal(jobProgressSignal, { jobId, attempt, percent: Math.floor(percent) });
        } catch (error) {
          ctx.log.debug('progress signal not delivered', { error: String(error) });
        }
      }
      await ctx.sleep(input.pollSec * 1000); // rejects with CancelledFailure when the run is cancelled
    }
  }

  async function deleteJobs(input: DeleteJobsInput): Promise<{ deleted: string[] }> {
    const all = new Map(input.handles.map((h) => [h.id, h]));
    if (input.sweepTags && jobs.list) {
      for (const job of await jobs.list(input.sweepTags)) all.set(job.id, { id: job.id });
    }
    const results = await Promise.allSettled([...all.values()].map((h) => jobs.delete(h)));
    const failed = results.flatMap((r, i) => (r.status === 'rejected' ? [`${[...all.keys()][i]}: ${String(r.reason)}`] : []));
    if (failed.length > 0) throw new Error(`could not delete ${failed.length} job(s): ${failed.join('; ')}`);
    Context.current().log.info('jobs deleted', { stage: 'cleaning-up', jobs: [...all.keys()] });
    return { deleted: [...all.keys()] };
  }

  return { startJob, awaitJob, deleteJobs };
}

// One janitor sweep: list the pipeline's jobs, ask Temporal about each job's run (once per run), delete
// the orphans. A failure to learn a run's state or to delete a job is counted, never fatal: the next
// sweep tries again, and every other job is still judged.
import type { JobRunner } from '../ports.js';
import { decide, emptyReport, JANITOR_TAG_KEYS, PIPELINE_APP, record, runOf, type JanitorReport, type ListedJob, type RunRef, type RunState } from './decide.js';

export interface SweepDeps {
  jobs: Pick<JobRunner, 'list' | 'delete'>;
  /** The state of a run in our namespace; throws when Temporal cannot tell (the job is then kept). */
  runState(run: RunRef): Promise<RunState>;
  /** The Temporal namespace this janitor serves; jobs tagged with another are left alone. */
  namespace: string;
  dryRun?: boolean;
  /** Called with progress between jobs (activities heartbeat here). */
  onJob?(report: JanitorReport): void;
  log?(message: string, fields: Record<string, unknown>): void;
}

export class JanitorError extends Error {
  override readonly name = 'JanitorError';
}

const messageOf = (error: unknown): string => (error instanceof Error ? error.message : String(error));

export async function sweepOrphanJobs(deps: SweepDeps): Promise<JanitorReport> {
  const { jobs, namespace } = deps;
  if (!jobs.list) throw new JanitorError('this job runner cannot list its jobs, so orphans cannot be found');
  const report = emptyReport(deps.dryRun ?? false);
  const listed: ListedJob[] = await jobs.list({ [JANITOR_TAG_KEYS.app]: PIPELINE_APP });
  const states = new Map<string, Promise<RunState>>();
  const stateOf = (run: RunRef): Promise<RunState> => {
    const key = `${run.workflowId}\n${run.runId}`;
    let known = states.get(key);
    if (!known) states.set(key, (known = deps.runState(run)));
    return known;
  };

  for (const job of listed) {
    const run = runOf(job.tags);
    let state: RunState | undefined;
    try {
      state = run ? await stateOf(run) : undefined;
    } catch (error) {
      record(report, job, 'error', `could not learn the state of its run: ${messageOf(error)}`);
      deps.log?.('janitor: run state unknown, job kept', { job: job.id, ...run, error: messageOf(error) });
      deps.onJob?.(report);
      continue;
    }
    const verdict = decide(job, namespace, state);
    if (verdict.action === 'keep') {
      record(report, job, 'kept', verdict.reason);
    } else if (report.dryRun) {
      record(report, job, 'would-delete', verdict.reason);
    } else {
      try {
        await jobs.delete({ id: job.id });
        record(report, job, 'deleted', verdict.reason);
        deps.log?.('janitor: orphan job deleted', { job: job.id, phase: job.phase, reason: verdict.reason });
      } catch (error) {
        record(report, job, 'error', `delete failed: ${messageOf(error)}`);
        deps.log?.('janitor: could not delete orphan job', { job: job.id, error: messageOf(error) });
      }
    }
    deps.onJob?.(report);
  }
  return report;
}

// The janitor's decisions, pure: which pipeline jobs are orphans. A job is an orphan when the workflow
// run named by its tags is closed (completed, failed, cancelled, terminated, timed out, continued as
// new) or unknown to Temporal: no run will ever delete it. A job of a running workflow is never
// touched, nor one the janitor cannot attribute (no workflow tags) or that belongs to another namespace.
import { APP_TAG, JOB_TAGS, TAG_VALUE_MAX } from '../domain/job-tags.js';
import type { JobPhase } from '../ports.js';

/** Tag keys the pipeline puts on every job (startJob writes them; OCI keeps them as freeform tags). */
export const JANITOR_TAG_KEYS = JOB_TAGS;
/** The `app` tag value of pipeline jobs; the janitor lists only those. */
export const PIPELINE_APP = APP_TAG;
export { TAG_VALUE_MAX };

/**
 * What Temporal says about a run: still running, closed for good, never heard of (or past retention),
 * or - for a run found only through visibility - not listed (yet): no proof either way.
 */
export type RunState = 'running' | 'closed' | 'unknown' | 'unlisted';

export interface RunRef {
  workflowId: string;
  runId: string;
  /** The workflow id tag may have been cut (see TAG_VALUE_MAX): find the run by its run id instead. */
  truncated: boolean;
}

export interface ListedJob {
  id: string;
  tags: Record<string, string>;
  phase: JobPhase;
}

export type Verdict =
  | { action: 'delete'; reason: string }
  | { action: 'keep'; reason: string };

/** The run a job belongs to, from its tags; undefined when the tags do not name one. */
export function runOf(tags: Record<string, string>): RunRef | undefined {
  const workflowId = tags[JANITOR_TAG_KEYS.workflowId];
  const runId = tags[JANITOR_TAG_KEYS.runId];
  return workflowId && runId ? { workflowId, runId, truncated: workflowId.length >= TAG_VALUE_MAX } : undefined;
}

/** Jobs that another namespace's janitor must judge (a compartment can be shared by several deployments). */
export function foreignNamespace(tags: Record<string, string>, namespace: string): string | undefined {
  const own = tags[JANITOR_TAG_KEYS.namespace];
  return own !== undefined && own !== namespace ? own : undefined;
}

/** The verdict for one job, given the state of its run (undefined when the job names no run). */
export function decide(job: ListedJob, namespace: string, state: RunState | undefined): Verdict {
  const other = foreignNamespace(job.tags, namespace);
  if (other !== undefined) return { action: 'keep', reason: `belongs to namespace ${other}` };
  const run = runOf(job.tags);
  if (!run || state === undefined) return { action: 'keep', reason: 'no workflow tags: not attributable to a run' };
  switch (state) {
    case 'running':
      return { action: 'keep', reason: `its run ${run.workflowId} ${run.runId} is still running` };
    case 'closed':
      return { action: 'delete', reason: `its run ${run.workflowId} ${run.runId} is closed` };
    case 'unknown':
      return { action: 'delete', reason: `its run ${run.workflowId} ${run.runId} is unknown to Temporal` };
    case 'unlisted':
      // Visibility lags behind new runs: absence there is no proof the run is gone.
      return { action: 'keep', reason: `its run ${run.runId} (workflow id cut in the tags) is not in Temporal's visibility` };
  }
}

/** What one sweep did: the counts are the schedule's results; `jobs` names each job (capped). */
export interface JanitorReport {
  examined: number;
  deleted: number;
  kept: number;
  errors: number;
  dryRun: boolean;
  jobs: { id: string; workflowId?: string; runId?: string; phase: JobPhase; outcome: 'deleted' | 'would-delete' | 'kept' | 'error'; reason: string }[];
}

/** At most this many job lines travel in a report: it is a workflow result, so it must stay small. */
export const REPORT_JOB_LINES = 200;

export function emptyReport(dryRun: boolean): JanitorReport {
  return { examined: 0, deleted: 0, kept: 0, errors: 0, dryRun, jobs: [] };
}

/** Adds one job's outcome to the report (counts always, the line while there is room). */
export function record(report: JanitorReport, job: ListedJob, outcome: JanitorReport['jobs'][number]['outcome'], reason: string): void {
  report.examined += 1;
  if (outcome === 'deleted') report.deleted += 1;
  else if (outcome === 'error') report.errors += 1;
  else report.kept += 1; // 'would-delete' in a dry run deletes nothing
  if (report.jobs.length >= REPORT_JOB_LINES) return;
  const run = runOf(job.tags);
  report.jobs.push({ id: job.id, ...(run ? { workflowId: run.workflowId, runId: run.runId } : {}), phase: job.phase, outcome, reason });
}

/** One line for logs and the CLI. */
export function summary(report: JanitorReport): string {
  const what = report.dryRun ? 'dry run: ' : '';
  const orphans = report.jobs.filter((j) => j.outcome === 'would-delete').length;
  const would = report.dryRun ? `, ${orphans} would be deleted` : '';
  return `${what}examined ${report.examined} job(s): ${report.deleted} deleted, ${report.kept} kept${would}, ${report.errors} error(s)`;
}

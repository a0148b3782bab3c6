// What the API and the preview page know of runs, through Temporal alone: a run's status, stage and
// progress (the `progress` query), its result or failure; recent runs from visibility (the TranscodeSource
// and TranscodeStage search attributes); cancellation. Behind JobDirectory, so the server is tested
// with a real Temporal but never depends on the client's shapes.
import { WorkflowFailedError, WorkflowNotFoundError, type Client, type WorkflowExecutionInfo } from '@temporalio/client';
import { failureReason, queryProgress, webUiRunUrl } from '../stack/follow.js';
import { SEARCH_ATTRIBUTES, WORKFLOW_TYPE, type Progress, type TranscodeMemo, type TranscodeResult } from '../workflows/definitions.js';
import { jobId, type JobRef } from './ids.js';

export interface JobSummary {
  id: string;
  workflowId: string;
  runId: string;
  /** Temporal's status: RUNNING, COMPLETED, FAILED, CANCELED, TERMINATED, TIMED_OUT, CONTINUED_AS_NEW. */
  status: string;
  /** `<bucket>/<object>` (TranscodeSource). */
  source?: string;
  /** The workflow's stage (TranscodeStage): inspecting … completed, failed, canceled, superseded. */
  stage?: string;
  etag?: string;
  /** Whole-run percent, from the progress query (running runs only). */
  percent?: number;
  startedAt: string;
  closedAt?: string;
}

export interface JobView extends JobSummary {
  progress?: Progress;
  /** A completed run's result: names relative to the destination bucket. */
  result?: TranscodeResult;
  /** Why a run did not complete: every cause, outermost first. */
  error?: string;
  /** The run in the Temporal Web UI, when its address is known. */
  webUiUrl?: string;
}

export interface ListFilter {
  limit: number;
  source?: string;
  stage?: string;
  /** Ask running runs for their percent (one query each). */
  withProgress?: boolean;
}

export interface JobDirectory {
  get(ref: JobRef): Promise<JobView | undefined>;
  list(filter: ListFilter): Promise<JobSummary[]>;
  /** undefined: no such run. closed: it had already ended (its status says how). */
  cancel(ref: JobRef): Promise<{ outcome: 'requested' | 'closed'; status: string } | undefined>;
}

/** A visibility query string literal. */
const literal = (value: string): string => `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;

/** Temporal says CANCELLED; the API's vocabulary, like the workflow's stage, says canceled. */
const statusName = (name: string): string => (name === 'CANCELLED' ? 'CANCELED' : name);

/**
 * The stage a closed run ended in. A run's last TranscodeStage upsert can be missing: a canceled run's
 * history ends at `cleaning-up` (the upsert issued right before the cancellation completes is not
 * recorded), so the status decides where it says how the run ended.
 */
const FINAL_STAGE: Record<string, string> = { COMPLETED: 'completed', FAILED: 'failed', CANCELED: 'canceled' };

function summaryOf(info: Pick<WorkflowExecutionInfo, 'workflowId' | 'runId' | 'status' | 'startTime' | 'closeTime' | 'memo' | 'typedSearchAttributes'>): JobSummary {
  const memo = (info.memo ?? {}) as Partial<TranscodeMemo>;
  const summary: JobSummary = {
    id: jobId(info),
    workflowId: info.workflowId,
    runId: info.runId,
    status: statusName(info.status.name),
    startedAt: info.startTime.toISOString(),
  };
  const source = info.typedSearchAttributes.get(SEARCH_ATTRIBUTES.source) ?? memo.source;
  const stage = FINAL_STAGE[summary.status] ?? info.typedSearchAttributes.get(SEARCH_ATTRIBUTES.stage);
  if (source) summary.source = source;
  if (stage) summary.stage = stage;
  if (typeof memo.etag === 'string') summary.etag = memo.etag;
  if (info.closeTime) summary.closedAt = info.closeTime.toISOString();
  return summary;
}

export function temporalJobs(client: Client, options: { namespace?: string; webUiUrl?: string } = {}): JobDirectory {
  const namespace = options.namespace ?? client.options.namespace;

  async function describe(ref: JobRef) {
    try {
      const d = await client.workflow.getHandle(ref.workflowId, ref.runId).describe();
      return d.type === WORKFLOW_TYPE ? d : undefined; // the janitor's runs (or anyone else's) are not jobs
    } catch (error) {
      if (error instanceof WorkflowNotFoundError) return undefined;
      throw error;
    }
  }

  return {
    async get(ref) {
      const d = await describe(ref);
      if (!d) return undefined;
      const view: JobView = summaryOf(d);
      if (options.webUiUrl) view.webUiUrl = webUiRunUrl(options.webUiUrl, namespace, d.workflowId, d.runId);
      const handle = client.workflow.getHandle(d.workflowId, d.runId, { followRuns: false });
      if (d.status.name === 'RUNNING') {
        const progress = await queryProgress(client, d.workflowId, d.runId);
        if (progress) {
          view.progress = progress;
          view.percent = progress.percent;
          view.stage = progress.stage;
        }
      } else if (d.status.name === 'COMPLETED') {
        view.result = (await handle.result()) as TranscodeResult;
      } else if (d.status.name !== 'CONTINUED_AS_NEW') {
        await handle.result().catch((error: unknown) => {
          view.error = error instanceof WorkflowFailedError ? failureReason(error.cause ?? error) : failureReason(error);
        });
      }
      return view;
    },

    async list(filter) {
      const clauses = [`WorkflowType = ${literal(WORKFLOW_TYPE)}`];
      if (filter.source) clauses.push(`${SEARCH_ATTRIBUTES.source.name} = ${literal(filter.source)}`);
      if (filter.stage) clauses.push(`${SEARCH_ATTRIBUTES.stage.name} = ${literal(filter.stage)}`);
      const jobs: JobSummary[] = [];
      for await (const info of client.workflow.list({ query: clauses.join(' AND '), pageSize: Math.min(filter.limit, 100) })) {
        jobs.push(summaryOf(info));
        if (jobs.length >= filter.limit) break;
      }
      if (filter.withProgress) {
        await Promise.all(
          jobs
            .filter((j) => j.status === 'RUNNING')
            .map(async (j) => {
              const p = await queryProgress(client, j.workflowId, j.runId);
              if (p) Object.assign(j, { percent: p.percent, stage: p.stage });
            }),
        );
      }
      return jobs;
    },

    async cancel(ref) {
      const d = await describe(ref);
      if (!d) return undefined;
      if (d.status.name !== 'RUNNING') return { outcome: 'closed', status: statusName(d.status.name) };
      await client.workflow.getHandle(d.workflowId, d.runId, { followRuns: false }).cancel();
      return { outcome: 'requested', status: 'RUNNING' };
    },
  };
}

// Client-side view of a run: wait for the watcher's event to start it, then follow it through its
// `progress` query until it closes (following continue-as-new, which is how a superseding upload
// hands over), and explain a failure with the whole cause chain. Given a StackLink rather than a
// client, following survives the stack stopping and coming back.
import { Client, WorkflowFailedError, type WorkflowExecutionDescription } from '@temporalio/client';
import { progressQuery, type Progress, type TranscodeMemo } from '../workflows/definitions.js';
import { StackLostError, type StackLink } from './link.js';

/** Where the calls go: one client, or a link that reconnects when the stack restarts. */
export type RunSource = Client | Pick<StackLink, 'call'>;

const callVia = (source: RunSource) =>
  <T>(fn: (client: Client) => Promise<T>): Promise<T> => (source instanceof Client ? fn(source) : source.call(fn));

export type RunStatus = 'COMPLETED' | 'FAILED' | 'CANCELLED' | 'TERMINATED' | 'TIMED_OUT';

export interface RunOutcome {
  workflowId: string;
  runId: string;
  status: RunStatus;
  /** The workflow's result when completed. */
  result?: unknown;
  /** Why it did not complete: every cause in the chain, outermost first. */
  reason?: string;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** `msg: cause: cause...`, skipping the generic wrappers Temporal adds around activity failures. */
export function failureReason(error: unknown): string {
  const parts: string[] = [];
  for (let e: unknown = error; e instanceof Error; e = (e as { cause?: unknown }).cause) {
    const message = e.message.trim();
    if (message && !/^(Workflow execution failed|Activity task failed|Activity function .* failed)$/i.test(message)) {
      parts.push(message);
    }
  }
  return [...new Set(parts)].join(': ') || String(error);
}

async function describeOrUndefined(source: RunSource, workflowId: string): Promise<WorkflowExecutionDescription | undefined> {
  try {
    return await callVia(source)((client) => client.workflow.getHandle(workflowId).describe());
  } catch (error) {
    if ((error as Error).name === 'WorkflowNotFoundError') return undefined;
    throw error;
  }
}

/**
 * Waits until the workflow of this upload exists: the latest run carries our eTag in its memo
 * (a closed run of an older upload under the same name does not count).
 */
export async function waitForRun(source: RunSource, workflowId: string, o: { etag?: string; timeoutMs: number; pollMs?: number }): Promise<WorkflowExecutionDescription | undefined> {
  const deadline = Date.now() + o.timeoutMs;
  for (;;) {
    const description = await describeOrUndefined(source, workflowId);
    const memo = description?.memo as Partial<TranscodeMemo> | undefined;
    if (description && (o.etag === undefined || memo?.etag === o.etag)) return description;
    if (Date.now() > deadline) return undefined;
    await sleep(o.pollMs ?? 200);
  }
}

/** A query waits for a worker to answer it; with none (its stack was killed) it would hang for minutes. */
const QUERY_DEADLINE_MS = 5000;

export async function queryProgress(client: Client, workflowId: string, runId?: string): Promise<Progress | undefined> {
  try {
    return await client.connection.withDeadline(Date.now() + QUERY_DEADLINE_MS, () => client.workflow.getHandle(workflowId, runId).query(progressQuery));
  } catch {
    // The first workflow task has not run yet, the run just closed, or no worker answered in time: no answer this time.
    return undefined;
  }
}

/** Follows the latest run of workflowId until a run closes other than by continuing as new. */
export async function followRun(source: RunSource, workflowId: string, o: { onProgress?: (p: Progress) => void; pollMs?: number } = {}): Promise<RunOutcome> {
  const call = callVia(source);
  for (;;) {
    const description = await call((client) => client.workflow.getHandle(workflowId).describe());
    const { runId } = description;
    const status = description.status.name;
    if (status === 'RUNNING') {
      const progress = await call((client) => queryProgress(client, workflowId, runId));
      if (progress) o.onProgress?.(progress);
      await sleep(o.pollMs ?? 500);
      continue;
    }
    if (status === 'CONTINUED_AS_NEW') {
      await sleep(100); // the next run is created in the same transaction; describe finds it next time
      continue;
    }
    try {
      const result: unknown = await call((client) => client.workflow.getHandle(workflowId, runId, { followRuns: false }).result());
      return { workflowId, runId, status: 'COMPLETED', result };
    } catch (error) {
      if (error instanceof StackLostError) throw error; // not the run's outcome: nobody could ask
      const closed = (['FAILED', 'CANCELLED', 'TERMINATED', 'TIMED_OUT'] as const).find((s) => s === status) ?? 'FAILED';
      const reason = error instanceof WorkflowFailedError ? failureReason(error.cause ?? error) : failureReason(error);
      return { workflowId, runId, status: closed, reason };
    }
  }
}

export const webUiRunUrl = (uiUrl: string, namespace: string, workflowId: string, runId: string): string =>
  `${uiUrl}/namespaces/${encodeURIComponent(namespace)}/workflows/${encodeURIComponent(workflowId)}/${encodeURIComponent(runId)}`;

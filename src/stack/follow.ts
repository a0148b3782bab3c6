// Client-side view of a run: wait for the watcher's event to start it, then follow it through its
// `progress` query until it closes (following continue-as-new, which is how a superseding upload
// hands over), and explain a failure with the whole cause chain.
import { WorkflowFailedError, type Client, type WorkflowExecutionDescription } from '@temporalio/client';
import { progressQuery, type Progress, type TranscodeMemo } from '../workflows/definitions.js';

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

async function describeOrUndefined(client: Client, workflowId: string): Promise<WorkflowExecutionDescription | undefined> {
  try {
    return await client.workflow.getHandle(workflowId).describe();
  } catch (error) {
    if ((error as Error).name === 'WorkflowNotFoundError') return undefined;
    throw error;
  }
}

/**
 * Waits until the workflow of this upload exists: the latest run carries our eTag in its memo
 * (a closed run of an older upload under the same name does not count).
 */
export async function waitForRun(client: Client, workflowId: string, o: { etag?: string; timeoutMs: number; pollMs?: number }): Promise<WorkflowExecutionDescription | undefined> {
  const deadline = Date.now() + o.timeoutMs;
  for (;;) {
    const description = await describeOrUndefined(client, workflowId);
    const memo = description?.memo as Partial<TranscodeMemo> | undefined;
    if (description && (o.etag === undefined || memo?.etag === o.etag)) return description;
    if (Date.now() > deadline) return undefined;
    await sleep(o.pollMs ?? 200);
  }
}

export async function queryProgress(client: Client, workflowId: string, runId?: string): Promise<Progress | undefined> {
  try {
    return await client.workflow.getHandle(workflowId, runId).query(progressQuery);
  } catch {
    // The first workflow task has not run yet, or the run just closed: no answer this time.
    return undefined;
  }
}

/** Follows the latest run of workflowId until a run closes other than by continuing as new. */
export async function followRun(client: Client, workflowId: string, o: { onProgress?: (p: Progress) => void; pollMs?: number } = {}): Promise<RunOutcome> {
  for (;;) {
    const description = await client.workflow.getHandle(workflowId).describe();
    const { runId } = description;
    const status = description.status.name;
    if (status === 'RUNNING') {
      const progress = await queryProgress(client, workflowId, runId);
      if (progress) o.onProgress?.(progress);
      await sleep(o.pollMs ?? 500);
      continue;
    }
    if (status === 'CONTINUED_AS_NEW') {
      await sleep(100); // the next run is created in the same transaction; describe finds it next time
      continue;
    }
    const handle = client.workflow.getHandle(workflowId, runId, { followRuns: false });
    try {
      const result: unknown = await handle.result();
      return { workflowId, runId, status: 'COMPLETED', result };
    } catch (error) {
      const closed = (['FAILED', 'CANCELLED', 'TERMINATED', 'TIMED_OUT'] as const).find((s) => s === status) ?? 'FAILED';
      const reason = error instanceof WorkflowFailedError ? failureReason(error.cause ?? error) : failureReason(error);
      return { workflowId, runId, status: closed, reason };
    }
  }
}

export const webUiRunUrl = (uiUrl: string, namespace: string, workflowId: string, runId: string): string =>
  `${uiUrl}/namespaces/${encodeURIComponent(namespace)}/workflows/${encodeURIComponent(workflowId)}/${encodeURIComponent(runId)}`;

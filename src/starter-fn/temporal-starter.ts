// The WorkflowStarter over a Temporal Client: one Update-with-start per event. The answer comes from the
// run, so from its workers; when they do not answer in time the run still exists (starts are durable)
// and the starter says `pending` rather than fail the event.
import { randomUUID } from 'node:crypto';
import { WithStartWorkflowOperation, WorkflowUpdateFailedError, WorkflowUpdateRPCTimeoutOrCancelledError, type Client } from '@temporalio/client';
import { ApplicationFailure, WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError } from '@temporalio/common';
import type { CaptionsRequest } from '../domain/subtitles.js';
import type { Config } from '../config.js';
import type { TranscodeRequest } from '../domain/types.js';
import { CAPTIONS_WORKFLOW_TYPE, SEARCH_ATTRIBUTES, uploadUpdate, uploadUpdateId, WORKFLOW_TYPE, type TranscodeMemo, type UploadAnswer, type UploadNotice } from '../workflows/definitions.js';
import type { RunInfo, StarterAnswer, WorkflowStarter } from './handler.js';

/** The run's validator refused the notice before writing anything: its type says why. */
function refusal(error: unknown, notice: UploadNotice): UploadAnswer | undefined {
  if (!(error instanceof WorkflowUpdateFailedError) || !(error.cause instanceof ApplicationFailure)) return undefined;
  const { type, message } = error.cause;
  if (type === 'Duplicate') return { outcome: 'duplicate', runId: '', etag: notice.etag, reason: message };
  if (type === 'Stale') return { outcome: 'stale', runId: '', etag: notice.etag, reason: message };
  return undefined;
}

/** The run closed between taking the update and answering it (it completed or continued as new). */
function closedMeanwhile(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const cause = error.cause instanceof Error ? error.cause.message : '';
  return /workflow (execution )?(already )?(completed|closed)|update .* completed|workflow .* not found/i.test(`${error.message} ${cause}`);
}

export function createTemporalStarter(client: Client, config: Pick<Config, 'taskQueue'> & Partial<Pick<Config, 'starterAnswerSec'>>): WorkflowStarter {
  const answerSec = config.starterAnswerSec ?? 15;
  async function describe(workflowId: string): Promise<RunInfo | undefined> {
    try {
      const d = await client.workflow.getHandle(workflowId).describe();
      const memo = (d.memo ?? {}) as Partial<TranscodeMemo>;
      return { runId: d.runId, status: d.status.name, ...(typeof memo.etag === 'string' ? { etag: memo.etag } : {}) };
    } catch (error) {
      if (error instanceof WorkflowNotFoundError) return undefined;
      throw error;
    }
  }

  async function announce(workflowId: string, request: TranscodeRequest, memo: TranscodeMemo, notice: UploadNotice): Promise<StarterAnswer> {
    // The answer carries the token of the call it was made for: a deduplicated delivery gets another's.
    const token = randomUUID();
    const once = (): Promise<UploadAnswer> =>
      client.withDeadline(Date.now() + answerSec * 1000, () => client.workflow.executeUpdateWithStart(uploadUpdate, {
        args: [{ ...notice, token }],
        updateId: uploadUpdateId(notice.etag),
        startWorkflowOperation: new WithStartWorkflowOperation(WORKFLOW_TYPE, {
          workflowId,
          taskQueue: config.taskQueue,
          args: [request],
          workflowIdConflictPolicy: 'USE_EXISTING',
          memo: { ...memo },
          typedSearchAttributes: [
            { key: SEARCH_ATTRIBUTES.source, value: memo.source },
            { key: SEARCH_ATTRIBUTES.stage, value: 'inspecting' },
          ],
        }),
      }));
    let answer: UploadAnswer;
    try {
      answer = await once().catch((error: unknown) => {
        if (refusal(error, notice) || !closedMeanwhile(error)) throw error;
        return once(); // the closed run is replaced by a new one, which answers
      });
    } catch (error) {
      if (error instanceof WorkflowUpdateRPCTimeoutOrCancelledError) {
        // The start (or the open run) is durable; the update waits for the run's next workflow task.
        const run = await describe(workflowId);
        if (run?.status === 'RUNNING') {
          return { outcome: 'pending', runId: run.runId, etag: notice.etag, reason: `run ${run.runId} holds the upload; its workers did not answer within ${answerSec} s (are workers polling task queue ${config.taskQueue}?)` };
        }
        throw error;
      }
      const refused = refusal(error, notice);
      if (!refused) throw error;
      // Refused before anything was written: name the open run that refused it.
      return { ...refused, runId: (await describe(workflowId))?.runId ?? '' };
    }
    if (answer.token !== token && (answer.outcome === 'started' || answer.outcome === 'superseding')) {
      return { ...answer, outcome: 'duplicate', reason: `a concurrent delivery of eTag ${notice.etag} was answered first (${answer.outcome})` };
    }
    return answer;
  }

  /** Idempotent per sidecar upload: the id names its eTag, and a closed run's id is never reused. */
  async function startCaptions(workflowId: string, request: CaptionsRequest): Promise<{ runId: string; started: boolean }> {
    try {
      const handle = await client.workflow.start(CAPTIONS_WORKFLOW_TYPE, { workflowId, taskQueue: config.taskQueue, args: [request], workflowIdReusePolicy: 'REJECT_DUPLICATE' });
      return { runId: handle.firstExecutionRunId, started: true };
    } catch (error) {
      if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw error;
      return { runId: (await describe(workflowId))?.runId ?? '', started: false };
    }
  }

  return { describe, announce, startCaptions };
}

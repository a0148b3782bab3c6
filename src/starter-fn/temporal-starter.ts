// The WorkflowStarter over a Temporal Client: two or three small RPCs per event, no worker needed.
import { randomUUID } from 'node:crypto';
import type { Client } from '@temporalio/client';
import { WorkflowNotFoundError } from '@temporalio/common';
import type { Config } from '../config.js';
import type { TranscodeRequest } from '../domain/types.js';
import { SEARCH_ATTRIBUTES, WORKFLOW_TYPE, supersedeSignal, type TranscodeMemo } from '../workflows/definitions.js';
import type { RunInfo, WorkflowStarter } from './handler.js';

export function createTemporalStarter(client: Client, config: Pick<Config, 'taskQueue'>): WorkflowStarter {
  async function describe(workflowId: string, runId?: string): Promise<(RunInfo & { memo: Partial<TranscodeMemo> }) | undefined> {
    try {
      const d = await client.workflow.getHandle(workflowId, runId).describe();
      const memo = (d.memo ?? {}) as Partial<TranscodeMemo>;
      return { runId: d.runId, status: d.status.name, memo, ...(typeof memo.etag === 'string' ? { etag: memo.etag } : {}) };
    } catch (error) {
      if (error instanceof WorkflowNotFoundError) return undefined;
      throw error;
    }
  }

  return {
    describe: (workflowId) => describe(workflowId),

    async signalWithStart(workflowId: string, request: TranscodeRequest, memo: TranscodeMemo) {
      // A random id in the memo of a run this call creates: the server keeps the memo of the run that
      // was actually started, so reading it back tells the one creator from concurrent callers.
      const starter = randomUUID();
      const handle = await client.workflow.signalWithStart(WORKFLOW_TYPE, {
        workflowId,
        taskQueue: config.taskQueue,
        args: [request],
        signal: supersedeSignal,
        signalArgs: [{ etag: request.source.etag ?? '' }],
        memo: { ...memo, starter },
        typedSearchAttributes: [
          { key: SEARCH_ATTRIBUTES.source, value: memo.source },
          { key: SEARCH_ATTRIBUTES.stage, value: 'inspecting' },
        ],
      });
      const run = await describe(workflowId, handle.signaledRunId);
      return { runId: handle.signaledRunId, started: run?.memo.starter === starter, ...(run?.etag !== undefined ? { etag: run.etag } : {}) };
    },
  };
}

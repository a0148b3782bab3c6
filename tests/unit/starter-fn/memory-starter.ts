// An in-memory WorkflowStarter: records what the starter sends, and answers with a small model of the
// workflow (one open run per id; another eTag supersedes an open run; the same eTag is a duplicate, also
// after the run closed; anything else starts a run). The real decisions, judged against the source's
// HEAD, are the workflow's and are tested on a dev server (tests/functional/workflow/uploads.test.ts).
import type { TranscodeRequest } from '../../../src/domain/types.js';
import type { RunInfo, WorkflowStarter } from '../../../src/starter-fn/handler.js';
import type { TranscodeMemo, UploadAnswer, UploadNotice } from '../../../src/workflows/definitions.js';

export interface Announced {
  workflowId: string;
  request: TranscodeRequest;
  memo: TranscodeMemo;
  notice: UploadNotice;
}

export interface MemoryRun {
  runId: string;
  status: 'RUNNING' | 'COMPLETED' | 'FAILED' | 'CONTINUED_AS_NEW';
  etag: string;
  request: TranscodeRequest;
  memo: TranscodeMemo;
}

export class MemoryStarter implements WorkflowStarter {
  readonly announced: Announced[] = [];
  readonly runs = new Map<string, MemoryRun[]>();
  calls = { describe: 0, announce: 0 };
  /** Replaces the model's answer (the handler's own tests script the run's answers). */
  answer?: (a: Announced) => Omit<UploadAnswer, 'token'>;
  /** Captions runs (sidecar uploads): absent unless a test scripts them. */
  startCaptions?: WorkflowStarter['startCaptions'];
  private next = 1;

  latest(workflowId: string): MemoryRun | undefined {
    return this.runs.get(workflowId)?.at(-1);
  }

  start(workflowId: string, request: TranscodeRequest, memo: TranscodeMemo): MemoryRun {
    const run: MemoryRun = { runId: `run-${this.next++}`, status: 'RUNNING', etag: request.source.etag ?? '', request, memo };
    this.runs.set(workflowId, [...(this.runs.get(workflowId) ?? []), run]);
    return run;
  }

  complete(workflowId: string, status: MemoryRun['status'] = 'COMPLETED'): void {
    const run = this.latest(workflowId);
    if (run) run.status = status;
  }

  describe(workflowId: string): Promise<RunInfo | undefined> {
    this.calls.describe++;
    const run = this.latest(workflowId);
    return Promise.resolve(run && { runId: run.runId, status: run.status, etag: run.etag });
  }

  announce(workflowId: string, request: TranscodeRequest, memo: TranscodeMemo, notice: UploadNotice): Promise<UploadAnswer> {
    this.calls.announce++;
    const call = { workflowId, request, memo, notice };
    this.announced.push(call);
    if (this.answer) return Promise.resolve(this.answer(call));
    const latest = this.latest(workflowId);
    if (latest?.etag === notice.etag) return Promise.resolve({ outcome: 'duplicate', runId: latest.runId, etag: notice.etag, reason: `run ${latest.runId} has eTag ${notice.etag}` });
    if (latest?.status === 'RUNNING') {
      latest.status = 'CONTINUED_AS_NEW';
      this.start(workflowId, { ...latest.request, source: { ...latest.request.source, etag: notice.etag } }, { ...latest.memo, etag: notice.etag });
      return Promise.resolve({ outcome: 'superseding', runId: latest.runId, etag: notice.etag, reason: 'a newer upload' });
    }
    const run = this.start(workflowId, request, memo);
    return Promise.resolve({ outcome: 'started', runId: run.runId, etag: notice.etag, reason: 'this run transcodes it' });
  }
}

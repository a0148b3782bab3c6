// An in-memory WorkflowStarter with Temporal's semantics for one id: at most one open run; signal-with-
// start signals the open run or starts one atomically; a supersede signal with another etag makes the
// open run continue as new with that etag (what the transcode workflow does).
import type { TranscodeRequest } from '../../../src/domain/types.js';
import type { RunInfo, WorkflowStarter } from '../../../src/starter-fn/handler.js';
import type { TranscodeMemo } from '../../../src/workflows/definitions.js';

export interface MemoryRun {
  runId: string;
  status: 'RUNNING' | 'COMPLETED' | 'FAILED' | 'CONTINUED_AS_NEW';
  etag: string;
  request: TranscodeRequest;
  memo: TranscodeMemo;
  signals: string[];
}

export class MemoryStarter implements WorkflowStarter {
  readonly runs = new Map<string, MemoryRun[]>();
  calls = { describe: 0, signalWithStart: 0 };
  /** Runs just before signalWithStart takes effect: lets a test slip a concurrent change in. */
  beforeSignalWithStart?: (workflowId: string) => void;
  private next = 1;

  latest(workflowId: string): MemoryRun | undefined {
    return this.runs.get(workflowId)?.at(-1);
  }

  start(workflowId: string, request: TranscodeRequest, memo: TranscodeMemo): MemoryRun {
    const run: MemoryRun = { runId: `run-${this.next++}`, status: 'RUNNING', etag: request.source.etag ?? '', request, memo, signals: [] };
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

  signalWithStart(workflowId: string, request: TranscodeRequest, memo: TranscodeMemo): Promise<{ runId: string; started: boolean; etag?: string }> {
    this.calls.signalWithStart++;
    this.beforeSignalWithStart?.(workflowId);
    const etag = request.source.etag ?? '';
    const open = this.latest(workflowId);
    if (open?.status === 'RUNNING') {
      open.signals.push(etag);
      const answer = { runId: open.runId, started: false, etag: open.etag };
      if (etag !== open.etag) {
        open.status = 'CONTINUED_AS_NEW';
        this.start(workflowId, { ...open.request, source: { ...open.request.source, etag } }, { ...open.memo, etag });
      }
      return Promise.resolve(answer);
    }
    const run = this.start(workflowId, request, memo);
    run.signals.push(etag);
    return Promise.resolve({ runId: run.runId, started: true, etag });
  }
}

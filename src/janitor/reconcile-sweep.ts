// One reconcile sweep: list the source buckets from where the previous sweep stopped, judge each object
// (reconcile.ts), and start those whose event was lost through the starter's own start path
// (startTranscode), exactly as their event would have. Bounded by objects listed, runs started and time,
// so a big bucket spreads over several sweeps instead of one long one; a failure on one object is
// counted, never fatal, and five in a row (Temporal or the store down) end the sweep early.
import { readJson } from '../store-io.js';
import { requestFor, workflowIdFor } from '../domain/events.js';
import { JOB_RECORD, streamPrefix } from '../domain/layout.js';
import type { ObjectInfo, ObjectStore } from '../ports.js';
import { startTranscode, type StarterConfig, type WorkflowStarter } from '../starter-fn/handler.js';
import {
  byRecord,
  byRun,
  emptyReconcileReport,
  recordOutcome,
  resumeCursor,
  resumeProgress,
  screen,
  startsLeft,
  type ObjectOutcome,
  type ReconcileCursor,
  type ReconcileReport,
  type ReconcileSettings,
  type Verdict,
} from './reconcile.js';

/** Listing page size: Object Storage returns at most 1000 names per call. */
const PAGE = 1000;
const MAX_ERRORS_IN_A_ROW = 5;
/** A sweep ends itself after this long, well inside its activity's 15-minute start-to-close timeout. */
export const SWEEP_BUDGET_MS = 10 * 60 * 1000;

export interface ReconcileDeps {
  store: ObjectStore;
  starter: WorkflowStarter;
  config: StarterConfig & { reconcile: ReconcileSettings };
  dryRun?: boolean;
  /** The previous sweep's `next`; anything that is not a cursor into a configured bucket starts over. */
  resume?: unknown;
  /** The last heartbeat of a failed attempt of this sweep: goes on with its counts at its object. */
  progress?: unknown;
  /** Called before each object, with where a retried attempt would go on (activities heartbeat it). */
  onProgress?(progress: { report: ReconcileReport; at: ReconcileCursor }): void;
  log?(message: string, fields: Record<string, unknown>): void;
  now?: () => number;
  budgetMs?: number;
}

const messageOf = (error: unknown): string => (error instanceof Error ? error.message : String(error));

export async function reconcileSources(deps: ReconcileDeps): Promise<ReconcileReport> {
  const { store, config } = deps;
  const settings = config.reconcile;
  const dryRun = deps.dryRun ?? false;
  const now = deps.now ?? Date.now;
  const deadline = now() + (deps.budgetMs ?? SWEEP_BUDGET_MS);
  const buckets = [...new Set(config.sourceBuckets)];
  const resumed = resumeProgress(deps.progress, buckets, dryRun);
  const report = resumed?.report ?? emptyReconcileReport(dryRun);
  if (settings.maxObjects === 0) return { ...report, off: true };
  const from = resumed?.at ?? resumeCursor(deps.resume, buckets);
  const stop = (stoppedBy: NonNullable<ReconcileReport['stoppedBy']>, next: ReconcileCursor): ReconcileReport => ({ ...report, next, stoppedBy });
  const first = from ? buckets.indexOf(from.bucket) : 0;
  let errorsInARow = 0;

  for (let i = first; i < buckets.length; i++) {
    const bucket = buckets[i] as string;
    let start = i === first ? from?.start : undefined;
    for (;;) {
      const room = settings.maxObjects - report.examined;
      if (room <= 0) return stop('max-objects', start === undefined ? { bucket } : { bucket, start });
      let page;
      try {
        page = await store.list(bucket, '', { ...(start === undefined ? {} : { start }), limit: Math.min(PAGE, room) });
      } catch (error) {
        // This bucket waits for the next pass; the other buckets are still reconciled.
        recordOutcome(report, 'error', { bucket, reason: `could not list the bucket: ${messageOf(error)}` });
        deps.log?.('reconciler: could not list a source bucket', { bucket, error: messageOf(error) });
        break;
      }
      for (const o of page.objects) {
        const at = { bucket, start: o.name };
        if (startsLeft(report, settings) <= 0) return stop('max-starts', at);
        if (now() >= deadline) return stop('time', at);
        if (errorsInARow >= MAX_ERRORS_IN_A_ROW) return stop('errors', at);
        deps.onProgress?.({ report: structuredClone(report), at });
        report.examined += 1;
        errorsInARow = (await examine(deps, bucket, o, report, now())) === 'error' ? errorsInARow + 1 : 0;
      }
      if (page.next === undefined) break;
      start = page.next;
    }
  }
  return report;
}

/**
 * The job.json at a name, or undefined. Listed before it is read: most objects that get this far have
 * none, and a GET of a missing object is an error on OCI (the SDK warns of each on stderr).
 */
async function readRecord(store: ObjectStore, bucket: string, name: string): Promise<unknown> {
  const { objects } = await store.list(bucket, name, { limit: 1 });
  return objects[0]?.name === name ? readJson<unknown>(store, bucket, name) : undefined;
}

/** Judges one listed object and acts on the verdict; returns what happened to it. */
async function examine(deps: ReconcileDeps, bucket: string, o: ObjectInfo, report: ReconcileReport, now: number): Promise<'skipped' | 'current' | ObjectOutcome> {
  const { store, starter, config } = deps;
  const line = { bucket, object: o.name, etag: o.etag };
  const early = screen(bucket, o, config, config.reconcile.graceSec, now);
  if (early) {
    recordOutcome(report, 'skipped', { ...line, reason: early.reason });
    return 'skipped';
  }
  const request = requestFor({ namespace: store.namespace, bucket, object: o.name, etag: o.etag }, config);
  const workflowId = workflowIdFor(request.source);
  let doing = 'look up its run';
  try {
    let verdict: Verdict<'current' | 'conflict' | 'start'> | undefined = byRun(o.etag, await starter.describe(workflowId));
    if (!verdict) {
      doing = `read ${JOB_RECORD}`;
      const dest = request.dest ?? { bucket: config.destBucket };
      verdict = byRecord({ ...request.source, etag: o.etag }, await readRecord(store, dest.bucket, streamPrefix(dest, o.name) + JOB_RECORD));
    }
    if (verdict.action !== 'start') {
      const outcome = verdict.action === 'conflict' ? 'conflict' : 'current';
      recordOutcome(report, outcome, { ...line, reason: verdict.reason, workflowId });
      return outcome;
    }
    if (report.dryRun) {
      recordOutcome(report, 'would-start', { ...line, reason: verdict.reason, workflowId });
      return 'would-start';
    }
    doing = 'start its run';
    const answer = await startTranscode(request, { starter, config });
    const reason =
      answer.outcome === 'started' || answer.outcome === 'superseding' ? verdict.reason : answer.outcome === 'pending' ? answer.reason : `the run answered: ${answer.reason}`;
    recordOutcome(report, answer.outcome, { ...line, reason, workflowId, ...('runId' in answer ? { runId: answer.runId } : {}) });
    deps.log?.(`reconciler: ${answer.outcome} ${bucket}/${o.name}`, { workflowId, etag: o.etag, reason });
    return answer.outcome;
  } catch (error) {
    recordOutcome(report, 'error', { ...line, reason: `could not ${doing}: ${messageOf(error)}`, workflowId });
    deps.log?.(`reconciler: could not ${doing}`, { bucket, object: o.name, error: messageOf(error) });
    return 'error';
  }
}

// The reconciler's decisions, pure: which source objects never got their run. An event can be lost
// (the starter failed for longer than Events kept retrying, say during a Temporal outage); the janitor
// then finds the object by listing its bucket and starts it as if its event had arrived. Per object:
//   not the pipeline's (folder marker, own output, archived)         -> skipped
//   modified less than graceSec ago                                   -> skipped (its event may be on its way)
//   the latest run of its workflow id has its eTag in the memo         -> current (open or closed)
//   job.json at its stream prefix records this source at this eTag     -> current (the run's history expired)
//   job.json there records another source (same name, other bucket)    -> conflict: not started, reported
//   anything else                                                      -> start
import { z } from 'zod';
import { ignoredObjectReason, type EventConfig } from '../domain/events.js';
import type { SourceRef } from '../domain/types.js';
import type { ObjectInfo } from '../ports.js';
import type { RunInfo } from '../starter-fn/handler.js';
import type { JanitorReport } from './decide.js';

export interface ReconcileSettings {
  /** Objects listed per sweep, all source buckets together; 0 turns the reconciler off. */
  maxObjects: number;
  /** Runs started per sweep (in a dry run: reported as would-start). */
  maxStarts: number;
  /** Objects modified less than this many seconds ago are left to their own event. */
  graceSec: number;
}

/** Where a sweep goes on: the first object not yet examined (`start` is inclusive, as in a listing). */
export interface ReconcileCursor {
  bucket: string;
  start?: string;
}

export type Verdict<A extends 'skip' | 'current' | 'conflict' | 'start' = 'skip' | 'current' | 'conflict' | 'start'> = { action: A; reason: string };

export type ListedObject = Pick<ObjectInfo, 'name' | 'etag' | 'modified' | 'archivalState'>;

/** The verdict that needs no lookup (skip), or undefined when the object's run and job.json decide. */
export function screen(bucket: string, o: ListedObject, config: EventConfig, graceSec: number, now: number): Verdict<'skip'> | undefined {
  const ignored = ignoredObjectReason({ bucket, object: o.name, archivalState: o.archivalState }, config);
  if (ignored !== undefined) return { action: 'skip', reason: ignored };
  if (!o.etag) return { action: 'skip', reason: 'the listing gives no eTag, so no run can be matched to it' };
  const modified = o.modified === undefined ? NaN : Date.parse(o.modified);
  // Without a time the object is taken as old: the start path dedupes, so a race with its event is harmless.
  if (Number.isFinite(modified) && now - modified < graceSec * 1000) {
    return { action: 'skip', reason: `modified ${Math.max(0, Math.round((now - modified) / 1000))} s ago, within the ${graceSec} s grace period: its event may still be on its way` };
  }
  return undefined;
}

/** current when the latest run of the object's workflow id works (or worked) on this eTag. */
export function byRun(etag: string, latest: RunInfo | undefined): Verdict<'current'> | undefined {
  if (latest?.etag !== etag) return undefined;
  return { action: 'current', reason: `run ${latest.runId} (${latest.status.toLowerCase()}) has eTag ${etag}` };
}

const recordSource = z.object({
  outcome: z.string().optional(),
  source: z.object({ namespace: z.string().optional(), bucket: z.string().optional(), object: z.string().optional(), etag: z.string().optional() }),
});

/** The verdict once no run has the eTag, from the job.json at the stream prefix (undefined: none there). */
export function byRecord(source: SourceRef & { etag: string }, record: unknown): Verdict<'current' | 'conflict' | 'start'> {
  if (record === undefined) return { action: 'start', reason: `no run and no job.json for eTag ${source.etag}` };
  const parsed = recordSource.safeParse(record);
  if (!parsed.success) return { action: 'start', reason: `no run for eTag ${source.etag}, and the job.json there names no source` };
  const { outcome, source: s } = parsed.data;
  const other = (['namespace', 'bucket', 'object'] as const).find((k) => s[k] !== undefined && s[k] !== source[k]);
  if (other !== undefined) {
    // Same object name in two source buckets share one stream prefix: starting would overwrite the other's
    // outputs, and the two would take turns each time a run's history expires.
    return { action: 'conflict', reason: `its stream prefix holds the outputs of ${s.namespace ?? '?'}/${s.bucket ?? '?'}/${s.object ?? '?'}: not started` };
  }
  if (s.etag === source.etag) return { action: 'current', reason: `job.json (${outcome ?? 'no outcome'}) records eTag ${source.etag}; its run is no longer in Temporal` };
  return { action: 'start', reason: `no run for eTag ${source.etag}; job.json records ${s.etag === undefined ? 'no eTag' : `eTag ${s.etag}`}` };
}

const cursorSchema = z.object({ bucket: z.string().min(1), start: z.string().min(1).optional() });

/** The previous sweep's `next`, when it still names a configured source bucket; else undefined (start over). */
export function resumeCursor(value: unknown, buckets: readonly string[]): ReconcileCursor | undefined {
  const parsed = cursorSchema.safeParse(value);
  if (!parsed.success || !buckets.includes(parsed.data.bucket)) return undefined;
  const { bucket, start } = parsed.data;
  return start === undefined ? { bucket } : { bucket, start };
}

export type ObjectOutcome = 'started' | 'superseding' | 'pending' | 'would-start' | 'duplicate' | 'stale' | 'conflict' | 'error';

export interface ReconcileLine {
  bucket: string;
  /** Absent for a bucket that could not be listed. */
  object?: string;
  etag?: string;
  outcome: ObjectOutcome;
  reason: string;
  workflowId?: string;
  runId?: string;
}

/** What one sweep did. The counts add up to `examined`, plus one error per bucket that could not be listed. */
export interface ReconcileReport {
  dryRun: boolean;
  /** OCI_TRANSCODE_RECONCILE_MAX_OBJECTS is 0: nothing was looked at. */
  off?: true;
  examined: number;
  /** Not the pipeline's to transcode, younger than the grace period, or a conflict. */
  skipped: number;
  /** A run or job.json for the current eTag (also: its event won the race to start it). */
  current: number;
  started: number;
  /** Dry run only: what a sweep would start. */
  wouldStart: number;
  errors: number;
  /** Where the next sweep goes on; absent when this one reached the end of the last source bucket. */
  next?: ReconcileCursor;
  stoppedBy?: 'max-objects' | 'max-starts' | 'time' | 'errors';
  /** Started, would-start, duplicate, conflict and error lines (capped); skipped and current are counted only. */
  objects: ReconcileLine[];
}

/** The janitor workflow's result: the orphan sweep's report, and the reconciler's. */
export type JanitorResult = JanitorReport & { reconciled: ReconcileReport };

/** Lines are capped: the report is a workflow result and heartbeat detail, and names can be 1 KiB each. */
export const REPORT_OBJECT_LINES = 50;

export function emptyReconcileReport(dryRun: boolean): ReconcileReport {
  return { dryRun, examined: 0, skipped: 0, current: 0, started: 0, wouldStart: 0, errors: 0, objects: [] };
}

/** Counts one outcome (an object's, or a bucket's listing error), and keeps its line while there is room. */
export function recordOutcome(report: ReconcileReport, outcome: 'skipped' | 'current' | ObjectOutcome, line: Omit<ReconcileLine, 'outcome'>): void {
  // stale: the object changed between the listing and the start; its new upload's own event (or the next sweep) takes it.
  if (outcome === 'skipped' || outcome === 'conflict' || outcome === 'stale') report.skipped += 1;
  else if (outcome === 'current' || outcome === 'duplicate') report.current += 1;
  else if (outcome === 'started' || outcome === 'superseding' || outcome === 'pending') report.started += 1;
  else if (outcome === 'would-start') report.wouldStart += 1;
  else report.errors += 1;
  if (outcome === 'skipped' || outcome === 'current' || report.objects.length >= REPORT_OBJECT_LINES) return;
  report.objects.push({ ...line, outcome });
}

/** Starts this sweep may still make (a dry run counts what it would start, so it previews a real sweep). */
export function startsLeft(report: ReconcileReport, settings: ReconcileSettings): number {
  return settings.maxStarts - report.started - report.wouldStart;
}

const progressSchema = z.object({
  report: z.object({
    dryRun: z.boolean(),
    examined: z.number().int().min(0),
    skipped: z.number().int().min(0),
    current: z.number().int().min(0),
    started: z.number().int().min(0),
    wouldStart: z.number().int().min(0),
    errors: z.number().int().min(0),
    objects: z.array(z.looseObject({ bucket: z.string(), outcome: z.string(), reason: z.string() })),
  }),
  at: cursorSchema,
});

/** A retried attempt's last heartbeat: its counts and the object it was at; undefined when unusable. */
export function resumeProgress(value: unknown, buckets: readonly string[], dryRun: boolean): { report: ReconcileReport; at: ReconcileCursor } | undefined {
  const parsed = progressSchema.safeParse(value);
  if (!parsed.success || parsed.data.report.dryRun !== dryRun) return undefined;
  const at = resumeCursor(parsed.data.at, buckets);
  return at && { report: { ...parsed.data.report, objects: parsed.data.report.objects as ReconcileLine[] }, at };
}

/** One line for logs and the CLI. */
export function reconcileSummary(r: ReconcileReport): string {
  if (r.off) return 'reconciler off (OCI_TRANSCODE_RECONCILE_MAX_OBJECTS=0)';
  const what = r.dryRun ? `dry run: ${r.wouldStart} would be started` : `${r.started} started`;
  const where = r.next ? `stopped (${r.stoppedBy ?? 'limit'}); the next sweep goes on at ${r.next.bucket}/${r.next.start ?? ''}` : 'reached the end of every source bucket';
  return `reconciler examined ${r.examined} object(s): ${what}, ${r.current} current, ${r.skipped} skipped, ${r.errors} error(s); ${where}`;
}

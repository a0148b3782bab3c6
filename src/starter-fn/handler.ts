// The starter: one object event -> at most one workflow run per upload. Pure apart from the injected
// WorkflowStarter; the Fn entry (func.ts) and the local watcher call handleEvent, and the janitor's
// reconciler (src/janitor/reconcile-sweep.ts) calls startTranscode for an upload whose event was lost:
// both go through startTranscode, the only place that turns a request into a start.
//
// How dedupe and supersede work (one workflow id per object, the run's memo holds its etag):
//   1. describe(id): a run (open or closed) whose etag is the event's -> 'duplicate'. A redelivery
//      never starts a second run, also after the first completed.
//   2. otherwise signalWithStart(id, request, supersede{etag}): with no open run it starts one (its own
//      signal is then a no-op: same etag); with an older open run it only signals it, and that run
//      stops, cleans up and continues as new with the newer upload -> 'superseding'.
// Races, all ending in one run per etag:
//   - N concurrent deliveries of one event all see "no run" in step 1; Temporal lets exactly one
//     signalWithStart create the run, the others signal that same run with the same etag (ignored by
//     the workflow). The adapter tells the creator apart by a random id in the memo: 'started' once,
//     'duplicate' for the rest.
//   - A run closes between step 1 and 2: signalWithStart starts a fresh run -> 'started'.
//   - Another upload's run appears between step 1 and 2: our signal reaches it, its etag differs ->
//     'superseding' (the workflow checks the object's current etag before it publishes, so an
//     out-of-order older event can never publish over newer outputs).
//   - The old run already continued as new with our etag: describe shows our etag -> 'duplicate'.
import type { Config } from '../config.js';
import { parseObjectEvent, workflowIdFor } from '../domain/events.js';
import type { TranscodeRequest } from '../domain/types.js';
import type { TranscodeMemo } from '../workflows/definitions.js';

export { InvalidEventError } from '../domain/events.js';

export type StarterConfig = Pick<Config, 'sourceBuckets' | 'destBucket' | 'destPrefix'> &
  Partial<Pick<Config, 'preset' | 'formats' | 'parallelism' | 'segmentFormat'>>;

export type StarterResult =
  | { outcome: 'started'; workflowId: string; runId: string }
  | { outcome: 'superseding'; workflowId: string; runId: string }
  | { outcome: 'duplicate'; workflowId: string; reason: string }
  | { outcome: 'ignored'; reason: string };

export interface RunInfo {
  runId: string;
  /** Temporal's status name: RUNNING, COMPLETED, FAILED, CANCELLED, TERMINATED, CONTINUED_AS_NEW, TIMED_OUT. */
  status: string;
  /** The etag in the run's memo. */
  etag?: string;
}

/** The starter's only window on Temporal. Real one: temporal-starter.ts; tests use an in-memory one. */
export interface WorkflowStarter {
  /** The latest run of the workflow id, or undefined when no run ever had it. */
  describe(workflowId: string): Promise<RunInfo | undefined>;
  /**
   * Signals the open run of the id with supersede{etag: request.source.etag}, or starts a run with
   * the request, memo and that signal. `started` tells whether THIS call created the run; `etag` is
   * the memo etag of the run that got the signal.
   */
  signalWithStart(workflowId: string, request: TranscodeRequest, memo: TranscodeMemo): Promise<{ runId: string; started: boolean; etag?: string }>;
}

/** What startTranscode answers: every StarterResult but 'ignored' (requests are never ignored). */
export type StartResult = Exclude<StarterResult, { outcome: 'ignored' }>;

export async function handleEvent(event: unknown, deps: { starter: WorkflowStarter; config: StarterConfig }): Promise<StarterResult> {
  const parsed = parseObjectEvent(event, deps.config); // throws InvalidEventError: the Fn wrapper answers 400
  if (parsed.kind === 'ignore') return { outcome: 'ignored', reason: parsed.reason };
  return startTranscode(parsed.request, deps);
}

/** The one start path (see the header): the configured settings, dedupe on the memo etag, signal-with-start. */
export async function startTranscode(base: TranscodeRequest, deps: { starter: WorkflowStarter; config: StarterConfig }): Promise<StartResult> {
  const { starter, config } = deps;
  const request: TranscodeRequest = { ...base };
  if (config.preset) request.preset = config.preset;
  if (config.formats) request.formats = [...config.formats];
  if (config.parallelism) request.parallelism = config.parallelism;
  if (config.segmentFormat) request.segmentFormat = config.segmentFormat;
  const { source } = request;
  const etag = source.etag ?? '';
  const workflowId = workflowIdFor(source);

  const latest = await starter.describe(workflowId);
  if (latest?.etag === etag) {
    return { outcome: 'duplicate', workflowId, reason: `run ${latest.runId} (${latest.status.toLowerCase()}) already has eTag ${etag}` };
  }
  const memo: TranscodeMemo = { source: `${source.bucket}/${source.object}`, etag, preset: request.preset ?? 'default' };
  const answer = await starter.signalWithStart(workflowId, request, memo);
  if (answer.started) return { outcome: 'started', workflowId, runId: answer.runId };
  if (answer.etag === etag) return { outcome: 'duplicate', workflowId, reason: `a concurrent delivery started run ${answer.runId} for eTag ${etag}` };
  return { outcome: 'superseding', workflowId, runId: answer.runId };
}

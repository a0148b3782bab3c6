// The starter: one object event -> at most one workflow run per upload. Pure apart from the injected
// WorkflowStarter; the Fn entry (func.ts) and the local watcher call handleEvent, and the janitor's
// reconciler (src/janitor/reconcile-sweep.ts) and the job API call startTranscode: the only place that
// turns a request into a start.
//
// One workflow id per object. The starter sends the run the `upload` update with the event's eTag, with
// start (Update-with-start, workflowIdConflictPolicy USE_EXISTING, update id derived from the eTag), and
// the run answers from the source itself (its HEAD and its published job.json; workflows/uploads.ts):
//   started      no run was open: this call started one for this upload;
//   superseding  an older upload's run is open: it stops, cleans up and continues as new with this one;
//   duplicate    the run already works on this upload, or it is published (also after the run closed);
//   stale        the event names an older upload (or a deleted object): nothing changes.
// Races, all ending in one run per upload:
//   - N concurrent deliveries of one event: one update id, so Temporal runs one handler and hands every
//     caller its answer; the answer carries the token of the call it was made for, so that call reports
//     'started' (or 'superseding') and the others 'duplicate'.
//   - Deliveries in any order: each is judged against the object's HEAD, never against another event.
//   - A run that closes while an answer is on its way: the call is made again, and starts a new run.
import type { Config } from '../config.js';
import { captionsWorkflowIdFor, parseObjectEvent, workflowIdFor } from '../domain/events.js';
import type { CaptionsRequest } from '../domain/subtitles.js';
import type { TranscodeRequest } from '../domain/types.js';
import type { TranscodeMemo, UploadAnswer, UploadNotice, UploadOutcome } from '../workflows/definitions.js';

export { InvalidEventError } from '../domain/events.js';

export type StarterConfig = Pick<Config, 'sourceBuckets' | 'destBucket' | 'destPrefix'> &
  Partial<Pick<Config, 'preset' | 'formats' | 'parallelism' | 'segmentFormat'>>;

/**
 * The run's own answer, or `pending`: the run exists and holds the upload, but its workers did not answer
 * within OCI_TRANSCODE_STARTER_ANSWER_SEC (down, or far behind). It will judge the upload when they run.
 */
export type StarterOutcome = UploadOutcome | 'pending';

/** What the starter hands back for one announced upload. */
export type StarterAnswer = Omit<UploadAnswer, 'outcome'> & { outcome: StarterOutcome };

export type StarterResult =
  | { outcome: StarterOutcome; workflowId: string; runId: string; reason: string }
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
  /** The latest run of the workflow id, or undefined when no run ever had it (the reconciler asks). */
  describe(workflowId: string): Promise<RunInfo | undefined>;
  /** Update-with-start: the open run of the id (or a new one, started with `request` and `memo`) answers. */
  announce(workflowId: string, request: TranscodeRequest, memo: TranscodeMemo, notice: UploadNotice): Promise<StarterAnswer>;
  /** Starts the captions run of a sidecar upload unless one exists for it (started: false, its run id). */
  startCaptions?(workflowId: string, request: CaptionsRequest): Promise<{ runId: string; started: boolean }>;
}

/** What startTranscode answers: every StarterResult but 'ignored' (requests are never ignored). */
export type StartResult = Exclude<StarterResult, { outcome: 'ignored' }>;

export async function handleEvent(event: unknown, deps: { starter: WorkflowStarter; config: StarterConfig }): Promise<StarterResult> {
  const parsed = parseObjectEvent(event, deps.config); // throws InvalidEventError: the Fn wrapper answers 400
  if (parsed.kind === 'ignore') return { outcome: 'ignored', reason: parsed.reason };
  if (parsed.kind === 'captions') return startCaptions(parsed.request, deps.starter);
  return startTranscode(parsed.request, deps);
}

/** A sidecar upload: its own small run re-publishes the video's masters with it (no re-encode). */
async function startCaptions(request: CaptionsRequest, starter: WorkflowStarter): Promise<StarterResult> {
  if (!starter.startCaptions) return { outcome: 'ignored', reason: `${request.sidecar.object} is a sidecar; this starter cannot start captions runs` };
  const workflowId = captionsWorkflowIdFor(request.sidecar);
  const { runId, started } = await starter.startCaptions(workflowId, request);
  return { outcome: started ? 'started' : 'duplicate', workflowId, runId, reason: started ? `captions run for ${request.sidecar.object}` : `a captions run for this upload of ${request.sidecar.object} exists already` };
}

/** The one start path (see the header): the configured settings, then the run of the object answers. */
export async function startTranscode(base: TranscodeRequest, deps: { starter: WorkflowStarter; config: StarterConfig }): Promise<StartResult> {
  const { starter, config } = deps;
  const request: TranscodeRequest = { ...base };
  if (config.preset) request.preset = config.preset;
  if (config.formats) request.formats = [...config.formats];
  if (config.parallelism) request.parallelism = config.parallelism;
  if (config.segmentFormat) request.segmentFormat = config.segmentFormat;
  const { source } = request;
  const workflowId = workflowIdFor(source);
  const memo: TranscodeMemo = { source: `${source.bucket}/${source.object}`, preset: request.preset ?? 'default', ...(source.etag ? { etag: source.etag } : {}) };
  const answer = await starter.announce(workflowId, request, memo, { etag: source.etag ?? '' });
  return { outcome: answer.outcome, workflowId, runId: answer.runId, reason: answer.reason };
}

// The notification step, at the end of every run that could name its source: one notify activity per
// target, in parallel, each retried with backoff (2 s doubling to 5 min) for notify.retryForSec, then
// given up and recorded in job.json as undelivered. A notification never changes the run's outcome:
// its failures are returned, never thrown.
import { ActivityFailure, ApplicationFailure, log, proxyActivities, TimeoutFailure } from '@temporalio/workflow';
import type { Activities, NotifyPlan, PublishDetails, RunSummary, Undelivered } from '../activities/index.js';
import { redactTarget } from '../domain/notify-targets.js';
import type { DestRef, SourceRef } from '../domain/types.js';
import { storage } from './proxies.js';

/** Raised by the notify activity for what no retry can fix (a 4xx, a bad target, no secret). */
const REFUSED = 'NotificationRefused';

function reason(error: ActivityFailure, retryForSec: number): string {
  const { cause } = error;
  // Out of time during an attempt: the SCHEDULE_TO_CLOSE timeout comes without the attempt's failure.
  if (cause instanceof TimeoutFailure) return `not delivered within the ${retryForSec} s retry bound (${cause.timeoutType ?? 'timeout'})`;
  if (cause instanceof ApplicationFailure && cause.type === REFUSED) return `refused: ${cause.message}`;
  const message = cause instanceof Error ? cause.message : error.message;
  // The next retry would have started past the bound: the last attempt's failure is the reason.
  return error.retryState === 'TIMEOUT' ? `not delivered within the ${retryForSec} s retry bound: ${message}` : message;
}

/** Sends the run's notification to every target; resolves with the ones that were not delivered. */
export async function notifyTargets(plan: NotifyPlan, summary: RunSummary): Promise<Undelivered[]> {
  const { notify } = proxyActivities<Pick<Activities, 'notify'>>({
    // One attempt: a webhook POST gives up after 10 s, a topic publish after the SDK's own retries.
    startToCloseTimeout: '2 min',
    scheduleToCloseTimeout: `${plan.retryForSec}s`,
    retry: { initialInterval: '2s', backoffCoefficient: 2, maximumInterval: '5 min', nonRetryableErrorTypes: [REFUSED] },
  });
  const outcomes = await Promise.all(
    plan.targets.map(async ({ target, from }): Promise<Undelivered | undefined> => {
      try {
        await notify({ target, from, summary });
        return undefined;
      } catch (error) {
        if (!(error instanceof ActivityFailure)) throw error;
        return { target: redactTarget(target), error: reason(error, plan.retryForSec) };
      }
    }),
  );
  return outcomes.filter((u): u is Undelivered => u !== undefined);
}

/** Notifies every target; the ones given up on are logged and added to the run's job.json, when it wrote one. */
export async function notifyOutcome(plan: NotifyPlan, summary: RunSummary, record?: { dest: DestRef; sourceObject: string }): Promise<Undelivered[]> {
  const undelivered = await notifyTargets(plan, summary);
  if (undelivered.length === 0) return undelivered;
  log.warn('notifications undelivered', { stage: 'notifying', undelivered });
  if (record) {
    await storage.recordUndelivered({ ...record, runId: summary.runId, undelivered }).catch((error: unknown) => {
      log.error('could not record undelivered notifications in job.json', { stage: 'notifying', error: String(error) });
    });
  }
  return undelivered;
}

export interface SummaryParts {
  workflowId: string;
  runId: string;
  outcome: RunSummary['outcome'];
  source: SourceRef;
  dest?: DestRef | undefined;
  version?: string | undefined;
  error?: string | undefined;
  supersededBy?: string | undefined;
  durationSec?: number | undefined;
  timings: NonNullable<RunSummary['timings']>;
  /** Names relative to the destination bucket. */
  outputs?: { hls?: string | undefined; dash?: string | undefined; thumbnail?: string | undefined; record?: string | undefined };
  details?: PublishDetails | undefined;
}

/** What the notify activity builds the notification from (names and numbers only, never media). */
export function runSummary(p: SummaryParts): RunSummary {
  const { namespace, bucket, object, etag } = p.source;
  const summary: RunSummary = { workflowId: p.workflowId, runId: p.runId, outcome: p.outcome, source: { namespace, bucket, object }, timings: p.timings };
  if (etag !== undefined) summary.source.etag = etag;
  if (p.dest) summary.dest = p.dest.prefix ? { bucket: p.dest.bucket, prefix: p.dest.prefix } : { bucket: p.dest.bucket };
  if (p.version !== undefined) summary.version = p.version;
  if (p.error !== undefined) summary.error = p.error;
  if (p.supersededBy !== undefined) summary.supersededBy = p.supersededBy;
  if (p.durationSec !== undefined) summary.durationSec = p.durationSec;
  const outputs: NonNullable<RunSummary['outputs']> = {};
  for (const key of ['hls', 'dash', 'thumbnail', 'record'] as const) {
    const name = p.outputs?.[key];
    if (name !== undefined) outputs[key] = name;
  }
  if (p.details?.poster) outputs.poster = p.details.poster;
  if (p.details?.storyboard) outputs.storyboard = p.details.storyboard;
  if (Object.keys(outputs).length > 0) summary.outputs = outputs;
  if (p.details) summary.renditions = p.details.renditions.map(({ id, kind, codecs, width, height, averageBitrate, peakBitrate }) => ({
    id, kind, codecs, averageBitrate, peakBitrate, ...(width !== undefined ? { width } : {}), ...(height !== undefined ? { height } : {}),
  }));
  return summary;
}

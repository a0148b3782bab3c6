// The completion notification: one JSON document per run outcome, the same for webhooks and OCI
// Notifications. Built by a pure function from what the workflow knows at the end of a run (RunSummary),
// so an activity retry sends the same bytes, and the event id, derived from the run and its outcome,
// lets a receiver that got it twice (a 2xx whose answer was lost) keep one.
// `schema` is versioned: a field may be added within schema 1; removing or changing one makes schema 2.
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { mediaPlaylist, streamPrefix } from '../domain/layout.js';
import { formatOciUri } from '../domain/oci-uri.js';

export const NOTIFICATION_SCHEMA = 1;
export const OUTCOMES = ['completed', 'failed', 'canceled', 'superseded'] as const;
export type NotificationOutcome = (typeof OUTCOMES)[number];

/** Longest error text carried: a failure chain can be long, and OCI Notifications takes 64 KB per message. */
export const MAX_ERROR_CHARS = 2000;

const name = z.string().min(1).max(1024);
const outcome = z.enum(OUTCOMES);

const renditionFields = {
  id: z.string().min(1),
  kind: z.enum(['video', 'audio']),
  /** RFC 6381 codec string. */
  codecs: z.string().min(1),
  width: z.number().int().positive().optional(),
  height: z.number().int().positive().optional(),
  /** Bits per second. */
  averageBitrate: z.number().int().positive(),
  /** Measured peak segment bit rate, bits per second (HLS BANDWIDTH). */
  peakBitrate: z.number().int().positive(),
};

const timingsSchema = z.object({
  startedAt: z.string(),
  finishedAt: z.string(),
  totalSec: z.number().min(0),
  /** Seconds spent in each stage (inspecting, transcoding, …). */
  stages: z.record(z.string(), z.number()),
  firstPlayableSec: z.number().min(0).optional(),
  completeSec: z.number().min(0).optional(),
});

/** What the workflow hands the notify activity: names relative to the destination bucket, as in job.json. */
export const runSummarySchema = z.object({
  workflowId: name,
  runId: name,
  outcome,
  source: z.object({ namespace: name, bucket: name, object: name, etag: z.string().min(1).optional() }),
  /** Where the outputs went (absent when the run failed before it was known). */
  dest: z.object({ bucket: name, prefix: z.string().max(512).optional() }).optional(),
  /** The version folder of this upload's media (plan.version). */
  version: z.string().min(1).optional(),
  error: z.string().optional(),
  /** superseded: the eTag of the newer upload that took over. */
  supersededBy: z.string().min(1).optional(),
  outputs: z
    .object({
      hls: name.optional(),
      dash: name.optional(),
      /** The public PNG poster (thumbnails/<object>_thumb.png). */
      thumbnail: name.optional(),
      poster: name.optional(),
      storyboard: z.object({ vtt: name, image: name }).optional(),
      record: name.optional(),
      downloads: z.array(name).optional(),
    })
    .optional(),
  renditions: z.array(z.object(renditionFields)).optional(),
  durationSec: z.number().min(0).optional(),
  timings: timingsSchema.optional(),
});

export type RunSummary = z.infer<typeof runSummarySchema>;

const uri = z.string().startsWith('oci://');

export const notificationSchema = z.object({
  schema: z.literal(NOTIFICATION_SCHEMA),
  /** Stable per run and outcome: a redelivery carries the same id. */
  id: z.string().regex(/^evt_[0-9a-f]{32}$/),
  type: z.enum(OUTCOMES.map((o) => `transcode.${o}` as const) as [`transcode.${NotificationOutcome}`, ...`transcode.${NotificationOutcome}`[]]),
  outcome,
  /** When the run ended (its finishedAt), absent when the summary had no timings. */
  occurredAt: z.string().optional(),
  run: z.object({ workflowId: name, runId: name }),
  source: z.object({ namespace: name, bucket: name, object: name, etag: z.string().optional(), uri }),
  error: z.string().optional(),
  supersededBy: z.string().optional(),
  outputs: z.object({
    masters: z.object({ hls: uri.optional(), dash: uri.optional() }),
    thumbnails: z.object({ poster: uri.optional(), posterJpeg: uri.optional(), storyboard: z.object({ vtt: uri, image: uri }).optional() }),
    downloads: z.array(z.object({ uri })),
    /** job.json: what ran, in full. */
    record: uri.optional(),
  }),
  renditions: z.array(z.object({ ...renditionFields, playlist: uri.optional() })),
  durationSec: z.number().optional(),
  timings: timingsSchema.optional(),
});

export type Notification = z.infer<typeof notificationSchema>;

/** `evt_` + 128 bits of SHA-256 over the run and its outcome. */
export function eventIdFor(run: { workflowId: string; runId: string }, outcome: NotificationOutcome): string {
  const digest = createHash('sha256').update(`oci-transcode\n${run.workflowId}\n${run.runId}\n${outcome}`).digest('hex');
  return `evt_${digest.slice(0, 32)}`;
}

const truncate = (text: string, max: number): string => (text.length <= max ? text : `${text.slice(0, max - 1)}…`);

/** The notification of one run outcome. Pure: the same summary always gives the same document. */
export function buildNotification(summary: RunSummary): Notification {
  const { source, outputs = {} } = summary;
  const at = (bucket: string, objectName: string): string => formatOciUri({ namespace: source.namespace, bucket, name: objectName });
  const inDest = (objectName: string | undefined): string | undefined => (objectName && summary.dest ? at(summary.dest.bucket, objectName) : undefined);
  const prefix = summary.dest ? streamPrefix(summary.dest, source.object) : undefined;

  const n: Notification = {
    schema: NOTIFICATION_SCHEMA,
    id: eventIdFor(summary, summary.outcome),
    type: `transcode.${summary.outcome}`,
    outcome: summary.outcome,
    run: { workflowId: summary.workflowId, runId: summary.runId },
    source: { namespace: source.namespace, bucket: source.bucket, object: source.object, uri: at(source.bucket, source.object) },
    outputs: { masters: {}, thumbnails: {}, downloads: (outputs.downloads ?? []).flatMap((d) => inDest(d) ?? []).map((u) => ({ uri: u })) },
    renditions: (summary.renditions ?? []).map((r) => {
      const playlist = prefix !== undefined && summary.version ? inDest(prefix + mediaPlaylist(summary.version, r.id)) : undefined;
      return { ...r, ...(playlist ? { playlist } : {}) };
    }),
  };
  if (source.etag !== undefined) n.source.etag = source.etag;
  if (summary.timings) {
    n.occurredAt = summary.timings.finishedAt;
    n.timings = summary.timings;
  }
  if (summary.error !== undefined) n.error = truncate(summary.error, MAX_ERROR_CHARS);
  if (summary.supersededBy !== undefined) n.supersededBy = summary.supersededBy;
  const set = <T extends object>(target: T, key: keyof T & string, value: string | undefined): void => {
    if (value !== undefined) (target as Record<string, unknown>)[key] = value;
  };
  set(n.outputs.masters, 'hls', inDest(outputs.hls));
  set(n.outputs.masters, 'dash', inDest(outputs.dash));
  set(n.outputs.thumbnails, 'poster', inDest(outputs.thumbnail));
  set(n.outputs.thumbnails, 'posterJpeg', inDest(outputs.poster));
  set(n.outputs, 'record', inDest(outputs.record));
  if (outputs.storyboard && summary.dest) {
    n.outputs.thumbnails.storyboard = { vtt: at(summary.dest.bucket, outputs.storyboard.vtt), image: at(summary.dest.bucket, outputs.storyboard.image) };
  }
  if (summary.durationSec !== undefined) n.durationSec = summary.durationSec;
  return n;
}

/** A one-line subject: the ONS message title, a log line. */
export function notificationTitle(n: Pick<Notification, 'outcome' | 'source'>): string {
  return truncate(`oci-transcode ${n.outcome}: ${n.source.bucket}/${n.source.object}`, 255);
}

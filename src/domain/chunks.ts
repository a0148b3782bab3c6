// Time-split plans for long sources: the timeline is cut into chunks on segment boundaries (every segment
// starts on a forced, closed keyframe), each chunk job encodes every video rung for its range, and one more
// job encodes the audio continuously (no priming gap at any join) and cuts the thumbnails. Segments are
// numbered and timed globally, so publishing only lists every chunk's segments in order (domain/stitch.ts).
// Pure and deterministic: the workflow runs it (after planLadder) and its result is part of the history.
import { isH264 } from './codec-rungs.js';
import { planDownloads } from './downloads.js';
import type { ChunkRange, JobSpec, Plan } from './types.js';

export interface ChunkingOptions {
  /** Sources longer than this are split in time; shorter ones keep the plan's own jobs. */
  thresholdSec: number;
  /** Target chunk length; rounded to whole segments, and grown so that no plan has more than maxChunks. */
  chunkSec: number;
  maxChunks?: number;
}

/**
 * At most this many chunks per plan, whatever chunkSec says: it bounds the parent workflow's history
 * (historyBudget below). A six-hour source (the duration limit) with 4 s segments then gets 72 s chunks.
 */
export const MAX_CHUNKS = 300;

/** Frames per segment when segments are whole GOPs (the default preset); else chunks cannot be cut there. */
export function segmentFrames(plan: Pick<Plan, 'segmentSeconds' | 'fps' | 'gopFrames'>): number | undefined {
  if (!(plan.fps > 0) || !(plan.gopFrames > 0)) return undefined;
  const frames = Math.round(plan.segmentSeconds * plan.fps);
  if (Math.abs(frames / plan.fps - plan.segmentSeconds) > 1e-6 || frames % plan.gopFrames !== 0) return undefined;
  return frames;
}

/** Why a plan is not split (undefined: it is splittable). */
export function unsplittable(plan: Plan, options: ChunkingOptions): string | undefined {
  if (!(plan.durationSec > options.thresholdSec)) return `${plan.durationSec} s is not above the ${options.thresholdSec} s threshold`;
  if (plan.video.length === 0) return 'no video to split';
  // The audio job also cuts the thumbnails (it decodes the whole video once, cheaply): no audio, no split.
  if (!plan.audio) return 'no audio stream (the audio job carries the thumbnails)';
  if (plan.segmentFormat !== 'cmaf') return 'MPEG-TS segments are not split (CMAF only)';
  if (segmentFrames(plan) === undefined) return `segments (${plan.segmentSeconds} s) are not whole GOPs of ${plan.gopFrames} frames`;
  return undefined;
}

/** The job that remuxes a time-split run's MP4 download once the chunks are done. */
export const REMUX_JOB = 'download';

/**
 * The plan with time-split jobs when the source is long enough and the segments allow it, else unchanged.
 * `remuxDownload` adds the job that makes the MP4 download (runs recorded before it existed plan without).
 */
export function chunkPlan(plan: Plan, options: ChunkingOptions, { remuxDownload = false } = {}): Plan {
  if (unsplittable(plan, options) !== undefined) return plan;
  const perSegment = segmentFrames(plan) ?? 0;
  const totalSegments = Math.ceil(plan.durationSec / plan.segmentSeconds - 1e-9);
  const maxChunks = Math.max(1, Math.min(options.maxChunks ?? MAX_CHUNKS, MAX_CHUNKS));
  const chunkSegments = Math.max(1, Math.round(options.chunkSec / plan.segmentSeconds), Math.ceil(totalSegments / maxChunks));
  // A remainder shorter than half a chunk joins the last one instead of becoming a tiny job.
  let count = Math.max(1, Math.floor(totalSegments / chunkSegments));
  if (totalSegments - count * chunkSegments >= chunkSegments / 2 && count < maxChunks) count++;
  if (count < 2) return plan;
  const width = String(count).length;
  const videoIds = plan.video.map((v) => v.id);
  const chunks: JobSpec[] = [];
  for (let index = 0; index < count; index++) {
    const firstSegment = index * chunkSegments;
    const last = index === count - 1;
    const segments = last ? totalSegments - firstSegment : chunkSegments;
    const chunk: ChunkRange = { index, firstSegment, segments, startFrame: firstSegment * perSegment, ...(last ? {} : { frames: segments * perSegment }) };
    chunks.push({ id: `c${String(index + 1).padStart(Math.max(3, width), '0')}`, videoIds, audio: false, thumbnails: false, chunk });
  }
  // The audio job first: it is the longest single job (the whole timeline), so it must not wait for a slot.
  const jobs: JobSpec[] = [{ id: 'audio', videoIds: [], audio: true, thumbnails: true }, ...chunks];
  // The MP4 needs a whole rung, which no chunk holds: one more job remuxes it from the chunks' segments.
  if (remuxDownload && plan.downloads?.videoId && plan.audio) jobs.push({ id: REMUX_JOB, videoIds: [], audio: false, thumbnails: false, remux: true });
  // The downloads follow the jobs: the M4A moves to the audio job, the MP4 to the remux job (if any).
  const downloads = plan.downloads ? planDownloads({ ...plan, jobs }, plan.downloads.videoId ?? 'top') : undefined;
  return { ...plan, jobs, ...(downloads ? { downloads } : {}) };
}

/**
 * Each preview job covers at least this many chunks: it encodes one small rung (mostly decoding), and few
 * preview jobs keep the history bounded (at most MAX_CHUNKS / 8 more jobs; historyBudget).
 */
export const PREVIEW_MIN_CHUNKS = 8;

/**
 * Preview first, when the cap leaves chunks waiting for an instance: the lowest rung is taken out of the
 * chunk jobs and encoded by a few preview jobs over longer ranges (one wave: at most cap - 1 of them, beside
 * the audio job), scheduled right after the audio job. When they are done, the workflow publishes a preview
 * master of that rung and the audio; the other rungs' chunks follow. The price is one more decode of the
 * source by the preview jobs. With an instance for every job, every chunk starts at once and nothing is
 * gained: the plan is returned unchanged.
 */
export function previewFirst(plan: Plan, maxInstances: number): Plan {
  const chunks = plan.jobs.filter((j) => j.chunk);
  // The lowest H.264 rung: every player decodes it (HEVC and AV1 rungs follow the H.264 ones).
  const lowest = plan.video.filter(isH264).at(-1);
  // The remux job runs after all others: it never waits beside them for an instance.
  const concurrent = plan.jobs.filter((j) => !j.remux).length;
  if (chunks.length === 0 || plan.video.length < 2 || !lowest || concurrent <= maxInstances) return plan;
  const wanted = Math.min(Math.max(1, maxInstances - 1), Math.ceil(chunks.length / PREVIEW_MIN_CHUNKS));
  const group = Math.ceil(chunks.length / wanted);
  const previews: JobSpec[] = [];
  for (let first = 0; first < chunks.length; first += group) {
    const members = chunks.slice(first, first + group).map((j) => j.chunk!);
    const head = members[0]!;
    const tail = members.at(-1)!;
    const segments = members.reduce((n, c) => n + c.segments, 0);
    const frames = tail.frames === undefined ? {} : { frames: members.reduce((n, c) => n + c.frames!, 0) };
    const chunk: ChunkRange = { index: previews.length, firstSegment: head.firstSegment, segments, startFrame: head.startFrame, ...frames };
    previews.push({ id: `p${String(previews.length + 1).padStart(3, '0')}`, videoIds: [lowest.id], audio: false, thumbnails: false, chunk, preview: true });
  }
  const rest = chunks.map((j) => ({ ...j, videoIds: j.videoIds.filter((id) => id !== lowest.id) }));
  const others = plan.jobs.filter((j) => !j.chunk && !j.remux).map((j) => (j.audio ? { ...j, preview: true } : j));
  return { ...plan, jobs: [...others, ...previews, ...rest, ...plan.jobs.filter((j) => j.remux)] };
}

/** The plan a preview is verified and published with: the lowest rung and the audio, from the preview jobs. */
export function previewPlan(plan: Plan): Plan | undefined {
  const jobs = plan.jobs.filter((j) => j.preview);
  const ids = new Set(jobs.flatMap((j) => j.videoIds));
  if (!jobs.some((j) => j.chunk)) return undefined;
  return { ...plan, video: plan.video.filter((v) => ids.has(v.id)), jobs };
}

export const isChunked = (plan: Pick<Plan, 'jobs'>): boolean => plan.jobs.some((j) => j.chunk !== undefined);

/** Seconds of the timeline a job encodes: its chunk's range, else the whole source. */
export function jobSeconds(plan: Pick<Plan, 'durationSec' | 'fps'>, job: JobSpec): number {
  const c = job.chunk;
  if (!c || !(plan.fps > 0)) return plan.durationSec;
  const start = c.startFrame / plan.fps;
  return Math.max(0, Math.min(plan.durationSec, c.frames !== undefined ? start + c.frames / plan.fps : plan.durationSec) - start);
}

// ---- the parent workflow's history --------------------------------------------------------------

/** Temporal's own limits (a history over 51,200 events is terminated; 2,000 pending activities per run). */
export const TEMPORAL_LIMITS = { events: 51_200, pendingActivities: 2_000 } as const;

/**
 * Events of one job attempt in the parent's history, counted from the commands it makes: startJob,
 * awaitJob and the deleteJobs that frees its instance (scheduled, started, completed: 3 each) with a
 * workflow task (3) after each, and at most three progress signals (chunk jobs signal at 0, 50 and 100 %),
 * each with its workflow task (1 + 3). The fast-tier test (tests/functional/workflow/chunked.test.ts)
 * measures a real chunked run against this figure.
 */
export const EVENTS_PER_ATTEMPT = 30;
/** A failed attempt: the same, plus the backoff timer (2) and its workflow task (3). */
export const EVENTS_PER_RETRY = EVENTS_PER_ATTEMPT + 5;
/** Everything else a run records: judge, inspect, verify, publish, prune, cleanup, stage attributes, memo, the update. */
export const EVENTS_FIXED = 150;

export interface HistoryBudget {
  /** A run where every job succeeds first time. */
  events: number;
  /** A run where every job needs every attempt (maxAttempts - 1 failures each). */
  worstEvents: number;
  /** Each job has at most one activity pending at a time, and at most `instances` jobs run at once. */
  pendingActivities: number;
}

export function historyBudget(plan: Pick<Plan, 'jobs'>, o: { maxAttempts: number; instances: number }): HistoryBudget {
  const jobs = plan.jobs.length;
  return {
    events: EVENTS_FIXED + jobs * EVENTS_PER_ATTEMPT,
    worstEvents: EVENTS_FIXED + jobs * (EVENTS_PER_ATTEMPT + (o.maxAttempts - 1) * EVENTS_PER_RETRY),
    pendingActivities: Math.min(jobs, o.instances) + 2,
  };
}

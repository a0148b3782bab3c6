// The wire contract, defined once as zod schemas, with the types derived from them: what a request may
// say (the starter, the API, `temporal workflow start --input`), the plan the workflow hands each job
// (`--plan`), what a job leaves in renditions.json, the transcoder's stdout events and exit codes.
// Pure: the workflow imports only the types (z.infer), activities and the transcoder validate with the
// schemas wherever a value crosses a process or a store.
import { z } from 'zod';

// ---- enums ---------------------------------------------------------------------------------------

export const PRESETS = ['default', 'seed'] as const;
export const STREAM_FORMATS = ['hls', 'dash'] as const;
export const PARALLELISMS = ['single', 'per-rendition'] as const;
/** cmaf: fMP4 segments shared by HLS and DASH. ts: MPEG-TS HLS like the original (no DASH). */
export const SEGMENT_FORMATS = ['cmaf', 'ts'] as const;

export const presetSchema = z.enum(PRESETS);
export const streamFormatSchema = z.enum(STREAM_FORMATS);
export const parallelismSchema = z.enum(PARALLELISMS);
export const segmentFormatSchema = z.enum(SEGMENT_FORMATS);

export type PresetName = z.infer<typeof presetSchema>;
export type StreamFormat = z.infer<typeof streamFormatSchema>;
export type Parallelism = z.infer<typeof parallelismSchema>;
export type SegmentFormat = z.infer<typeof segmentFormatSchema>;

// ---- the request ---------------------------------------------------------------------------------

const name = z.string().min(1).max(1024);

export const sourceRefSchema = z.object({
  namespace: name,
  bucket: name,
  object: name.refine((o) => !o.endsWith('/'), 'is a folder marker, not a file'),
  /** The version-like field of the upload; two uploads under one name differ here. */
  etag: z.string().min(1).optional(),
});

export const destRefSchema = z.object({
  bucket: name,
  /** Prepended to every output name; empty or ending in '/'. */
  prefix: z.string().max(512).refine((p) => !p.startsWith('/'), 'must not start with /').optional(),
});

/** Input of the `transcode` workflow, and what the starter builds from an event. */
export const transcodeRequestSchema = z.object({
  source: sourceRefSchema,
  dest: destRefSchema.optional(),
  preset: presetSchema.optional(),
  formats: z.array(streamFormatSchema).min(1).optional(),
  parallelism: parallelismSchema.optional(),
  segmentFormat: segmentFormatSchema.optional(),
});

export type SourceRef = z.infer<typeof sourceRefSchema>;
export type DestRef = z.infer<typeof destRefSchema>;
export type TranscodeRequest = z.infer<typeof transcodeRequestSchema>;

// ---- the plan ------------------------------------------------------------------------------------

const id = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'ids are path-safe: letters, digits, "_" and "-"');
const even = z.number().int().positive().refine((n) => n % 2 === 0, 'must be even');

export const videoRenditionSchema = z.object({
  /** Stable, path-safe id such as "720p"; also the folder name of its segments. */
  id,
  width: even,
  height: even,
  /** Target bit rate in bits per second (x264 -b:v). */
  bitrate: z.number().int().positive(),
  maxrate: z.number().int().positive(),
  bufsize: z.number().int().positive(),
  /** H.264 profile and level, e.g. "high" and "4.0". */
  profile: z.enum(['baseline', 'main', 'high']),
  level: z.string().regex(/^[1-6](\.[0-3])?$/),
});

export const audioRenditionSchema = z.object({
  id,
  bitrate: z.number().int().positive(),
  channels: z.number().int().min(1).max(8),
  sampleRate: z.number().int().positive(),
});

/**
 * A time-split chunk (domain/chunks.ts): frames [startFrame, startFrame + frames) of the output timeline
 * (the last chunk: to the end of the source), written as segments firstSegment+1... with global timing.
 */
export const chunkRangeSchema = z.object({
  index: z.number().int().min(0),
  firstSegment: z.number().int().min(0),
  segments: z.number().int().positive(),
  startFrame: z.number().int().min(0),
  /** Absent for the last chunk, which encodes to the end of the source like a single job does. */
  frames: z.number().int().positive().optional(),
});

/** One transcoder run: a subset of the plan's renditions (and, for a chunk, a range of its timeline). */
export const jobSpecSchema = z.object({ id, videoIds: z.array(id), audio: z.boolean(), thumbnails: z.boolean(), chunk: chunkRangeSchema.optional() });

export const planSchema = z
  .object({
    preset: presetSchema,
    formats: z.array(streamFormatSchema).min(1),
    segmentFormat: segmentFormatSchema,
    /** Target segment duration in seconds. */
    segmentSeconds: z.number().positive(),
    /** Output frame rate (source rate, capped at 60); every rendition shares it. */
    fps: z.number().min(0).max(120),
    /** Keyframe interval in frames, identical in every rendition so segments align. */
    gopFrames: z.number().int().min(0),
    video: z.array(videoRenditionSchema),
    audio: audioRenditionSchema.optional(),
    /** The source duration the plan was made for, to check outputs against. */
    durationSec: z.number().positive(),
    /** Folder under the stream prefix that holds this version's media (see domain/layout). */
    version: id,
    jobs: z.array(jobSpecSchema).min(1),
  })
  .refine((p) => p.video.length === 0 || (p.fps > 0 && p.gopFrames > 0), 'video needs fps and gopFrames above 0')
  .refine((p) => p.jobs.every((j) => j.videoIds.every((v) => p.video.some((r) => r.id === v))), 'every job names planned video renditions');

export type VideoRendition = z.infer<typeof videoRenditionSchema>;
export type AudioRendition = z.infer<typeof audioRenditionSchema>;
export type JobSpec = z.infer<typeof jobSpecSchema>;
export type ChunkRange = z.infer<typeof chunkRangeSchema>;
export type Plan = z.infer<typeof planSchema>;

// ---- what a job writes: renditions.json ----------------------------------------------------------

export const segmentSchema = z.object({
  /** Relative to the stream prefix, e.g. "v-1a2b3c4d/720p/seg_00001.m4s". */
  uri: z.string().min(1),
  durationSec: z.number().positive(),
  bytes: z.number().int().positive(),
  /** Start and duration in the rendition's timescale, exact from the muxer. */
  start: z.number().int().min(0),
  duration: z.number().int().positive(),
});

export const renditionMetaSchema = z.object({
  id,
  kind: z.enum(['video', 'audio']),
  /** RFC 6381 codec string, e.g. "avc1.64001f" or "mp4a.40.2". */
  codecs: z.string().min(1),
  width: z.number().int().positive().optional(),
  height: z.number().int().positive().optional(),
  frameRate: z.number().positive().optional(),
  channels: z.number().int().positive().optional(),
  sampleRate: z.number().int().positive().optional(),
  /** BCP 47 / ISO 639 language of an audio rendition when the source tags one (HLS LANGUAGE, DASH lang). */
  language: z.string().min(1).optional(),
  /** Peak segment bit rate in bits per second (HLS BANDWIDTH). */
  peakBitrate: z.number().int().positive(),
  /** Average bit rate in bits per second (HLS AVERAGE-BANDWIDTH, DASH bandwidth). */
  averageBitrate: z.number().int().positive(),
  /** Media playlist relative to the stream prefix, e.g. "v-1a2b3c4d/720p/playlist.m3u8". */
  playlist: z.string().min(1),
  /** fMP4 initialization segment (absent for MPEG-TS). */
  initSegment: z.string().min(1).optional(),
  /** SHA-256 (hex) of the init segment a chunk job wrote: every chunk's must be the same (domain/stitch.ts). */
  initSha256: z.string().regex(/^[0-9a-f]{64}$/).optional(),
  timescale: z.number().int().positive(),
  segments: z.array(segmentSchema),
  durationSec: z.number().positive(),
});

export const thumbnailSetSchema = z.object({
  /** Stream-relative names (see domain/layout). The PNG is copied to thumbnails/<object>_thumb.png on publish. */
  png: z.string().optional(),
  jpeg: z.string().optional(),
  storyboard: z
    .object({ image: z.string(), vtt: z.string(), tileWidth: z.number().int().positive(), tileHeight: z.number().int().positive(), intervalSec: z.number().positive() })
    .optional(),
});

/** `renditions.json`, one per job, at layout.renditionsFile(job). */
export const renditionsFileSchema = z.object({
  schema: z.literal(1),
  jobId: id,
  version: id,
  segmentFormat: segmentFormatSchema,
  durationSec: z.number().positive(),
  renditions: z.array(renditionMetaSchema),
  thumbnails: thumbnailSetSchema.optional(),
});

export type SegmentInfo = z.infer<typeof segmentSchema>;
export type RenditionMeta = z.infer<typeof renditionMetaSchema>;
export type ThumbnailSet = z.infer<typeof thumbnailSetSchema>;
export type RenditionsFile = z.infer<typeof renditionsFileSchema>;

// ---- the transcoder's stdout and exit codes --------------------------------------------------------

/** Exit codes of the transcoder command (sysexits.h): 65 unusable input, 75 transient, 64 bad usage. */
export const EXIT = { OK: 0, USAGE: 64, BAD_INPUT: 65, CRASH: 70, TRANSIENT: 75 } as const;

export const transcoderEventSchema = z.discriminatedUnion('event', [
  z.object({
    event: z.literal('progress'),
    stage: z.string(),
    percent: z.number(),
    fps: z.number().optional(),
    speed: z.number().optional(),
    outTimeSec: z.number().optional(),
  }),
  z.object({
    event: z.literal('result'),
    ok: z.literal(true),
    renditionsFile: z.string(),
    durationSec: z.number(),
    elapsedSec: z.number(),
    peakScratchBytes: z.number().optional(),
  }),
  z.object({ event: z.literal('error'), code: z.number().int(), kind: z.enum(['bad-input', 'transient', 'crash']), message: z.string() }),
]);

/** Lines the transcoder prints on stdout; human logs go to stderr. */
export type TranscoderEvent = z.infer<typeof transcoderEventSchema>;

/** The latest progress, result or error event in a tail of mixed stdout and stderr (which may start mid-line). */
export function parseLatestProgress(logTail: string): TranscoderEvent | undefined {
  const lines = logTail.split(/\r?\n|\r/);
  for (let i = lines.length - 1; i >= 0; i--) {
    const line = lines[i] ?? '';
    const start = line.indexOf('{"event":');
    if (start < 0) continue;
    try {
      const parsed = transcoderEventSchema.safeParse(JSON.parse(line.slice(start)));
      if (parsed.success) return parsed.data;
    } catch {
      // cut mid-line (the tail's first line) or interleaved with stderr
    }
  }
  return undefined;
}

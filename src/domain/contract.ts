// The wire contract, defined once as zod schemas, with the types derived from them: what a request may
// say (the starter, the API, `temporal workflow start --input`), the plan the workflow hands each job
// (`--plan`), what a job leaves in renditions.json, the transcoder's stdout events and exit codes.
// Pure: the workflow imports only the types (z.infer), activities and the transcoder validate with the
// schemas wherever a value crosses a process or a store.
import { z } from 'zod';
import { parseTarget } from './notify-targets.js';

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
/** Video codecs of the ladder: H.264 always; HEVC and AV1 rungs beside it when configured (domain/codec-rungs.ts). */
export const VIDEO_CODECS = ['h264', 'hevc', 'av1'] as const;
export const videoCodecSchema = z.enum(VIDEO_CODECS);

export type PresetName = z.infer<typeof presetSchema>;
export type StreamFormat = z.infer<typeof streamFormatSchema>;
export type Parallelism = z.infer<typeof parallelismSchema>;
export type SegmentFormat = z.infer<typeof segmentFormatSchema>;
export type VideoCodec = z.infer<typeof videoCodecSchema>;

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
  /**
   * Notification targets of this job (`webhook:<https url>`, `ons:<topic OCID>`), besides the operator's.
   * Checked for form here; the notify activity applies the stricter rules for job-chosen targets.
   */
  notify: z
    .array(
      z.string().superRefine((text, ctx) => {
        const parsed = parseTarget(text, { allowLoopbackHttp: true, allowPrivateHosts: true });
        if ('problem' in parsed) ctx.addIssue({ code: 'custom', message: parsed.problem });
      }),
    )
    .max(10)
    .optional(),
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
  /** Nominal bit rate in bits per second: x264's -b:v, or with `crf` the cap the ladder is priced at. */
  bitrate: z.number().int().positive(),
  maxrate: z.number().int().positive(),
  bufsize: z.number().int().positive(),
  /**
   * Constant rate factor under the maxrate/bufsize cap (capped CRF), H.264 rungs. Absent: one-pass ABR at
   * `bitrate`, as the seed preset, HEVC and AV1 rungs and plans recorded before capped CRF encode.
   */
  crf: z.number().min(0).max(51).optional(),
  /** Profile and level, e.g. "high" and "4.0" (H.264), "main10" (HEVC); "auto": the encoder's lowest fitting level (HEVC, AV1). */
  profile: z.enum(['baseline', 'main', 'high', 'main10']),
  level: z.union([z.string().regex(/^[1-6](\.[0-3])?$/), z.literal('auto')]),
  /** Absent: h264 (and in plans made before other codecs existed). */
  codec: videoCodecSchema.optional(),
  /** 10: encoded 10-bit (yuv420p10le); absent: 8-bit. */
  bitDepth: z.literal(10).optional(),
});

/** ISO 639 language code as containers tag it ("eng", "fr", "pt-BR"). */
export const languageSchema = z.string().regex(/^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$/, 'is not a language code such as eng or fr');

/** Which source audio tracks become renditions: every decodable one, the default one only, or those of these languages. */
export const audioSelectionSchema = z.union([z.enum(['all', 'first']), z.array(languageSchema).min(1)]);
export type AudioSelection = z.infer<typeof audioSelectionSchema>;
/** The same as a setting or a flag spells it: `all`, `first` or languages (`eng,fra`). */
export const audioSelectionTextSchema = z.string().transform((v) => (v === 'all' || v === 'first' ? v : v.split(',').map((x) => x.trim()).filter(Boolean))).pipe(audioSelectionSchema);

/** How a track is used (DASH Role, HLS DEFAULT/CHARACTERISTICS), from the source's dispositions. */
export const audioRoleSchema = z.enum(['main', 'alternate', 'commentary', 'dub', 'description']);

export const audioRenditionSchema = z.object({
  id,
  bitrate: z.number().int().positive(),
  channels: z.number().int().min(1).max(8),
  sampleRate: z.number().int().positive(),
  /** Absolute index of the source stream it is encoded from (absent: the probe's default audio). */
  sourceIndex: z.number().int().min(0).optional(),
  language: languageSchema.optional(),
  /** Player-facing name, unique in the plan (HLS NAME): the source's title, else its language. */
  name: z.string().min(1).max(100).optional(),
  role: audioRoleSchema.optional(),
  /** The source stream's own declared duration, when it declares one: outputs are judged by it. */
  durationSec: z.number().positive().optional(),
});

/**
 * A text track the plan turns into WebVTT (domain/subtitles.ts): an embedded text subtitle stream
 * (sourceIndex) or a sidecar file beside the source (sidecar). Flags come from the source's dispositions
 * or the sidecar's name: forced (shown without being chosen), sdh (captions for the deaf and hard of hearing).
 */
export const textTrackSchema = z.object({
  /** "text-eng", "text-und", "text-eng-2": the folder of its WebVTT files, unique among all rendition ids. */
  id,
  /** The source codec (subrip, mov_text, ass, webvtt) or the sidecar's format (srt, vtt). */
  codec: z.string().regex(/^[a-z0-9_]{1,32}$/),
  sourceIndex: z.number().int().min(0).optional(),
  sidecar: z.object({ object: name, etag: z.string().min(1).optional() }).optional(),
  language: languageSchema.optional(),
  /** Player-facing name (HLS NAME, DASH Label), unique in the plan. */
  name: z.string().min(1).max(100),
  default: z.boolean().optional(),
  forced: z.boolean().optional(),
  sdh: z.boolean().optional(),
});

/** A subtitle stream or sidecar that is not converted, and why (bitmap PGS/DVB, unknown codec, unreadable): reported, never a failure. */
export const textSkippedSchema = z.object({
  sourceIndex: z.number().int().min(0).optional(),
  sidecar: z.string().min(1).optional(),
  codec: z.string().min(1),
  language: z.string().min(1).optional(),
  reason: z.string().min(1),
});

/** A frame's field order as a player shows it; `progressive` as a verdict only. */
export const fieldOrderSchema = z.enum(['tff', 'bff']);

/** Interlacing of a source the stream flags as interlaced: the flag, idet's counts on a sample, the verdict. */
export const interlaceCheckSchema = z.object({
  flagged: fieldOrderSchema,
  /** idet's multi-frame counts on the sample (absent when idet could not run). */
  idet: z.object({ tff: z.number().int().min(0), bff: z.number().int().min(0), progressive: z.number().int().min(0), undetermined: z.number().int().min(0) }).optional(),
  verdict: z.enum(['tff', 'bff', 'progressive']),
});

/** What the picture filters do beyond scaling (src/domain/picture.ts decides; job.json reports it). */
export const pictureSchema = z.object({
  interlace: interlaceCheckSchema.optional(),
  /** bwdif, one output frame per input frame (the frame rate is kept, not doubled). */
  deinterlace: z.object({ filter: z.literal('bwdif'), fieldOrder: fieldOrderSchema }).optional(),
  /** HDR10 (PQ) or HLG source tone-mapped to SDR BT.709 for the H.264 rungs (zscale + tonemap). */
  toneMap: z.object({
    from: z.enum(['pq', 'hlg']),
    /** The source's primaries and matrix as ffmpeg names them (bt2020, bt2020nc). */
    primaries: z.string().regex(/^[a-z0-9-]{1,20}$/),
    matrix: z.string().regex(/^[a-z0-9-]{1,20}$/),
    operator: z.literal('mobius'),
    to: z.literal('bt709'),
  }).optional(),
});

/** EBU R128 loudness (domain/loudness.ts): `measure` records it, `normalize` also applies two-pass loudnorm (linear). */
export const loudnessSpecSchema = z.object({
  mode: z.enum(['measure', 'normalize']),
  /** Integrated loudness target in LUFS, and the true-peak ceiling in dBTP (loudnorm's own ranges). */
  targetLufs: z.number().min(-70).max(-5),
  truePeakDbtp: z.number().min(-9).max(0),
});

/**
 * The downloads of a plan (domain/downloads.ts): an MP4 of rung `videoId` with the main audio, remuxed by
 * `mp4Job` (the job that encodes both), and an M4A of the main audio, remuxed by `m4aJob`; `skipped` says
 * why one of them is not made.
 */
export const downloadsPlanSchema = z.object({
  videoId: id.optional(),
  mp4Job: id.optional(),
  m4aJob: id.optional(),
  skipped: z.array(z.string().min(1)).optional(),
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
export const jobSpecSchema = z.object({
  id,
  videoIds: z.array(id),
  audio: z.boolean(),
  thumbnails: z.boolean(),
  chunk: chunkRangeSchema.optional(),
  /** Part of the preview (domain/chunks.ts previewFirst): scheduled first, published as soon as all are done. */
  preview: z.boolean().optional(),
  /**
   * Encodes nothing: runs once every other job succeeded and remuxes the MP4 download from their uploaded
   * segments (a time-split run, where no job holds a whole rung; domain/downloads.ts).
   */
  remux: z.boolean().optional(),
});

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
    /** Why configured HEVC/AV1 rungs were not planned (MPEG-TS segments), when they were not. */
    videoCodecsSkipped: z.string().min(1).optional(),
    audio: audioRenditionSchema.optional(),
    /** Further audio tracks (other languages, commentary), encoded by the job that encodes `audio`. */
    moreAudio: z.array(audioRenditionSchema).optional(),
    /** The source duration the plan was made for, to check outputs against. */
    durationSec: z.number().positive(),
    /** The source video stream's own declared duration, when it declares one (the container's may be longer). */
    videoDurationSec: z.number().positive().optional(),
    /** Picture processing beyond scaling (deinterlacing), when the source needs it. */
    picture: pictureSchema.optional(),
    /** Text tracks to convert to WebVTT, by the job that carries audio (else the first job); and those left out. */
    subtitles: z.array(textTrackSchema).optional(),
    subtitlesSkipped: z.array(textSkippedSchema).optional(),
    /** Loudness measured (and normalised) by the job that encodes audio; absent: not measured. */
    loudness: loudnessSpecSchema.optional(),
    /** MP4 and M4A downloads remuxed from the CMAF outputs; absent: none. */
    downloads: downloadsPlanSchema.optional(),
    /** Folder under the stream prefix that holds this version's media (see domain/layout). */
    version: id,
    jobs: z.array(jobSpecSchema).min(1),
  })
  .refine((p) => p.video.length === 0 || (p.fps > 0 && p.gopFrames > 0), 'video needs fps and gopFrames above 0')
  .refine((p) => p.jobs.every((j) => j.videoIds.every((v) => p.video.some((r) => r.id === v))), 'every job names planned video renditions');

export type VideoRendition = z.infer<typeof videoRenditionSchema>;
export type AudioRendition = z.infer<typeof audioRenditionSchema>;
export type JobSpec = z.infer<typeof jobSpecSchema>;
export type FieldOrder = z.infer<typeof fieldOrderSchema>;
export type InterlaceCheck = z.infer<typeof interlaceCheckSchema>;
export type PictureSpec = z.infer<typeof pictureSchema>;
export type AudioRole = z.infer<typeof audioRoleSchema>;
export type ChunkRange = z.infer<typeof chunkRangeSchema>;
export type TextTrack = z.infer<typeof textTrackSchema>;
export type TextSkipped = z.infer<typeof textSkippedSchema>;
export type LoudnessSpec = z.infer<typeof loudnessSpecSchema>;
export type DownloadsPlan = z.infer<typeof downloadsPlanSchema>;
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

/** One loudness measurement (loudnorm's first pass): integrated LUFS (null: silent, below the gate), true peak dBTP, range LU. */
export const loudnessMeasureSchema = z.object({
  integratedLufs: z.number().nullable(),
  truePeakDbtp: z.number().nullable(),
  rangeLu: z.number().nullable(),
});

/** An audio rendition's loudness: the source track (as downmixed to the rendition's channels) and the encoded output. */
export const renditionLoudnessSchema = z.object({
  source: loudnessMeasureSchema,
  output: loudnessMeasureSchema,
  /** Present when normalised: the target and loudnorm's mode (dynamic when a linear gain would break the true peak). */
  normalized: z.object({ targetLufs: z.number(), truePeakDbtp: z.number(), mode: z.enum(['linear', 'dynamic']) }).optional(),
  /** Why a normalize plan left this track as it was (e.g. silent). */
  note: z.string().optional(),
});

/** A download remuxed from the CMAF outputs (no second encode), stream-relative name. */
export const downloadFileSchema = z.object({
  kind: z.enum(['mp4', 'm4a']),
  name: z.string().min(1),
  bytes: z.number().int().positive(),
  durationSec: z.number().positive(),
  videoId: id.optional(),
  audioId: id,
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
  /** Audio: player-facing name (HLS NAME, DASH Label) and role (DASH Role; main is the HLS DEFAULT). */
  name: z.string().min(1).optional(),
  role: audioRoleSchema.optional(),
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
  /** Audio renditions of a plan with `loudness`: measured source and output, and the normalisation done. */
  loudness: renditionLoudnessSchema.optional(),
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

/** A converted text track: one WebVTT file (DASH) and its segments (HLS media playlist), stream-relative names. */
export const textOutputSchema = textTrackSchema.extend({
  playlist: z.string().min(1),
  /** The whole track as one WebVTT file. */
  file: z.string().min(1),
  segments: z.array(z.object({ uri: z.string().min(1), durationSec: z.number().positive() })).min(1),
  durationSec: z.number().positive(),
  cues: z.number().int().min(0),
});
export type TextOutput = z.infer<typeof textOutputSchema>;

/** `renditions.json`, one per job, at layout.renditionsFile(job). */
export const renditionsFileSchema = z.object({
  schema: z.literal(1),
  jobId: id,
  version: id,
  segmentFormat: segmentFormatSchema,
  durationSec: z.number().positive(),
  renditions: z.array(renditionMetaSchema),
  thumbnails: thumbnailSetSchema.optional(),
  /** WebVTT text tracks this job converted, and the ones it could not. */
  subtitles: z.array(textOutputSchema).optional(),
  subtitlesSkipped: z.array(textSkippedSchema).optional(),
  /** Downloads this job remuxed (plan.downloads names the job). */
  downloads: z.array(downloadFileSchema).optional(),
});

export type SegmentInfo = z.infer<typeof segmentSchema>;
export type RenditionMeta = z.infer<typeof renditionMetaSchema>;
export type ThumbnailSet = z.infer<typeof thumbnailSetSchema>;
export type RenditionsFile = z.infer<typeof renditionsFileSchema>;
export type LoudnessMeasure = z.infer<typeof loudnessMeasureSchema>;
export type RenditionLoudness = z.infer<typeof renditionLoudnessSchema>;
export type DownloadFile = z.infer<typeof downloadFileSchema>;

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

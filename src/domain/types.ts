// The named values that flow through the pipeline, defined once.
// event JSON -> TranscodeRequest -> SourceProbe -> Plan (renditions, jobs) -> JobHandle
//   -> RenditionsFile per job -> verified set -> master manifests + JobRecord.
// Everything here is plain JSON: it travels in Temporal payloads and container arguments.

export type PresetName = 'default' | 'seed';
export type StreamFormat = 'hls' | 'dash';
export type Parallelism = 'single' | 'per-rendition';
/** cmaf: fMP4 segments shared by HLS and DASH. ts: MPEG-TS HLS like the original (no DASH). */
export type SegmentFormat = 'cmaf' | 'ts';

export interface SourceRef {
  namespace: string;
  bucket: string;
  object: string;
  /** The version-like field of the upload; two uploads under one name differ here. */
  etag?: string;
}

export interface DestRef {
  bucket: string;
  /** Prepended to every output name; empty or ending in '/'. */
  prefix?: string;
}

/** Input of the `transcode` workflow, and what the starter builds from an event. */
export interface TranscodeRequest {
  source: SourceRef;
  dest?: DestRef;
  preset?: PresetName;
  formats?: StreamFormat[];
  parallelism?: Parallelism;
  segmentFormat?: SegmentFormat;
}

// ---- probe -------------------------------------------------------------------------------------

export interface VideoProbe {
  index: number;
  codec: string;
  profile?: string;
  pixFmt: string;
  bitDepth: number;
  codedWidth: number;
  codedHeight: number;
  /** Rotation in degrees clockwise as a player applies it: 0, 90, 180 or 270. */
  rotation: number;
  /** Sample aspect ratio as [num, den]; [1, 1] for square pixels. */
  sar: [number, number];
  /** Width and height as shown: SAR applied, then rotation. */
  displayWidth: number;
  displayHeight: number;
  /** Average frame rate in frames per second. */
  fps: number;
  /** True when r_frame_rate and avg_frame_rate disagree noticeably (variable frame rate). */
  vfr: boolean;
  /** r_frame_rate: the base rate VFR timestamps sit on (a phone's 30 with dropped frames); absent when unknown. */
  baseFps?: number;
  bitRate?: number;
}

export interface AudioProbe {
  index: number;
  codec: string;
  channels: number;
  channelLayout?: string;
  sampleRate: number;
  bitRate?: number;
  language?: string;
}

export interface SourceProbe {
  formatName: string;
  durationSec: number;
  sizeBytes: number;
  /** Overall bit rate in bits per second. */
  bitRate?: number;
  video?: VideoProbe;
  /** The audio stream we will use (the default-disposition one, else the first). */
  audio?: AudioProbe;
  audioStreamCount: number;
}

// ---- plan --------------------------------------------------------------------------------------

export interface VideoRendition {
  /** Stable, path-safe id such as "720p"; also the folder name of its segments. */
  id: string;
  width: number;
  height: number;
  /** Target bit rate in bits per second (x264 -b:v). */
  bitrate: number;
  maxrate: number;
  bufsize: number;
  /** H.264 profile and level, e.g. "high" and "4.0". */
  profile: 'baseline' | 'main' | 'high';
  level: string;
}

export interface AudioRendition {
  id: string;
  bitrate: number;
  channels: number;
  sampleRate: number;
}

export interface Plan {
  preset: PresetName;
  formats: StreamFormat[];
  segmentFormat: SegmentFormat;
  /** Target segment duration in seconds. */
  segmentSeconds: number;
  /** Output frame rate (source rate, capped at 60); every rendition shares it. */
  fps: number;
  /** Keyframe interval in frames, identical in every rendition so segments align. */
  gopFrames: number;
  video: VideoRendition[];
  audio?: AudioRendition;
  /** The source duration the plan was made for, to check outputs against. */
  durationSec: number;
  /** Folder under the stream prefix that holds this version's media (see domain/layout). */
  version: string;
  jobs: JobSpec[];
}

/** One transcoder run: a subset of the plan's renditions. */
export interface JobSpec {
  id: string;
  videoIds: string[];
  audio: boolean;
  thumbnails: boolean;
}

// ---- transcoder output ---------------------------------------------------------------------------

export interface SegmentInfo {
  /** Relative to the stream prefix, e.g. "v1/720p/seg_00001.m4s". */
  uri: string;
  durationSec: number;
  bytes: number;
}

export interface RenditionMeta {
  id: string;
  kind: 'video' | 'audio';
  /** RFC 6381 codec string, e.g. "avc1.64001f" or "mp4a.40.2". */
  codecs: string;
  width?: number;
  height?: number;
  frameRate?: number;
  channels?: number;
  sampleRate?: number;
  /** BCP 47 / ISO 639 language of an audio rendition when the source tags one (HLS LANGUAGE, DASH lang). */
  language?: string;
  /** Peak segment bit rate in bits per second (HLS BANDWIDTH). */
  peakBitrate: number;
  /** Average bit rate in bits per second (HLS AVERAGE-BANDWIDTH, DASH bandwidth). */
  averageBitrate: number;
  /** Media playlist relative to the stream prefix, e.g. "v1/720p/playlist.m3u8". */
  playlist: string;
  /** fMP4 initialization segment (absent for MPEG-TS). */
  initSegment?: string;
  /** DASH timescale and each segment's start/duration in it, exact from the muxer. */
  timescale: number;
  segments: (SegmentInfo & { start: number; duration: number })[];
  durationSec: number;
}

/** `renditions.json`, one per job, at layout.renditionsFile(job). */
export interface RenditionsFile {
  schema: 1;
  jobId: string;
  version: string;
  segmentFormat: SegmentFormat;
  durationSec: number;
  renditions: RenditionMeta[];
  thumbnails?: ThumbnailSet;
}

export interface ThumbnailSet {
  /** Stream-relative names (see domain/layout). The PNG is copied to thumbnails/<object>_thumb.png on publish. */
  png?: string;
  jpeg?: string;
  storyboard?: { image: string; vtt: string; tileWidth: number; tileHeight: number; intervalSec: number };
}

/** Lines the transcoder prints on stdout; human logs go to stderr. */
export type TranscoderEvent =
  | { event: 'progress'; stage: string; percent: number; fps?: number; speed?: number; outTimeSec?: number }
  | { event: 'result'; ok: true; renditionsFile: string; durationSec: number; elapsedSec: number; peakScratchBytes?: number }
  | { event: 'error'; code: number; kind: 'bad-input' | 'transient' | 'crash'; message: string };

/** Exit codes of the transcoder command (sysexits.h). */
export const EXIT = { OK: 0, BAD_INPUT: 65, TRANSIENT: 75 } as const;

// ---- run record ------------------------------------------------------------------------------------

export type RunOutcome = 'succeeded' | 'failed' | 'canceled';

/** `job.json` at the stream prefix: what the last run of this source did (written by the workflow). */
export interface JobRecord {
  schema: 1;
  outcome: RunOutcome;
  error?: string;
  workflow: { id: string; runId: string };
  source: SourceRef & { sizeBytes?: number };
  dest: DestRef;
  plan?: {
    version: string;
    preset: PresetName;
    formats: StreamFormat[];
    segmentFormat: SegmentFormat;
    durationSec: number;
    video: { id: string; width: number; height: number; bitrate: number }[];
    audio?: { id: string; bitrate: number; channels: number };
    jobs: { id: string; videoIds: string[]; audio: boolean; attempts: number }[];
  };
  renditions?: {
    id: string;
    kind: 'video' | 'audio';
    codecs: string;
    width?: number;
    height?: number;
    averageBitrate: number;
    peakBitrate: number;
    segments: number;
    durationSec: number;
  }[];
  /** Names relative to the destination bucket. */
  outputs?: { hls?: string; dash?: string; thumbnail?: string };
  timings: { startedAt: string; finishedAt: string; totalSec: number; stages: Record<string, number> };
}

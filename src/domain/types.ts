// The named values that flow through the pipeline, defined once.
// event JSON -> TranscodeRequest -> SourceProbe -> Plan (renditions, jobs) -> JobHandle
//   -> RenditionsFile per job -> verified set -> master manifests + JobRecord.
// Everything here is plain JSON: it travels in Temporal payloads and container arguments.

// The wire contract (request, plan, renditions.json, transcoder events): zod schemas in contract.ts.
export type {
  AudioRendition,
  AudioRole,
  AudioSelection,
  FieldOrder,
  InterlaceCheck,
  PictureSpec,
  ChunkRange,
  DestRef,
  DownloadFile,
  DownloadsPlan,
  LoudnessMeasure,
  LoudnessSpec,
  RenditionLoudness,
  JobSpec,
  Parallelism,
  Plan,
  PresetName,
  RenditionMeta,
  RenditionsFile,
  SegmentFormat,
  SegmentInfo,
  SourceRef,
  StreamFormat,
  TextOutput,
  TextSkipped,
  TextTrack,
  ThumbnailSet,
  TranscodeRequest,
  TranscoderEvent,
  VideoCodec,
  VideoRendition,
} from './contract.js';
export { EXIT } from './contract.js';
import type { DestRef, DownloadFile, DownloadsPlan, InterlaceCheck, LoudnessSpec, PictureSpec, PresetName, RenditionLoudness, SegmentFormat, SourceRef, StreamFormat, TextSkipped, VideoCodec } from './contract.js';

// ---- probe -------------------------------------------------------------------------------------

export interface VideoProbe {
  index: number;
  codec: string;
  /** The stream's own declared duration (absent when the container declares none per stream). */
  durationSec?: number;
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
  /** Colour tags as ffprobe names them (color_transfer, color_primaries, color_space), when present. */
  color?: { transfer?: string; primaries?: string; matrix?: string };
  /** Present when the stream flags its frames as interlaced: the flag, idet's counts, the verdict. */
  interlace?: InterlaceCheck;
}

export interface AudioProbe {
  index: number;
  codec: string;
  /** The stream's own declared duration: an audio or subtitle track may outlast the video. */
  durationSec?: number;
  channels: number;
  channelLayout?: string;
  sampleRate: number;
  bitRate?: number;
  language?: string;
  /** The source's track title (tags.title). */
  title?: string;
  /** Dispositions that matter to players. */
  default?: boolean;
  role?: 'commentary' | 'dub' | 'description';
}

/** A subtitle stream of the source (text or bitmap; domain/subtitles.ts decides which are converted). */
export interface SubtitleProbe {
  index: number;
  codec: string;
  durationSec?: number;
  language?: string;
  title?: string;
  default?: boolean;
  forced?: boolean;
  /** disposition hearing_impaired: SDH captions. */
  hearingImpaired?: boolean;
}

/** A sidecar text file found beside the source (`<object>.<lang>[.forced|.sdh].<srt|vtt>`, domain/subtitles.ts). */
export interface SidecarRef {
  object: string;
  etag?: string;
  language: string;
  format: 'srt' | 'vtt';
  forced?: boolean;
  sdh?: boolean;
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
  /** Every decodable audio stream in source order (the one above among them); absent in older probes. */
  audioTracks?: AudioProbe[];
  audioStreamCount: number;
  /** Subtitle streams in source order; absent when there are none (and in older probes). */
  subtitleTracks?: SubtitleProbe[];
  /** Sidecar files found beside the source by inspect (not by ffprobe). */
  sidecars?: SidecarRef[];
}

// ---- run record ------------------------------------------------------------------------------------

export type RunOutcome = 'succeeded' | 'failed' | 'canceled';

/** `job.json` at the stream prefix: what the last run of this source did (written by the workflow). */
export interface JobRecord {
  schema: 1;
  /** 'preview': a preview master is published and the run goes on (domain/chunks.ts previewFirst). */
  outcome: RunOutcome | 'preview';
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
    /** codec: absent for H.264, else hevc or av1. */
    video: { id: string; width: number; height: number; bitrate: number; codec?: VideoCodec }[];
    /** Why configured HEVC/AV1 rungs were not encoded (MPEG-TS segments). */
    videoCodecsSkipped?: string;
    audio?: { id: string; bitrate: number; channels: number };
    /** Every audio rendition (the default first) with its language, name and role. */
    audioTracks?: { id: string; channels: number; language?: string; name?: string; role?: string }[];
    jobs: { id: string; videoIds: string[]; audio: boolean; attempts: number }[];
    /** Deinterlacing done, and the evidence for it. */
    picture?: PictureSpec;
    /** Loudness measured (and normalised) to this target. */
    loudness?: LoudnessSpec;
    /** Which rung the MP4 download carries and why a download was skipped. */
    downloads?: DownloadsPlan;
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
    /** Audio: measured loudness of the source track and of the output, and the normalisation done. */
    loudness?: RenditionLoudness;
  }[];
  /** WebVTT text tracks in the masters (embedded and sidecar), and subtitle streams not converted (bitmap PGS/DVB...). */
  subtitles?: { id: string; language?: string; name: string; forced?: boolean; sdh?: boolean; from: string; cues: number }[];
  subtitlesNotConverted?: TextSkipped[];
  /** MP4 and M4A downloads, names relative to the destination bucket. */
  downloads?: DownloadFile[];
  /** Names relative to the destination bucket. */
  outputs?: { hls?: string; dash?: string; thumbnail?: string };
  timings: {
    startedAt: string;
    finishedAt: string;
    totalSec: number;
    stages: Record<string, number>;
    /** Seconds from the run's start until a master was first playable (the preview's, when there was one). */
    firstPlayableSec?: number;
    /** Seconds from the run's start until the full masters were written. */
    completeSec?: number;
  };
  /** Completion notifications the workflow gave up on (retried for notify.retryForSec first). */
  notifications?: { undelivered: { target: string; error: string }[] };
}

// The named values that flow through the pipeline, defined once.
// event JSON -> TranscodeRequest -> SourceProbe -> Plan (renditions, jobs) -> JobHandle
//   -> RenditionsFile per job -> verified set -> master manifests + JobRecord.
// Everything here is plain JSON: it travels in Temporal payloads and container arguments.

// The wire contract (request, plan, renditions.json, transcoder events): zod schemas in contract.ts.
export type {
  AudioRendition,
  ChunkRange,
  DestRef,
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
  ThumbnailSet,
  TranscodeRequest,
  TranscoderEvent,
  VideoRendition,
} from './contract.js';
export { EXIT } from './contract.js';
import type { DestRef, PresetName, SegmentFormat, SourceRef, StreamFormat } from './contract.js';

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

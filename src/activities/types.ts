// Inputs and results of the activities: the only shapes that cross between the workflow and the
// worker, so they stay small (names and numbers, never media or segment lists).
import type { AudioSelection, DestRef, JobRecord, LoudnessSpec, Parallelism, Plan, PresetName, RunOutcome, SegmentFormat, SourceProbe, SourceRef, StreamFormat, VideoCodec } from '../domain/types.js';
import type { JobHandle, JobPhase } from '../ports.js';

/** The request with every default filled from the worker's config, so the workflow never reads config. */
export interface RunSettings {
  dest: { bucket: string; prefix: string };
  preset: PresetName;
  formats: StreamFormat[];
  parallelism: Parallelism;
  segmentFormat: SegmentFormat;
  /** Absent in runs recorded before audio tracks were selectable (then: all). */
  audioTracks?: AudioSelection;
  /** 5.1 renditions of 5.1 tracks; absent in runs recorded before them (then: none). */
  surround?: boolean;
  /** Video codecs of the ladder; absent in runs recorded before HEVC/AV1 rungs existed (then: H.264). */
  videoCodecs?: VideoCodec[];
  /** The MP4 download's rung (`top`, a rung id) or `off`; absent in runs recorded before downloads (then: none). */
  downloads?: string;
  /** Loudness measured or normalised; absent when off (and in runs recorded before it). */
  loudness?: LoudnessSpec;
  /**
   * startTimeoutSec: the job runner's own bound on one start; taskQueue: awaitJob's own queue. Both are
   * absent in runs recorded before they existed (then: 3 minutes, and the run's own queue).
   */
  job: { maxAttempts: number; timeoutSec: number; pollSec: number; backoffSec: number; startTimeoutSec?: number; taskQueue?: string };
  /** Time-split encoding of long sources (domain/chunks.ts); absent in runs recorded before it existed. */
  chunking?: { thresholdSec: number; chunkSec: number; maxInstances: number; /** Absent in runs recorded before preview-first existed. */ previewFirst?: boolean };
}

export interface InspectResult {
  probe: SourceProbe;
  /** The source's current etag (may differ from the request's when a newer upload replaced it). */
  etag: string;
  size: number;
  settings: RunSettings;
}

/** Where a run's outcome is notified, and for how long the workflow retries each target. */
export interface NotifyPlan {
  /** `webhook:<url>` or `ons:<topic OCID>`; from: the operator's config or the job's request. */
  targets: { target: string; from: 'config' | 'request' }[];
  retryForSec: number;
}

/** A notification the workflow gave up on, as job.json records it (a webhook's query string left out). */
export interface Undelivered {
  target: string;
  error: string;
}

/** The source as it is now, and the published record of that very upload if there is one. */
export interface UploadJudgement {
  /** Absent without targets (and in runs recorded before notifications existed). */
  notify?: NotifyPlan;
  /** Absent when the object no longer exists. */
  etag?: string;
  modified?: string;
  published?: {
    version: string;
    bucket: string;
    streamPrefix: string;
    record: string;
    renditions: string[];
    durationSec: number;
    hls?: string;
    dash?: string;
    thumbnail?: string;
  };
}

export interface StartJobInput {
  source: SourceRef & { etag: string };
  dest: DestRef;
  plan: Plan;
  jobId: string;
  attempt: number;
  /** `${workflowId}/${runId}/${jobId}/${attempt}`: a retried activity lands on the same job. */
  idempotencyKey: string;
  workflowId: string;
  runId: string;
}

export interface AwaitJobInput {
  handle: JobHandle;
  jobId: string;
  attempt: number;
  pollSec: number;
  /** Percent steps between progress signals (default 5); chunk jobs use 50 to keep the run's history short. */
  progressStep?: number;
}

export interface JobOutcome {
  phase: Extract<JobPhase, 'succeeded' | 'failed' | 'gone'>;
  exitCode?: number;
  /** The transcoder's own error lines (its JSON error events, else the last lines of its output). */
  errorLines: string[];
  message?: string;
}

export interface DeleteJobsInput {
  handles: JobHandle[];
  /** Also delete any job carrying these tags (a start whose handle never reached the workflow). */
  sweepTags?: Record<string, string>;
}

export interface OutputsInput {
  source: SourceRef & { etag: string };
  dest: DestRef;
  plan: Plan;
}

/** Publishing the full masters, or (preview) those of the preview plan while the other rungs encode. */
export type PublishInput = OutputsInput & { facts: RunFacts; preview?: boolean };

export interface VerifyResult {
  renditions: number;
  segments: number;
}

/** What the workflow knows about the run, for job.json. */
export type RunFacts = Pick<JobRecord, 'workflow' | 'timings'> & {
  sizeBytes?: number;
  attempts: Record<string, number>;
};

/** For the completion notification: job.json's rendition rows and the thumbnails, bucket-relative. */
export interface PublishDetails {
  renditions: NonNullable<JobRecord['renditions']>;
  poster?: string;
  storyboard?: { vtt: string; image: string };
}

export type PublishResult =
  | {
      status: 'published';
      hls?: string;
      dash?: string;
      thumbnail?: string;
      record: string;
      renditions: string[];
      details?: PublishDetails;
    }
  /** The source changed under us (a newer upload): nothing was published. */
  | { status: 'superseded'; etag: string }
  /** A preview was not published: the stream's masters already play an earlier version until this one is complete. */
  | { status: 'kept'; reason: string };

export interface PruneResult {
  /** Version folders of older uploads removed after the masters switched. */
  removedVersions: string[];
}

export interface DiscardInput {
  source: SourceRef;
  /** Absent when the run failed before inspect resolved it: the config's default destination. */
  dest?: DestRef;
  plan?: Plan;
  outcome: Exclude<RunOutcome, 'succeeded'> | 'superseded';
  error?: string;
  facts: RunFacts;
}

export interface RecordUndeliveredInput {
  dest: DestRef;
  sourceObject: string;
  /** job.json is amended only while it is still this run's record. */
  runId: string;
  undelivered: Undelivered[];
}

export interface DiscardResult {
  /** Objects of this version deleted (0 when the published masters still point at it). */
  removedObjects: number;
  recordWritten: boolean;
}

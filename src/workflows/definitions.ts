// Names shared by the workflow, the starter, the CLI and operators (`temporal workflow query --name progress`).
// Importable from client code: only definitions, no workflow logic.
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';

export const WORKFLOW_TYPE = 'transcode';
/** A sidecar uploaded beside a published video: its masters re-published with it (workflows/captions.ts). */
export const CAPTIONS_WORKFLOW_TYPE = 'captions';

export type Stage =
  | 'inspecting'
  | 'planning'
  | 'transcoding'
  | 'verifying'
  | 'publishing'
  | 'cleaning-up'
  | 'notifying'
  | 'completed'
  | 'failed'
  | 'canceled'
  | 'superseded';

export interface JobProgress {
  id: string;
  attempt: number;
  state: 'pending' | 'starting' | 'running' | 'succeeded' | 'failed' | 'deleted';
  percent: number;
  handle?: string;
}

export interface Progress {
  stage: Stage;
  /** Whole-run percent, 0..100. */
  percent: number;
  jobs: JobProgress[];
  /** The etag this run works on; a newer upload arrives through the upload update. */
  etag?: string;
  error?: string;
}

export const progressQuery = defineQuery<Progress>('progress');

/** What the starter tells the run of an object about one delivered upload event. */
export interface UploadNotice {
  /** The event's eTag: which upload of the name it announces. */
  etag: string;
  /** Random per starter call: the answer carries the token of the call Temporal ran it for. */
  token?: string;
}

export type UploadOutcome = 'started' | 'superseding' | 'duplicate' | 'stale';

export interface UploadAnswer {
  outcome: UploadOutcome;
  /** The run that answered and the upload it works on. */
  runId: string;
  etag?: string;
  reason: string;
  /** The token of the notice this answer was made for (a deduplicated delivery gets another's). */
  token?: string;
}

/**
 * Update-with-start from the starter (one update id per eTag): the run itself decides, from the source's
 * own HEAD, whether the upload is the one it works on (started, duplicate), a newer one (superseding: it
 * stops, cleans up and continues as new with it), or an older or vanished one (stale, rejected).
 */
export const uploadUpdate = defineUpdate<UploadAnswer, [UploadNotice]>('upload');

/** The update id of an upload: Temporal runs one update per id and run, so redeliveries share one answer. */
export const uploadUpdateId = (etag: string): string => `upload:${etag}`;

/** Search attributes, registered by the dev server start (`--search-attribute`) and in deployment. */
export const SEARCH_ATTRIBUTES = {
  source: defineSearchAttributeKey('TranscodeSource', SearchAttributeType.KEYWORD),
  stage: defineSearchAttributeKey('TranscodeStage', SearchAttributeType.KEYWORD),
} as const;

/** Memo keys: what `temporal workflow describe` shows without decoding the input. */
export interface TranscodeMemo {
  source: string;
  etag?: string;
  preset: string;
}

/** What a running awaitJob activity reports to its own run, so `progress` answers per-job percent. */
export interface JobProgressUpdate {
  jobId: string;
  attempt: number;
  percent: number;
}

/** Internal: sent by the awaitJob activity (throttled), not by operators. */
export const jobProgressSignal = defineSignal<[JobProgressUpdate]>('job-progress');

/** Result of a completed `transcode` run; names are relative to the destination bucket. */
export interface TranscodeResult {
  /** published: this run wrote the masters; duplicate: this upload was published already, nothing ran. */
  outcome: 'published' | 'duplicate';
  source: string;
  etag: string;
  version: string;
  bucket: string;
  streamPrefix: string;
  hls?: string;
  dash?: string;
  thumbnail?: string;
  record: string;
  renditions: string[];
  durationSec: number;
  /** Fresh job instances each plan job took (1 = no retry). */
  attempts: Record<string, number>;
}

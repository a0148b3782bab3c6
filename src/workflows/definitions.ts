// Names shared by the workflow, the starter, the CLI and operators (`temporal workflow query --name progress`).
// Importable from client code: only definitions, no workflow logic.
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import { defineQuery, defineSignal } from '@temporalio/workflow';

export const WORKFLOW_TYPE = 'transcode';

export type Stage =
  | 'inspecting'
  | 'planning'
  | 'transcoding'
  | 'verifying'
  | 'publishing'
  | 'cleaning-up'
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
  /** The etag this run works on; a newer one arrives through the supersede signal. */
  etag?: string;
  error?: string;
}

export const progressQuery = defineQuery<Progress>('progress');

/** A newer upload under the same name: the run stops, cleans up and continues as new with it. */
export const supersedeSignal = defineSignal<[{ etag: string }]>('supersede');

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
  /** Random id of the starter call that created the run: tells that call it started it, concurrent ones that they did not. */
  starter?: string;
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

// The only things activities and the transcoder know about the world. Adapters implement them:
// src/adapters/local (folders, child processes) and src/adapters/oci (Object Storage, Container Instances).
import type { Readable } from 'node:stream';

export interface ObjectInfo {
  name: string;
  size: number;
  etag: string;
  modified?: string;
  contentType?: string;
  /** OCI's archival state (Archived, Restoring, Restored) when a listing reports it; absent for standard objects. */
  archivalState?: string;
}

export interface GetOptions {
  /** Bytes start..end, both included (end: to the last byte). */
  range?: { start: number; end?: number };
  /** Only this version: a replaced object rejects with ChangedError instead of serving other bytes. */
  ifMatch?: string;
}

export interface PutOptions {
  contentType?: string;
  cacheControl?: string;
}

export interface ListPage {
  objects: ObjectInfo[];
  /** Pass as `start` to get the next page; absent on the last page. */
  next?: string;
}

/** A bucket-addressed object store. One instance serves one namespace. */
export interface ObjectStore {
  readonly namespace: string;
  head(bucket: string, name: string): Promise<ObjectInfo | undefined>;
  /** Rejects with NotFoundError when absent, ChangedError when options.ifMatch no longer names it. */
  get(bucket: string, name: string, options?: GetOptions): Promise<Readable>;
  /** Streams and buffers of any size; large bodies go multipart where the backend has it. */
  put(bucket: string, name: string, body: Readable | Buffer | string, options?: PutOptions): Promise<ObjectInfo>;
  putFile(bucket: string, name: string, path: string, options?: PutOptions): Promise<ObjectInfo>;
  list(bucket: string, prefix: string, options?: { start?: string; limit?: number }): Promise<ListPage>;
  /** Idempotent: deleting a missing object is not an error. */
  delete(bucket: string, name: string): Promise<void>;
  /**
   * A URL (or local path) ffprobe can read directly, valid for ttlSeconds. dispose() revokes it.
   * Lets the worker probe a source without downloading it.
   */
  readUrl(bucket: string, name: string, ttlSeconds: number): Promise<ReadUrl>;
}

export interface ReadUrl {
  url: string;
  /** When the URL stops working (ISO 8601), as the backend reports it. */
  expiresAt?: string;
  dispose(): Promise<void>;
}

export class NotFoundError extends Error {
  override readonly name = 'NotFoundError';
}

/** The object is no longer the version asked for (a newer upload replaced it). */
export class ChangedError extends Error {
  override readonly name = 'ChangedError';
}

/** Raised by adapters for failures worth retrying (network, throttling, 5xx). */
export class TransientError extends Error {
  override readonly name = 'TransientError';
}

/** A job that cannot start for a reason retrying elsewhere does not change (e.g. its image cannot be pulled). */
export class JobLaunchError extends Error {
  override readonly name = 'JobLaunchError';
}

// ---- jobs: one transcoder run each (a Container Instance in OCI, a child process locally) --------

export interface JobLaunch {
  /** Stable across activity retries: adapters dedupe on it (opc-retry-token, process registry). */
  idempotencyKey: string;
  displayName: string;
  /** Transcoder command arguments, exactly as a container gets them. */
  args: string[];
  env: Record<string, string>;
  /** Names the workflow and job, for the janitor and for operators. */
  tags: Record<string, string>;
}

export interface JobHandle {
  /** Backend id: a container instance OCID, or a local process key. */
  id: string;
  /** Where it landed, e.g. availability domain and shape; informational. */
  placement?: string;
  /** When it was started (ISO 8601): deleting it ends what it costs. */
  startedAt?: string;
}

export type JobPhase = 'starting' | 'running' | 'succeeded' | 'failed' | 'gone';

export interface JobState {
  phase: JobPhase;
  exitCode?: number;
  message?: string;
}

export interface JobCallOptions {
  /** Aborts waits (placement backoff, creation) when the calling activity is cancelled. */
  signal?: AbortSignal;
}

export interface ListedJob extends JobHandle {
  tags: Record<string, string>;
  phase: JobPhase;
  /** When the backend created it (ISO 8601), where it says. */
  createdAt?: string;
}

export interface JobRunner {
  /** The longest one start() can take (every placement, backoff and creation wait), in seconds. */
  readonly startBudgetSec?: number;
  /** Resolves once the job is placed and past creation; a backend that creates asynchronously waits for that. */
  start(job: JobLaunch, options?: JobCallOptions): Promise<JobHandle>;
  state(handle: JobHandle): Promise<JobState>;
  /** The most recent output of the job, stdout and stderr interleaved; progress lines are JSON. */
  logTail(handle: JobHandle): Promise<string>;
  /** Idempotent: deleting a deleted job is not an error. Resolves once the backend has taken the deletion. */
  delete(handle: JobHandle, options?: JobCallOptions): Promise<void>;
  /** Jobs carrying the pipeline's tags, for cleanup of orphans. */
  list?(tags: Record<string, string>): Promise<ListedJob[]>;
}

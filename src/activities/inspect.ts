// inspect: head and probe the source from the worker, before any job exists, so unusable input
// fails in seconds with a specific, non-retryable error instead of inside a container.
// The configured limits (size, duration, picture size) are checked here too, by probeSource.
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { JOB_RECORD, outputNameProblem, streamPrefix, versionFolder } from '../domain/layout.js';
import { formatOciUri } from '../domain/oci-uri.js';
import type { DestRef, JobRecord, SourceProbe, SourceRef, TranscodeRequest } from '../domain/types.js';
import { NotFoundError } from '../ports.js';
import { probeSource } from '../media/probe.js';
import { BadInputError } from '../media/errors.js';
import { findSidecars } from '../media/webvtt.js';
import type { ActivityDeps } from './deps.js';
import { resolveNotify, resolveSettings, validateRequest } from './settings.js';
import { readJson } from '../store-io.js';
import type { InspectResult, UploadJudgement } from './types.js';

/** How long the read URL handed to ffprobe stays valid (OCI: a pre-authenticated request). */
const READ_URL_TTL_SEC = 15 * 60;

const badInput = (uri: string, message: string): ApplicationFailure =>
  ApplicationFailure.nonRetryable(`${uri}: ${message}`, 'BadInput');

export function createInspect(deps: ActivityDeps) {
  return async function inspect(input: TranscodeRequest): Promise<InspectResult> {
    const { store, config } = deps;
    const request = validateRequest(input);
    const { namespace, bucket, object } = request.source;
    const uri = formatOciUri({ namespace, bucket, name: object });
    if (namespace !== store.namespace) {
      throw ApplicationFailure.nonRetryable(
        `${uri}: this worker serves namespace ${JSON.stringify(store.namespace)}, not ${JSON.stringify(namespace)}`,
        'InvalidRequest',
      );
    }
    const settings = resolveSettings(request, config, deps.jobs);
    const tooLong = outputNameProblem(settings.dest, object);
    if (tooLong) throw badInput(uri, tooLong);
    const head = await store.head(bucket, object);
    if (!head) throw ApplicationFailure.nonRetryable(`${uri}: no such object`, 'SourceNotFound');
    const { limits } = config;
    if (head.size === 0) throw badInput(uri, 'the file is empty (0 bytes)');
    if (head.size > limits.maxBytes) {
      throw badInput(uri, `the file is ${head.size} bytes, above the ${limits.maxBytes}-byte limit (OCI_TRANSCODE_MAX_BYTES)`);
    }

    // Never outlives the job timeout, even when that is set shorter than the usual TTL.
    const readable = await store.readUrl(bucket, object, Math.min(READ_URL_TTL_SEC, config.job.timeoutSec));
    let probe: SourceProbe;
    try {
      probe = await probeSource(readable.url, config.limits);
    } catch (error) {
      if (error instanceof BadInputError) throw badInput(uri, error.message);
      // Deleted between head and probe.
      if (error instanceof NotFoundError) throw ApplicationFailure.nonRetryable(`${uri}: no such object`, 'SourceNotFound');
      throw error; // TransientError and the unexpected: retried
    } finally {
      // A leaked read URL would outlive the run: revoke it whatever happened.
      await readable.dispose().catch((error: unknown) => {
        Context.current().log.warn('could not revoke the read URL', { error: String(error) });
      });
    }

    // Sidecar text files beside the source (`<object>.<lang>.srt|vtt`) become text tracks of this run.
    const sidecars = await findSidecars(store, bucket, object);
    if (sidecars.length > 0) probe.sidecars = sidecars;
    const v = probe.video;
    Context.current().log.info('inspected source', {
      stage: 'inspecting',
      source: uri,
      etag: head.etag,
      bytes: head.size,
      durationSec: probe.durationSec,
      video: v ? `${v.codec} ${v.displayWidth}x${v.displayHeight}@${v.fps.toFixed(2)}` : 'none',
      audio: probe.audio ? `${probe.audio.codec} ${probe.audio.channels}ch` : 'none',
    });
    return { probe, etag: head.etag, size: head.size, settings };
  };
}

/** The source's etag now (undefined once deleted): tells a failure caused by a newer upload. */
export function createHeadSource(deps: ActivityDeps) {
  return async function headSource(source: SourceRef): Promise<{ etag?: string; modified?: string }> {
    const head = await deps.store.head(source.bucket, source.object);
    return head ? { etag: head.etag, ...(head.modified ? { modified: head.modified } : {}) } : {};
  };
}

/**
 * What the source is now, and whether that upload is published already: its HEAD, and the job.json at its
 * stream prefix when that records a success for the same eTag. Quick (two reads), so a run decides what an
 * upload event means before it probes anything.
 */
export function createJudgeUpload(deps: ActivityDeps) {
  return async function judgeUpload(request: TranscodeRequest): Promise<UploadJudgement> {
    const { store, config } = deps;
    const valid = validateRequest(request);
    const { source } = valid;
    const notify = resolveNotify(valid, config);
    const head = await store.head(source.bucket, source.object);
    if (!head) return notify ? { notify } : {};
    const { dest } = resolveSettings(request, config, deps.jobs);
    const record = await readJson<Partial<JobRecord>>(store, dest.bucket, streamPrefix(dest, source.object) + JOB_RECORD).catch(() => undefined);
    const published = record?.outcome === 'succeeded' && record.source?.etag === head.etag && record.plan?.version === versionFolder(head.etag);
    return {
      etag: head.etag,
      ...(notify ? { notify } : {}),
      ...(head.modified ? { modified: head.modified } : {}),
      ...(published && record.plan ? { published: publishedFacts(record as JobRecord, dest) } : {}),
    };
  };
}

function publishedFacts(record: JobRecord, dest: DestRef): NonNullable<UploadJudgement['published']> {
  return {
    version: record.plan!.version,
    bucket: dest.bucket,
    streamPrefix: streamPrefix(dest, record.source.object),
    record: streamPrefix(dest, record.source.object) + JOB_RECORD,
    renditions: (record.renditions ?? []).map((r) => r.id),
    durationSec: record.plan!.durationSec,
    ...(record.outputs ?? {}),
  };
}

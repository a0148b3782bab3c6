// publish: the masters from the verified renditions through the one publish path (src/publish), after a
// last check that the source is still this upload; job.json and the public poster come with them, masters
// last. pruneVersions: older uploads' version folders, only now unreferenced (best effort, heartbeating).
// discard: the failure/cancel/supersede counterpart, which never writes masters.
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { DASH_MANIFEST, defaultDest, JOB_RECORD, MASTER_PLAYLIST, MAX_OBJECT_NAME_BYTES, streamPrefix, utf8Bytes } from '../domain/layout.js';
import type { DownloadFile, JobRecord, RenditionMeta, RenditionsFile } from '../domain/types.js';
import type { ObjectStore } from '../ports.js';
import { publishStream, readRenditionsFiles, RenditionsMissingError } from '../publish/publish.js';
import { deletePrefix, listAll, putJson, readJson, readText } from '../store-io.js';
import type { ActivityDeps } from './deps.js';
import { jobRecord, renditionsSummary } from './job-record.js';
import type { DiscardInput, DiscardResult, OutputsInput, PruneResult, PublishDetails, PublishInput, PublishResult, RecordUndeliveredInput } from './types.js';

const VERSION_FOLDER = /^(v-[0-9a-f]{8})\//;

/** True when a published master (HLS or DASH) at the prefix points into this version's folder. */
async function mastersReference(store: ObjectStore, bucket: string, prefix: string, version: string): Promise<boolean> {
  for (const master of [MASTER_PLAYLIST, DASH_MANIFEST]) {
    const body = await readText(store, bucket, prefix + master);
    if (body?.includes(`${version}/`)) return true;
  }
  return false;
}

export function createPublishActivities(deps: ActivityDeps) {
  const { store } = deps;

  async function publish(input: PublishInput): Promise<PublishResult> {
    const log = Context.current().log;
    const { source, dest, plan } = input;
    // A preview only helps a stream with nothing to play yet: a re-upload keeps its earlier version's full
    // ladder playing until the new one is complete, rather than dropping to the preview's one rung.
    if (input.preview) {
      const prefix = streamPrefix(dest, source.object);
      const playing = await Promise.all([MASTER_PLAYLIST, DASH_MANIFEST].map((m) => readText(store, dest.bucket, prefix + m)));
      if (playing.some((body) => body !== undefined && !body.includes(`${plan.version}/`))) {
        log.info('not publishing the preview: an earlier version plays until this one is complete', { stage: 'transcoding' });
        return { status: 'kept', reason: 'an earlier version is published' };
      }
    }
    const files = await readRenditionsFiles(store, { dest, sourceObject: source.object, plan }).catch((error: unknown) => {
      if (error instanceof RenditionsMissingError) throw ApplicationFailure.nonRetryable(error.message, 'VerifyFailed');
      throw error;
    });
    // A newer upload under the same name must never be overwritten by our masters.
    const head = await store.head(source.bucket, source.object);
    if (head && head.etag !== source.etag) {
      log.info('source replaced before publishing: not publishing', { stage: 'publishing', etag: source.etag, newer: head.etag });
      return { status: 'superseded', etag: head.etag };
    }
    const published = await publishStream({
      store, dest, sourceObject: source.object, plan, files,
      record: (outputs, renditions, text) => jobRecord({
        outcome: input.preview ? 'preview' : 'succeeded', source, dest, facts: input.facts, plan, renditions, outputs, text,
        textSkipped: files.flatMap((f) => f.subtitlesSkipped ?? []), downloads: publishedDownloads(streamPrefix(dest, source.object), files),
      }),
    });
    log.info(input.preview ? 'published the preview' : 'published', { stage: 'publishing', written: published.written });
    return {
      status: 'published',
      ...published.outputs,
      record: published.record!,
      renditions: published.renditions.map((r) => r.id),
      details: notificationDetails(streamPrefix(dest, source.object), files, published.renditions),
    };
  }

  /** Version folders of older uploads, removed once the masters point elsewhere; a failure here is logged, never fatal. */
  async function pruneVersions(input: OutputsInput): Promise<PruneResult> {
    const ctx = Context.current();
    const { source, dest, plan } = input;
    const prefix = streamPrefix(dest, source.object);
    const stale = new Set<string>();
    for (const o of await listAll(store, dest.bucket, prefix)) {
      const version = VERSION_FOLDER.exec(o.name.slice(prefix.length))?.[1];
      if (version && version !== plan.version) stale.add(version);
    }
    // The masters may have moved on again (a newer upload published meanwhile): never prune what they name.
    const removed: string[] = [];
    for (const version of stale) {
      if (await mastersReference(store, dest.bucket, prefix, version)) continue;
      await deletePrefix(store, dest.bucket, `${prefix}${version}/`);
      removed.push(version);
      ctx.heartbeat({ removed });
    }
    if (removed.length > 0) ctx.log.info('removed older versions', { stage: 'publishing', versions: removed });
    return { removedVersions: removed };
  }

  async function discard(input: DiscardInput): Promise<DiscardResult> {
    const log = Context.current().log;
    const { source, plan } = input;
    const dest = input.dest ?? defaultDest(deps.config, source.bucket);
    const prefix = streamPrefix(dest, source.object);
    let removedObjects = 0;
    // A preview this very run published is withdrawn: an unfinished run leaves no master behind.
    const existing = await readJson<Partial<JobRecord>>(store, dest.bucket, prefix + JOB_RECORD).catch(() => undefined);
    if (plan && existing?.outcome === 'preview' && existing.workflow?.runId === input.facts.workflow.runId) {
      for (const master of [MASTER_PLAYLIST, DASH_MANIFEST]) await store.delete(dest.bucket, prefix + master);
      log.info('withdrew the preview masters', { stage: 'cleaning-up', version: plan.version });
    }
    if (plan && !(await mastersReference(store, dest.bucket, prefix, plan.version))) {
      removedObjects = await deletePrefix(store, dest.bucket, `${prefix}${plan.version}/`);
    }
    // A superseded run leaves the record to the newer run, which writes its own; and a run never
    // overwrites the success record of the same upload (a re-run that failed after it was published).
    let recordWritten = false;
    // A source whose name is too long for its outputs (inspect refuses it) is too long for its record too.
    const fits = utf8Bytes(prefix + JOB_RECORD) <= MAX_OBJECT_NAME_BYTES;
    if (!fits) log.warn('no job.json: its name would exceed the object name limit; the run history has the error', { stage: 'cleaning-up' });
    if (input.outcome !== 'superseded' && fits) {
      const published = existing?.outcome === 'succeeded' && existing.source?.etag !== undefined && existing.source.etag === source.etag;
      if (!published) {
        const record = jobRecord({ outcome: input.outcome, source, dest, facts: input.facts, plan, error: input.error });
        await putJson(store, dest.bucket, prefix + JOB_RECORD, record);
        recordWritten = true;
      }
    }
    log.info('discarded run outputs', { stage: 'cleaning-up', outcome: input.outcome, removedObjects, version: plan?.version, recordWritten });
    return { removedObjects, recordWritten };
  }

  /** Adds the notifications the workflow gave up on to job.json, if that record is still this run's. */
  async function recordUndelivered(input: RecordUndeliveredInput): Promise<{ recorded: boolean }> {
    const log = Context.current().log;
    const name = streamPrefix(input.dest, input.sourceObject) + JOB_RECORD;
    const record = await readJson<JobRecord>(store, input.dest.bucket, name).catch(() => undefined);
    if (record?.workflow?.runId !== input.runId) {
      log.warn('job.json is not this run\'s any more: undelivered notifications are in the run history only', { stage: 'notifying' });
      return { recorded: false };
    }
    await putJson(store, input.dest.bucket, name, { ...record, notifications: { undelivered: input.undelivered } });
    return { recorded: true };
  }

  return { publish, pruneVersions, discard, recordUndelivered };
}

/** job.json's rendition rows and the thumbnails' names, for the completion notification. */
function notificationDetails(prefix: string, files: RenditionsFile[], renditions: RenditionMeta[]): PublishDetails {
  const details: PublishDetails = { renditions: renditionsSummary(renditions) };
  const thumbnails = files.find((f) => f.thumbnails)?.thumbnails;
  if (thumbnails?.jpeg) details.poster = prefix + thumbnails.jpeg;
  if (thumbnails?.storyboard) details.storyboard = { vtt: prefix + thumbnails.storyboard.vtt, image: prefix + thumbnails.storyboard.image };
  return details;
}

/** The downloads the jobs made, named from the bucket like the other outputs in job.json. */
export function publishedDownloads(prefix: string, files: RenditionsFile[]): DownloadFile[] {
  return files.flatMap((f) => f.downloads ?? []).map((d) => ({ ...d, name: prefix + d.name }));
}

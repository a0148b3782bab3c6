// publish: masters from the verified renditions, the public poster, job.json; masters LAST, so a
// player never sees a master pointing at missing files. Then older versions are garbage-collected.
// discard: the failure/cancel/supersede counterpart, which never writes masters.
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { DASH_MANIFEST, JOB_RECORD, MASTER_PLAYLIST, renditionsFile, streamPrefix, thumbnailPng } from '../domain/layout.js';
import { mergeRenditions, renderDashManifest, renderMasterPlaylist } from '../domain/manifests/index.js';
import type { JobRecord, RenditionsFile } from '../domain/types.js';
import type { ObjectStore } from '../ports.js';
import type { ActivityDeps } from './deps.js';
import { jobRecord } from './job-record.js';
import { copyObject, deletePrefix, listAll, putJson, readJson, readText } from './store-io.js';
import type { DiscardInput, DiscardResult, OutputsInput, PublishResult, RunFacts } from './types.js';

const VERSION_FOLDER = /^(v-[0-9a-f]{8})\//;

/** Every job's renditions.json; a missing one is a non-retryable verification failure. */
export async function readRenditionsFiles(store: ObjectStore, input: OutputsInput): Promise<RenditionsFile[]> {
  const prefix = streamPrefix(input.dest, input.source.object);
  return Promise.all(
    input.plan.jobs.map(async (job) => {
      const name = prefix + renditionsFile(input.plan.version, job.id);
      const file = await readJson<RenditionsFile>(store, input.dest.bucket, name);
      if (!file) throw ApplicationFailure.nonRetryable(`job ${job.id} wrote no ${name}`, 'VerifyFailed');
      return file;
    }),
  );
}

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

  async function publish(input: OutputsInput & { facts: RunFacts }): Promise<PublishResult> {
    const log = Context.current().log;
    const { source, dest, plan } = input;
    const prefix = streamPrefix(dest, source.object);
    const files = await readRenditionsFiles(store, input);
    const renditions = mergeRenditions(files);
    const durationSec = Math.max(...files.map((f) => f.durationSec));
    const masters: { name: string; body: string; contentType: string }[] = [];
    if (plan.formats.includes('hls')) {
      masters.push({ name: prefix + MASTER_PLAYLIST, body: renderMasterPlaylist(renditions), contentType: 'application/vnd.apple.mpegurl' });
    }
    if (plan.formats.includes('dash')) {
      masters.push({ name: prefix + DASH_MANIFEST, body: renderDashManifest(renditions, { durationSec }), contentType: 'application/dash+xml' });
    }

    // A newer upload under the same name must never be overwritten by our masters.
    const head = await store.head(source.bucket, source.object);
    if (head && head.etag !== source.etag) {
      log.info('source replaced before publishing: not publishing', { stage: 'publishing', etag: source.etag, newer: head.etag });
      return { status: 'superseded', etag: head.etag };
    }

    const outputs: NonNullable<JobRecord['outputs']> = {};
    const poster = files.find((f) => f.thumbnails?.png)?.thumbnails?.png;
    if (poster) {
      outputs.thumbnail = thumbnailPng(dest, source.object);
      await copyObject(store, dest.bucket, prefix + poster, outputs.thumbnail, 'image/png');
    }
    for (const m of masters) {
      if (m.name.endsWith(MASTER_PLAYLIST)) outputs.hls = m.name;
      else outputs.dash = m.name;
    }
    const record = prefix + JOB_RECORD;
    await putJson(store, dest.bucket, record, jobRecord({ outcome: 'succeeded', source, dest, facts: input.facts, plan, renditions, outputs }));
    for (const m of masters) await store.put(dest.bucket, m.name, m.body, { contentType: m.contentType, cacheControl: 'max-age=30' });
    log.info('published', { stage: 'publishing', masters: masters.map((m) => m.name), poster: outputs.thumbnail });

    // Older uploads' media: only now unreferenced, since the masters switched above.
    const stale = new Set<string>();
    for (const o of await listAll(store, dest.bucket, prefix)) {
      const version = VERSION_FOLDER.exec(o.name.slice(prefix.length))?.[1];
      if (version && version !== plan.version) stale.add(version);
    }
    for (const version of stale) await deletePrefix(store, dest.bucket, `${prefix}${version}/`);
    if (stale.size > 0) log.info('removed older versions', { stage: 'publishing', versions: [...stale] });

    const result: PublishResult = { status: 'published', record, renditions: renditions.map((r) => r.id), removedVersions: [...stale] };
    return Object.assign(result, outputs);
  }

  async function discard(input: DiscardInput): Promise<DiscardResult> {
    const log = Context.current().log;
    const { source, plan } = input;
    const dest = input.dest ?? { bucket: deps.config.destBucket, prefix: deps.config.destPrefix };
    const prefix = streamPrefix(dest, source.object);
    let removedObjects = 0;
    if (plan && !(await mastersReference(store, dest.bucket, prefix, plan.version))) {
      removedObjects = await deletePrefix(store, dest.bucket, `${prefix}${plan.version}/`);
    }
    // A superseded run leaves the record to the newer run, which writes its own.
    const recordWritten = input.outcome !== 'superseded';
    if (recordWritten) {
      const record = jobRecord({ outcome: input.outcome as Exclude<DiscardInput['outcome'], 'superseded'>, source, dest, facts: input.facts, plan, error: input.error });
      await putJson(store, dest.bucket, prefix + JOB_RECORD, record);
    }
    log.info('discarded run outputs', { stage: 'cleaning-up', outcome: input.outcome, removedObjects, version: plan?.version });
    return { removedObjects, recordWritten };
  }

  return { publish, discard };
}


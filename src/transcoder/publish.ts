// --publish: the thumbnail at its public name, then the master playlist and the MPD, written last so
// a reader that finds a master finds everything it names. The workflow does the same after verifying.
import { buffer, text } from 'node:stream/consumers';
import { DASH_MANIFEST, MASTER_PLAYLIST, thumbnailPng } from '../domain/layout.js';
import { mergeRenditions, renderDashManifest, renderMasterPlaylist } from '../domain/manifests/index.js';
import { renditionsFile } from '../domain/layout.js';
import type { DestRef, Plan, RenditionsFile } from '../domain/types.js';
import { NotFoundError, type ObjectStore } from '../ports.js';
import { uploadGroup, type Upload } from './upload.js';

export interface PublishInput {
  store: ObjectStore;
  dest: DestRef;
  sourceObject: string;
  /** Bucket-relative prefix of the stream (layout.streamPrefix). */
  prefix: string;
  plan: Plan;
  /** renditions.json files already in hand (this run's jobs); the plan's other jobs are read from the store. */
  own: RenditionsFile[];
  /** Local path of this run's PNG poster, when it made one. */
  posterPath?: string;
}

async function readRenditions(store: ObjectStore, bucket: string, name: string, jobId: string): Promise<RenditionsFile> {
  try {
    return JSON.parse(await text(await store.get(bucket, name))) as RenditionsFile;
  } catch (error) {
    if (error instanceof NotFoundError) throw new Error(`cannot publish: job ${jobId} has not written ${name} yet`, { cause: error });
    throw error;
  }
}

/** Returns the bucket-relative names written, masters last. */
export async function publish(input: PublishInput): Promise<string[]> {
  const { store, dest, plan, prefix } = input;
  const files: RenditionsFile[] = [];
  for (const job of plan.jobs) {
    const mine = input.own.find((f) => f.jobId === job.id);
    files.push(mine ?? (await readRenditions(store, dest.bucket, prefix + renditionsFile(plan.version, job.id), job.id)));
  }
  const renditions = mergeRenditions(files);
  const written: string[] = [];

  const poster = files.find((f) => f.thumbnails?.png)?.thumbnails?.png;
  if (poster) {
    const name = thumbnailPng(dest, input.sourceObject);
    const upload: Upload = input.posterPath
      ? { name, path: input.posterPath, mutable: true }
      : { name, body: await buffer(await store.get(dest.bucket, prefix + poster)), mutable: true };
    await uploadGroup(store, dest.bucket, [upload]);
    written.push(name);
  }

  const masters: Upload[] = [];
  if (plan.formats.includes('dash') && plan.segmentFormat === 'cmaf') {
    const durationSec = Math.max(...renditions.map((r) => r.durationSec));
    masters.push({ name: prefix + DASH_MANIFEST, body: renderDashManifest(renditions, { durationSec }), mutable: true });
  }
  // The HLS master goes very last: it is what the original pipeline's readers look for.
  if (plan.formats.includes('hls')) masters.push({ name: prefix + MASTER_PLAYLIST, body: renderMasterPlaylist(renditions), mutable: true });
  for (const m of masters) {
    await uploadGroup(store, dest.bucket, [m]);
    written.push(m.name);
  }
  return written;
}

// The one publish path, for the workflow's publish activity and for `oci-transcode transcode --publish`:
// every job's renditions.json (one reader, validated against the contract), the masters rendered from
// them, and the writes in the order readers rely on: the public poster, job.json, the DASH manifest and
// the HLS master last (what the original pipeline's readers look for). A reader that finds a master finds
// everything it names. Headers come from the one cache policy (domain/layout outputHeaders).
import { buffer } from 'node:stream/consumers';
import { renditionsFileSchema, textOutputSchema } from '../domain/contract.js';
import { captionsFolder, DASH_MANIFEST, JOB_RECORD, MASTER_PLAYLIST, outputHeaders, planFile, renditionsFile, streamPrefix, thumbnailPng } from '../domain/layout.js';
import { mergeRenditions, renderDashManifest, renderMasterPlaylist, renderMediaPlaylist } from '../domain/manifests/index.js';
import { STITCHED_JOB, stitchChunks } from '../domain/stitch.js';
import type { DestRef, JobRecord, Plan, RenditionMeta, RenditionsFile, TextOutput } from '../domain/types.js';
import type { ObjectStore } from '../ports.js';
import { listAll, readText } from '../store-io.js';

/** A job wrote no renditions.json (or a broken one): nothing can be published. */
export class RenditionsMissingError extends Error {
  override readonly name = 'RenditionsMissingError';
}

/**
 * Every job's renditions.json, in plan order: `own` ones already in hand, the others read from the store.
 * Missing or malformed files throw RenditionsMissingError naming them; `allowMissing` returns what exists.
 */
export async function readRenditionsFiles(
  store: ObjectStore,
  at: { dest: DestRef; sourceObject: string; plan: Plan },
  options: { own?: RenditionsFile[]; allowMissing?: boolean } = {},
): Promise<RenditionsFile[]> {
  const prefix = streamPrefix(at.dest, at.sourceObject);
  const found = await Promise.all(
    at.plan.jobs.map(async (job) => {
      const mine = options.own?.find((f) => f.jobId === job.id);
      if (mine) return mine;
      const name = prefix + renditionsFile(at.plan.version, job.id);
      const body = await readText(store, at.dest.bucket, name);
      if (body === undefined) {
        if (options.allowMissing) return undefined;
        throw new RenditionsMissingError(`job ${job.id} wrote no ${name}`);
      }
      let json: unknown;
      try {
        json = JSON.parse(body);
      } catch (error) {
        throw new RenditionsMissingError(`${name} is not valid JSON: ${(error as Error).message}`);
      }
      const parsed = renditionsFileSchema.safeParse(json);
      if (!parsed.success) throw new RenditionsMissingError(`${name} is not a renditions file: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).slice(0, 3).join('; ')}`);
      return parsed.data;
    }),
  );
  return found.filter((f): f is RenditionsFile => f !== undefined);
}

/**
 * The text tracks of a version: those its jobs converted, then those added after publishing (sidecars
 * uploaded later, one JSON file each in the captions folder, by name). A malformed file is left out.
 */
export async function readTextTracks(store: ObjectStore, at: { dest: DestRef; sourceObject: string; version: string }, files: RenditionsFile[]): Promise<TextOutput[]> {
  const tracks = files.flatMap((f) => f.subtitles ?? []);
  const folder = streamPrefix(at.dest, at.sourceObject) + captionsFolder(at.version);
  const later = (await listAll(store, at.dest.bucket, folder)).filter((o) => o.name.endsWith('.json')).sort((a, b) => (a.name < b.name ? -1 : 1));
  for (const o of later) {
    const body = await readText(store, at.dest.bucket, o.name);
    const parsed = (() => {
      try {
        return textOutputSchema.safeParse(JSON.parse(body ?? ''));
      } catch {
        return undefined;
      }
    })();
    if (parsed?.success && !tracks.some((t) => t.id === parsed.data.id)) tracks.push(parsed.data);
  }
  return tracks;
}

export interface PublishInput {
  store: ObjectStore;
  dest: DestRef;
  sourceObject: string;
  plan: Plan;
  files: RenditionsFile[];
  /** The PNG poster on local disk (the transcoder has it); else it is copied from the stream's own. */
  posterPath?: string;
  /** job.json, written before the masters (the workflow's record of the run). */
  record?: (outputs: Published['outputs'], renditions: RenditionMeta[], text: TextOutput[]) => JobRecord;
}

export interface Published {
  /** Names relative to the destination bucket. */
  outputs: { hls?: string; dash?: string; thumbnail?: string };
  record?: string;
  renditions: RenditionMeta[];
  text: TextOutput[];
  /** Everything written, in order (masters last). */
  written: string[];
}

export async function publishStream(input: PublishInput): Promise<Published> {
  const { store, dest, plan } = input;
  const prefix = streamPrefix(dest, input.sourceObject);
  // A time-split run: the chunks' segments are listed in order (nothing re-muxed), each rung's media
  // playlist written here, before anything that names it.
  const files = stitchChunks(plan, input.files);
  const stitched = files.filter((f) => f.jobId === STITCHED_JOB).flatMap((f) => f.renditions);
  const renditions = mergeRenditions(files);
  const durationSec = Math.max(...renditions.map((r) => r.durationSec));
  const text = await readTextTracks(store, { dest, sourceObject: input.sourceObject, version: plan.version }, files);
  const masters: { name: string; body: string }[] = [];
  // DASH needs CMAF segments; MPEG-TS streams are HLS only.
  if (plan.formats.includes('dash') && plan.segmentFormat === 'cmaf') masters.push({ name: prefix + DASH_MANIFEST, body: renderDashManifest(renditions, { durationSec, text }) });
  if (plan.formats.includes('hls')) masters.push({ name: prefix + MASTER_PLAYLIST, body: renderMasterPlaylist(renditions, text) });

  const written: string[] = [];
  const put = async (name: string, body: Buffer | string): Promise<void> => {
    await store.put(dest.bucket, name, body, outputHeaders(name, true));
    written.push(name);
  };
  for (const r of stitched) {
    await store.put(dest.bucket, prefix + r.playlist, renderMediaPlaylist(r, plan.segmentFormat), outputHeaders(r.playlist, false));
    written.push(prefix + r.playlist);
  }
  const outputs: Published['outputs'] = {};
  const poster = files.find((f) => f.thumbnails?.png)?.thumbnails?.png;
  if (poster) {
    outputs.thumbnail = thumbnailPng(dest, input.sourceObject);
    const body = input.posterPath ? undefined : await buffer(await store.get(dest.bucket, prefix + poster));
    if (input.posterPath) {
      await store.putFile(dest.bucket, outputs.thumbnail, input.posterPath, outputHeaders(outputs.thumbnail, true));
      written.push(outputs.thumbnail);
    } else {
      await put(outputs.thumbnail, body!);
    }
  }
  for (const m of masters) {
    if (m.name.endsWith(MASTER_PLAYLIST)) outputs.hls = m.name;
    else outputs.dash = m.name;
  }
  // The plan, immutable in its version folder: a sidecar uploaded later re-publishes from it (workflows/captions.ts).
  await store.put(dest.bucket, prefix + planFile(plan.version), `${JSON.stringify(plan)}\n`, outputHeaders(planFile(plan.version), false));
  written.push(prefix + planFile(plan.version));
  let record: string | undefined;
  if (input.record) {
    record = prefix + JOB_RECORD;
    await put(record, `${JSON.stringify(input.record(outputs, renditions, text), null, 2)}\n`);
  }
  for (const m of masters) await put(m.name, m.body);
  return { outputs, ...(record ? { record } : {}), renditions, text, written };
}

// The transcoder's journey, top to bottom: resolve stores, check the source and open it where it lies
// (a folder bucket's file, or a loopback range server over the store), probe, plan (or take the
// workflow's plan), encode each job while its segments upload, read the outputs back, upload the rest in
// reader order, and with --publish write the masters last. Nothing is visible to players before the
// masters, and a failed run deletes what it uploaded.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { extname, join, resolve } from 'node:path';
import { DEFAULT_SCRATCH_BYTES, type Config } from '../config.js';
import { jobSeconds } from '../domain/chunks.js';
import { planLadder, type PlanOptions } from '../domain/ladder.js';
import { streamPrefix, versionFolder } from '../domain/layout.js';
import type { AudioSelection, DestRef, Plan, PresetName, SegmentFormat, StreamFormat, VideoCodec } from '../domain/types.js';
import { LocalFolderStore } from '../adapters/local/object-store.js';
import { closeStore, openStore } from '../adapters/open-store.js';
import { parseStoreUri } from '../adapters/uri.js';
import { ChangedError, TransientError, type ObjectInfo, type ObjectStore } from '../ports.js';
import { encodeJob, type JobOutputs } from './encode-job.js';
import { remuxJob } from './remux-job.js';
import { BadInputError, UsageError } from './errors.js';
import { probeSource } from '../media/probe.js';
import type { EventSink } from './progress.js';
import { publishStream, readRenditionsFiles } from '../publish/publish.js';
import { serveSource, type SourceServer } from './source-server.js';
import { uploadGroup } from './upload.js';
import { buffer } from 'node:stream/consumers';
import { subtitleJobId } from '../domain/subtitles.js';
import { findSidecars, MAX_SIDECAR_BYTES } from '../media/webvtt.js';

export interface TranscodeArgs {
  source: string;
  dest: string;
  preset?: PresetName;
  plan?: Plan;
  jobId?: string;
  publish?: boolean;
  formats?: StreamFormat[];
  segmentFormat?: SegmentFormat;
  /** Source audio tracks kept when planning here (default all), and whether 5.1 tracks also get a 5.1 rendition (default yes). */
  audioTracks?: AudioSelection;
  surround?: boolean;
  /** Video codecs of the plan made here (without --plan); default H.264 only. */
  videoCodecs?: VideoCodec[];
  workDir?: string;
}

export interface RunContext {
  env: NodeJS.ProcessEnv;
  limits?: Config['limits'];
  events: EventSink;
  log(message: string): void;
  signal?: AbortSignal;
}

export interface TranscodeResult {
  /** Bucket-relative names of the renditions.json files written. */
  renditionsFiles: string[];
  durationSec: number;
  /** Bucket-relative names of what --publish wrote, masters last. */
  published: string[];
  /** The most the run held on the scratch disk at once, in bytes. */
  peakScratchBytes: number;
}

// Overall percent of the run by stage: encoding (with its uploads) is nearly all of the time.
const SPAN = { encode: [0, 95], upload: [95, 99], publish: [99, 100] } as const;
const at = (stage: keyof typeof SPAN, fraction: number): number => SPAN[stage][0] + (SPAN[stage][1] - SPAN[stage][0]) * Math.max(0, Math.min(1, fraction));

/** The plan a run without --plan makes: one job, the flags' choices, 5.1 renditions unless turned off (as the workflow's default). */
export function planOptions(args: TranscodeArgs, etag: string): PlanOptions {
  return {
    ...(args.preset ? { preset: args.preset } : {}),
    ...(args.formats ? { formats: args.formats } : {}),
    ...(args.segmentFormat ? { segmentFormat: args.segmentFormat } : {}),
    ...(args.audioTracks ? { audioTracks: args.audioTracks } : {}),
    ...(args.videoCodecs ? { videoCodecs: args.videoCodecs } : {}),
    surround: args.surround ?? true,
    parallelism: 'single',
    etag,
  };
}

/** Where ffprobe and ffmpeg read the source: a folder bucket's own file, or a range server over the store. */
async function openSource(store: ObjectStore, bucket: string, name: string, head: ObjectInfo): Promise<{ input: string; server?: SourceServer }> {
  if (store instanceof LocalFolderStore) return { input: store.objectPath(bucket, name) };
  // The extension tells ffmpeg's probe what to expect first; the server reads with the store's own identity.
  const ext = /^\.[A-Za-z0-9]{1,8}$/.test(extname(name)) ? extname(name) : '';
  const server = await serveSource(store, { bucket, name, size: head.size, etag: head.etag }, `source${ext}`);
  return { input: server.url, server };
}

/**
 * A failed read of the source reaches ffmpeg as a broken HTTP read, which looks like a damaged file (it
 * decodes short, or errors): when the server gave up on the store, that is the real cause.
 */
async function readingSource<T>(server: SourceServer | undefined, read: () => Promise<T>): Promise<T> {
  try {
    return await read();
  } catch (error) {
    const cause = server?.lastError;
    if (!cause) throw error;
    if (cause instanceof ChangedError) throw new TransientError(`the source changed while it was being read (a newer upload?): ${cause.message}`, { cause });
    throw new TransientError(`could not read the source: ${cause.message}`, { cause });
  }
}

/** The sidecar files the plan's text tracks name, when this run has the job that converts them (small: read whole). */
async function readSidecars(store: ObjectStore, bucket: string, plan: Plan, jobs: Plan['jobs'], log: (line: string) => void): Promise<Map<string, Buffer>> {
  const found = new Map<string, Buffer>();
  if (!jobs.some((j) => j.id === subtitleJobId(plan))) return found;
  for (const t of plan.subtitles ?? []) {
    if (!t.sidecar) continue;
    // A sidecar deleted or replaced since inspect is reported as not converted (convertTextTracks), never fatal.
    const body = await store.get(bucket, t.sidecar.object, t.sidecar.etag ? { ifMatch: t.sidecar.etag } : {}).then(buffer, (error: unknown) => {
      log(`sidecar ${t.sidecar?.object ?? ''}: not read: ${error instanceof Error ? error.message : String(error)}`);
      return undefined;
    });
    if (body && body.length <= MAX_SIDECAR_BYTES) found.set(t.sidecar.object, body);
  }
  return found;
}

export async function transcode(args: TranscodeArgs, ctx: RunContext): Promise<TranscodeResult> {
  const started = Date.now();
  const sourceAt = parseStoreUri(args.source, 'object');
  const destAt = parseStoreUri(args.dest, 'root');
  if (args.jobId && !args.plan) throw new UsageError('--job needs --plan: a job id names a job of a given plan');
  const sourceStore = await openStore(sourceAt, ctx.env);
  const destStore = await openStore(destAt, ctx.env);
  try {
    return await run(args, ctx, sourceStore, destStore, started);
  } finally {
    await Promise.allSettled([closeStore(sourceStore), closeStore(destStore)]);
  }
}

async function run(args: TranscodeArgs, ctx: RunContext, sourceStore: ObjectStore, destStore: ObjectStore, started: number): Promise<TranscodeResult> {
  const sourceAt = parseStoreUri(args.source, 'object');
  const destAt = parseStoreUri(args.dest, 'root');

  const head = await sourceStore.head(sourceAt.bucket, sourceAt.name);
  if (!head) throw new BadInputError(`source not found: ${args.source}`);
  if (head.size === 0) throw new BadInputError('the file is empty (0 bytes)');
  if (ctx.limits && head.size > ctx.limits.maxBytes) throw new BadInputError(`the file is ${head.size} bytes, above the ${ctx.limits.maxBytes}-byte limit`);

  const work = await mkdtemp(join(resolve(args.workDir ?? tmpdir()), 'oci-transcode-'));
  const source = await openSource(sourceStore, sourceAt.bucket, sourceAt.name, head);
  const dest: DestRef = { bucket: destAt.bucket, prefix: destAt.name };
  const prefix = streamPrefix(dest, sourceAt.name);
  const uploaded: string[] = [];
  try {
    const probe = await readingSource(source.server, () => probeSource(source.input, ctx.limits, { fields: !args.plan }));
    ctx.log(`source ${args.source}: ${probe.formatName}, ${probe.durationSec.toFixed(2)} s, ` +
      `video ${probe.video ? `${probe.video.codec} ${probe.video.displayWidth}x${probe.video.displayHeight} @${probe.video.fps.toFixed(3)}` : 'none'}, ` +
      `audio ${probe.audio ? `${probe.audio.codec} ${probe.audio.channels} ch` : 'none'}`);
    // Planning here (no --plan), as inspect does for the workflow: sidecar files beside the source are text tracks too.
    if (!args.plan) {
      const sidecars = await findSidecars(sourceStore, sourceAt.bucket, sourceAt.name);
      if (sidecars.length > 0) probe.sidecars = sidecars;
    }
    const plan = args.plan ?? planLadder(probe, planOptions(args, head.etag));
    if (args.plan && args.plan.version !== versionFolder(head.etag)) {
      // The workflow planned another upload of this name; it supersedes stale runs itself.
      ctx.log(`warning: the plan is for version ${args.plan.version}, the source now is ${versionFolder(head.etag)} (etag ${head.etag})`);
    }
    const jobs = args.jobId ? plan.jobs.filter((j) => j.id === args.jobId) : plan.jobs;
    if (jobs.length === 0) throw new UsageError(`the plan has no job ${JSON.stringify(args.jobId)} (jobs: ${plan.jobs.map((j) => j.id).join(', ')})`);
    ctx.log(`plan ${plan.version}: ${plan.video.map((v) => `${v.id} ${v.width}x${v.height} ${Math.round(v.bitrate / 1000)}k`).join(', ') || 'no video'}` +
      `${plan.audio ? `, audio ${plan.audio.channels} ch ${plan.audio.bitrate / 1000}k` : ''}; ${plan.fps.toFixed(3)} fps, GOP ${plan.gopFrames}, ` +
      `segments ${plan.segmentSeconds.toFixed(3)} s ${plan.segmentFormat}${plan.picture?.deinterlace ? `, deinterlaced (bwdif, ${plan.picture.deinterlace.fieldOrder})` : ''}${plan.picture?.toneMap ? `, tone-mapped (${plan.picture.toneMap.from} -> bt709)` : ''}; jobs ${jobs.map((j) => j.id).join(', ')}`);

    const sidecars = await readSidecars(sourceStore, sourceAt.bucket, plan, jobs, (line) => ctx.log(line));
    const uploads = { store: destStore, bucket: dest.bucket, prefix, scratchBytes: ctx.limits?.scratchBytes ?? DEFAULT_SCRATCH_BYTES, log: (line: string) => ctx.log(line) };
    const outputs: JobOutputs[] = [];
    for (const [n, job] of jobs.entries()) {
      ctx.signal?.throwIfAborted();
      const encodeStarted = Date.now();
      const out = job.remux
        ? await remuxJob({ plan, job, workDir: work, store: destStore, dest, sourceObject: sourceAt.name, prefix }, ctx.signal)
        : await readingSource(source.server, () =>
          encodeJob({ path: source.input, probe, plan, job, workDir: work, uploads, sidecars }, (p) => {
            const fraction = (n + Math.min(1, p.outTimeSec / jobSeconds(plan, job))) / jobs.length;
            ctx.events.progress('encode', { percent: at('encode', fraction), ...p });
          }, ctx.signal),
        );
      outputs.push(out);
      uploaded.push(...out.uploaded);
      ctx.log(`job ${job.id}: encoded in ${((Date.now() - encodeStarted) / 1000).toFixed(1)} s, at most ${out.peakScratchBytes} bytes of scratch`);
    }

    ctx.signal?.throwIfAborted();
    // Reader order: media, then the playlists naming them, then renditions.json naming both.
    const media = outputs.flatMap((o) => o.media.map((m) => ({ name: prefix + m.name, path: m.path })));
    const later = [
      outputs.flatMap((o) => o.playlists.map((p) => ({ name: prefix + p.name, body: p.body }))),
      outputs.map((o) => ({ name: prefix + o.renditions.name, body: o.renditions.body })),
    ];
    uploaded.push(...media.map((m) => m.name), ...later.flat().map((u) => u.name));
    await uploadGroup(destStore, dest.bucket, media, (done) => ctx.events.progress('upload', { percent: at('upload', done / Math.max(1, media.length)) }));
    for (const group of later) await uploadGroup(destStore, dest.bucket, group);

    let published: string[] = [];
    if (args.publish) {
      ctx.signal?.throwIfAborted();
      ctx.events.progress('publish', { percent: at('publish', 0) });
      const posterPath = outputs.find((o) => o.posterPath)?.posterPath;
      const files = await readRenditionsFiles(destStore, { dest, sourceObject: sourceAt.name, plan }, { own: outputs.map((o) => o.file) });
      published = (await publishStream({ store: destStore, dest, sourceObject: sourceAt.name, plan, files, ...(posterPath ? { posterPath } : {}) })).written;
    }
    const segments = outputs.reduce((n, o) => n + o.uploaded.length, 0);
    const peakScratchBytes = Math.max(0, ...outputs.map((o) => o.peakScratchBytes));
    ctx.log(`done in ${((Date.now() - started) / 1000).toFixed(1)} s: ${segments + media.length} media objects under ${dest.bucket}/${prefix}${published.length ? `; published ${published.join(', ')}` : ''}`);
    return {
      renditionsFiles: outputs.map((o) => prefix + o.renditions.name),
      durationSec: Math.max(...outputs.map((o) => o.file.durationSec)),
      published,
      peakScratchBytes,
    };
  } catch (error) {
    // Whatever this run wrote into the version folder goes again (a job that failed already removed its own).
    await Promise.allSettled(uploaded.map((name) => destStore.delete(dest.bucket, name)));
    throw error;
  } finally {
    await source.server?.close();
    await rm(work, { recursive: true, force: true });
  }
}

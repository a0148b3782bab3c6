// The transcoder's journey, top to bottom: resolve stores, check and fetch the source, probe, plan (or
// take the workflow's plan), encode each job, read the outputs back, upload in reader order, and
// with --publish write the masters last. Nothing reaches the destination before every check passed.
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { extname, join, resolve } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Config } from '../config.js';
import { planLadder } from '../domain/ladder.js';
import { streamPrefix, versionFolder } from '../domain/layout.js';
import type { DestRef, Plan, PresetName, RenditionsFile, SegmentFormat, StreamFormat } from '../domain/types.js';
import { LocalFolderStore } from '../adapters/local/object-store.js';
import { closeStore, openStore } from '../adapters/open-store.js';
import { parseStoreUri } from '../adapters/uri.js';
import type { ObjectStore } from '../ports.js';
import { encodeJob, type JobOutputs } from './encode-job.js';
import { BadInputError, UsageError } from './errors.js';
import { probeSource } from './probe.js';
import type { EventSink } from './progress.js';
import { publish } from './publish.js';
import { uploadGroup } from './upload.js';

export interface TranscodeArgs {
  source: string;
  dest: string;
  preset?: PresetName;
  plan?: Plan;
  jobId?: string;
  publish?: boolean;
  formats?: StreamFormat[];
  segmentFormat?: SegmentFormat;
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
}

// Overall percent of the run by stage: encoding is nearly all of the time.
const SPAN = { fetch: [0, 3], encode: [3, 92], upload: [92, 99], publish: [99, 100] } as const;
const at = (stage: keyof typeof SPAN, fraction: number): number => SPAN[stage][0] + (SPAN[stage][1] - SPAN[stage][0]) * Math.max(0, Math.min(1, fraction));

/** A local file ffmpeg can read: the folder store's own path, or a download into the work dir. */
async function localSource(store: ObjectStore, bucket: string, name: string, size: number, work: string, ctx: RunContext): Promise<string> {
  // Folder buckets are files already. Anything else is downloaded with the store's own credentials: a
  // pre-authenticated URL here would need the container's identity to hold the right to mint them.
  if (store instanceof LocalFolderStore) return store.objectPath(bucket, name);
  const ext = /^\.[A-Za-z0-9]{1,8}$/.test(extname(name)) ? extname(name) : '';
  const path = join(work, `source${ext}`);
  let received = 0;
  const body = await store.get(bucket, name);
  const count = async function* (chunks: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
    for await (const chunk of chunks) {
      received += chunk.length;
      ctx.events.progress('fetch', { percent: at('fetch', received / Math.max(1, size)) });
      yield chunk;
    }
  };
  await pipeline(body, count, createWriteStream(path), ctx.signal ? { signal: ctx.signal } : {});
  return path;
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
  try {
    ctx.events.progress('fetch', { percent: 0 });
    const input = await localSource(sourceStore, sourceAt.bucket, sourceAt.name, head.size, work, ctx);
    const probe = await probeSource(input, ctx.limits);
    ctx.log(`source ${args.source}: ${probe.formatName}, ${probe.durationSec.toFixed(2)} s, ` +
      `video ${probe.video ? `${probe.video.codec} ${probe.video.displayWidth}x${probe.video.displayHeight} @${probe.video.fps.toFixed(3)}` : 'none'}, ` +
      `audio ${probe.audio ? `${probe.audio.codec} ${probe.audio.channels} ch` : 'none'}`);
    const plan = args.plan ?? planLadder(probe, {
      ...(args.preset ? { preset: args.preset } : {}),
      ...(args.formats ? { formats: args.formats } : {}),
      ...(args.segmentFormat ? { segmentFormat: args.segmentFormat } : {}),
      parallelism: 'single',
      etag: head.etag,
    });
    if (args.plan && args.plan.version !== versionFolder(head.etag)) {
      // The workflow planned another upload of this name; it supersedes stale runs itself.
      ctx.log(`warning: the plan is for version ${args.plan.version}, the source now is ${versionFolder(head.etag)} (etag ${head.etag})`);
    }
    const jobs = args.jobId ? plan.jobs.filter((j) => j.id === args.jobId) : plan.jobs;
    if (jobs.length === 0) throw new UsageError(`the plan has no job ${JSON.stringify(args.jobId)} (jobs: ${plan.jobs.map((j) => j.id).join(', ')})`);
    ctx.log(`plan ${plan.version}: ${plan.video.map((v) => `${v.id} ${v.width}x${v.height} ${Math.round(v.bitrate / 1000)}k`).join(', ') || 'no video'}` +
      `${plan.audio ? `, audio ${plan.audio.channels} ch ${plan.audio.bitrate / 1000}k` : ''}; ${plan.fps.toFixed(3)} fps, GOP ${plan.gopFrames}, ` +
      `segments ${plan.segmentSeconds.toFixed(3)} s ${plan.segmentFormat}; jobs ${jobs.map((j) => j.id).join(', ')}`);

    const outputs: JobOutputs[] = [];
    for (const [n, job] of jobs.entries()) {
      ctx.signal?.throwIfAborted();
      const encodeStarted = Date.now();
      outputs.push(await encodeJob({ path: input, probe, plan, job, workDir: work }, (p) => {
        const fraction = (n + Math.min(1, p.outTimeSec / plan.durationSec)) / jobs.length;
        ctx.events.progress('encode', { percent: at('encode', fraction), ...p });
      }, ctx.signal));
      ctx.log(`job ${job.id}: encoded in ${((Date.now() - encodeStarted) / 1000).toFixed(1)} s`);
    }

    ctx.signal?.throwIfAborted();
    const dest: DestRef = { bucket: destAt.bucket, prefix: destAt.name };
    const prefix = streamPrefix(dest, sourceAt.name);
    // Reader order: media, then the playlists naming them, then renditions.json naming both.
    const media = outputs.flatMap((o) => o.media.map((m) => ({ name: prefix + m.name, path: m.path })));
    const total = media.length;
    await uploadGroup(destStore, dest.bucket, media, (done) => ctx.events.progress('upload', { percent: at('upload', done / Math.max(1, total)) }));
    await uploadGroup(destStore, dest.bucket, outputs.flatMap((o) => o.playlists.map((p) => ({ name: prefix + p.name, body: p.body }))));
    await uploadGroup(destStore, dest.bucket, outputs.map((o) => ({ name: prefix + o.renditions.name, body: o.renditions.body })));

    let published: string[] = [];
    if (args.publish) {
      ctx.signal?.throwIfAborted();
      ctx.events.progress('publish', { percent: at('publish', 0) });
      const posterPath = outputs.find((o) => o.posterPath)?.posterPath;
      const own: RenditionsFile[] = outputs.map((o) => o.file);
      published = await publish({ store: destStore, dest, sourceObject: sourceAt.name, prefix, plan, own, ...(posterPath ? { posterPath } : {}) });
    }
    ctx.log(`done in ${((Date.now() - started) / 1000).toFixed(1)} s: ${media.length} media objects under ${dest.bucket}/${prefix}${published.length ? `; published ${published.join(', ')}` : ''}`);
    return {
      renditionsFiles: outputs.map((o) => prefix + o.renditions.name),
      durationSec: Math.max(...outputs.map((o) => o.file.durationSec)),
      published,
    };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

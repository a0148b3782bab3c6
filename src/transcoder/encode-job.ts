// One job of a plan: one ffmpeg run for its renditions (and thumbnails), its media segments uploaded into
// the version folder while it runs (segment-uploader.ts: the scratch disk holds a bounded window, not the
// outputs), then the outputs read back into renditions.json and media playlists. The caller uploads the
// rest (init segments, thumbnails, playlists, renditions.json) only once every check passed; a job that
// fails, a source found bad included, deletes the segments it uploaded. Nothing is visible to players
// before the masters, which only publishing writes.
import { mkdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { mediaFolder, mediaPlaylist, posterJpeg, posterPng, renditionsFile, storyboardImage, storyboardVtt } from '../domain/layout.js';
import { renderMediaPlaylist } from '../domain/manifests/index.js';
import { expectedDurationSec } from '../domain/verify.js';
import { planAudioRenditions } from '../domain/ladder.js';
import { jobSeconds } from '../domain/chunks.js';
import type { JobSpec, Plan, RenditionMeta, RenditionsFile, SourceProbe, ThumbnailSet } from '../domain/types.js';
import { checkChunkInits, chunkEncode, hashInits } from './chunk-job.js';
import { BadInputError } from './errors.js';
import { runEncode, ToolError, variantDir, type EncodeProgress, type EncodeSpec } from './ffmpeg.js';
import { collectVariant, type OutputFile } from './outputs.js';
import { addJobExtras } from './job-extras.js';
import { encodeFilter, measureSource } from './loudness.js';
import { SegmentUploader, type SegmentFact, type SegmentUploaderOptions } from './segment-uploader.js';
import { posterFrame, posterSize, storyboardLayout, storyboardVttText } from './thumbnails.js';
import { subtitleJobId } from '../domain/subtitles.js';
import { convertTextTracks, type TextJobOutputs } from './subtitle-job.js';

export interface JobOutputs {
  file: RenditionsFile;
  /** Objects the encode uploaded already (media segments): deleted if the run fails later. */
  uploaded: string[];
  /** Init segments and pictures (upload first). */
  media: OutputFile[];
  /** Media playlists, stream-relative name -> text (upload second). */
  playlists: { name: string; body: string }[];
  /** renditions.json (upload third). */
  renditions: { name: string; body: string };
  posterPath?: string;
  /** The most the job held on the scratch disk at once, in bytes. */
  peakScratchBytes: number;
}

export type JobUploads = Omit<SegmentUploaderOptions, 'workDir'>;

/** Lines of ffmpeg's stderr that mean the source itself is damaged, not the machine. */
const DAMAGED_INPUT = /Invalid data found|corrupt|Error while decoding|moov atom not found|Truncat|error reading header/i;
/** A decode shorter than the container says by this much is a truncated or damaged source. */
const EARLY_END_SEC = 0.5;

type ThumbnailSpec = Required<NonNullable<EncodeSpec['thumbnails']>>;

function thumbnailsFor(plan: Plan, probe: SourceProbe, dir: string): { spec: ThumbnailSpec; set: ThumbnailSet; vtt: string } | undefined {
  const v = probe.video;
  if (!v) return undefined;
  const poster = posterSize(v.displayWidth, v.displayHeight);
  const board = storyboardLayout(plan.durationSec, v.displayWidth, v.displayHeight);
  const spec: ThumbnailSpec = {
    posterFrame: posterFrame(plan.durationSec, plan.fps),
    posterWidth: poster.width,
    posterHeight: poster.height,
    png: join(dir, 'poster.png'),
    jpeg: join(dir, 'poster.jpg'),
    storyboard: { path: join(dir, 'storyboard.jpg'), ...board },
  };
  const set: ThumbnailSet = {
    png: posterPng(plan.version),
    jpeg: posterJpeg(plan.version),
    storyboard: { image: storyboardImage(plan.version), vtt: storyboardVtt(plan.version), tileWidth: board.tileWidth, tileHeight: board.tileHeight, intervalSec: board.intervalSec },
  };
  // The VTT sits beside the sheet, so its references are bare file names.
  const imageName = storyboardImage(plan.version).split('/').pop() ?? 'storyboard.jpg';
  return { spec, set, vtt: storyboardVttText(board, plan.durationSec, imageName) };
}

export async function encodeJob(
  input: { path: string; probe: SourceProbe; plan: Plan; job: JobSpec; workDir: string; uploads: JobUploads; sidecars?: ReadonlyMap<string, Buffer> },
  onProgress: (p: EncodeProgress) => void,
  signal?: AbortSignal,
): Promise<JobOutputs> {
  const { probe, plan, job } = input;
  const dir = join(input.workDir, `job-${job.id.replace(/[^A-Za-z0-9_-]/g, '_')}`);
  await mkdir(dir, { recursive: true });
  const video = job.videoIds.map((id) => {
    const v = plan.video.find((r) => r.id === id);
    if (!v) throw new Error(`plan has no video rendition ${id} (job ${job.id})`);
    return v;
  });
  if (video.length > 0 && !probe.video) throw new BadInputError('the plan asks for video, but the source has no video stream');
  // Plans made before tracks were named have no sourceIndex: their one track is the probe's default.
  const audio = job.audio && probe.audio ? planAudioRenditions(plan).map((a) => ({ ...a, stream: a.sourceIndex ?? probe.audio?.index ?? 0 })) : [];
  const thumbs = job.thumbnails ? thumbnailsFor(plan, probe, dir) : undefined;
  const variants = [
    ...video.map((v) => ({ id: v.id, kind: 'video' as const, frameRate: plan.fps })),
    ...audio.map((a) => {
      const language = a.language ?? (a.sourceIndex === undefined ? probe.audio?.language : undefined);
      return { id: a.id, kind: 'audio' as const, channels: a.channels, sampleRate: a.sampleRate, ...(language ? { language } : {}), ...(a.name ? { name: a.name } : {}), ...(a.role ? { role: a.role } : {}) };
    }),
  ];

  // Loudness: the first pass reads the source before the encode, which applies the second (loudness.ts).
  const loudness = plan.loudness && audio.length > 0 ? await measureSource(input.path, audio.map((a) => ({ id: a.id, stream: a.stream, channels: a.channels })), plan.loudness, signal) : undefined;
  const filters = new Map<string, string>();
  for (const a of audio) {
    const filter = plan.loudness && loudness instanceof Map ? encodeFilter(loudness.get(a.id), plan.loudness, a.channels) : undefined;
    if (filter) filters.set(a.id, filter);
  }

  const chunk = job.chunk;
  const spec: EncodeSpec = {
    input: input.path,
    // The thumbnails-only graph of a time-split run's audio job reads the video too.
    ...(probe.video && (video.length || thumbs) ? { videoStream: probe.video.index } : {}),
    ...(chunk ? chunkEncode(chunk, plan.fps) : {}),
    ...(audio.length > 0 ? { audio: audio.map((a) => ({ stream: a.stream, bitrate: a.bitrate, channels: a.channels, sampleRate: a.sampleRate, ...(a.language ? { language: a.language } : {}), ...(filters.has(a.id) ? { filter: filters.get(a.id) } : {}) })) } : {}),
    ...(plan.picture?.deinterlace ? { deinterlace: { fieldOrder: plan.picture.deinterlace.fieldOrder } } : {}),
    ...(plan.picture?.toneMap ? { toneMap: { from: plan.picture.toneMap.from, primaries: plan.picture.toneMap.primaries, matrix: plan.picture.toneMap.matrix } } : {}),
    fps: plan.fps,
    gopFrames: plan.gopFrames,
    segmentSeconds: plan.segmentSeconds,
    segmentFormat: plan.segmentFormat,
    video,
    outDir: dir,
    ...(thumbs ? { thumbnails: thumbs.spec } : {}),
  };
  const uploader = new SegmentUploader({ ...input.uploads, workDir: input.workDir });
  const shift = chunk ? { startFrame: chunk.startFrame, fps: plan.fps, sequenceOffset: chunk.firstSegment } : undefined;
  variants.forEach((v, i) => uploader.watch({ id: v.id, kind: v.kind, dir: variantDir(dir, i), folder: mediaFolder(plan.version, v.id), segmentFormat: plan.segmentFormat, ...(shift ? { shift } : {}) }));
  try {
    uploader.start();
    const stop = signal ? AbortSignal.any([signal, uploader.signal]) : uploader.signal;
    try {
      await runEncode(spec, onProgress, { signal: stop, onSpawn: (encoder) => uploader.attach(encoder) });
    } catch (error) {
      if (uploader.signal.aborted) throw uploader.signal.reason;
      const line = error instanceof ToolError ? error.stderr.split('\n').find((l) => DAMAGED_INPUT.test(l)) : undefined;
      if (line) throw new BadInputError(`the source could not be decoded: ${line.trim()}`);
      throw error;
    }
    const facts = await uploader.finish();
    const text = plan.subtitles?.length && job.id === subtitleJobId(plan)
      ? await convertTextTracks({ input: input.path, plan, dir, sidecars: input.sidecars ?? new Map(), log: (line) => input.uploads.log(line) })
      : undefined;
    const collected = await collectOutputs({ plan, job, dir, variants, thumbs, facts, keptSegment: (d) => uploader.keptSegment(d), text });
    const at = { store: input.uploads.store, bucket: input.uploads.bucket, prefix: input.uploads.prefix };
    const outputs = await addJobExtras(collected, { plan, job, dir, at, ...(loudness ? { source: loudness } : {}), normalized: new Set(filters.keys()), ...(signal ? { signal } : {}) });
    if (chunk) await checkChunkInits(outputs, input.uploads);
    return { ...outputs, uploaded: [...uploader.uploaded], peakScratchBytes: uploader.peakScratchBytes };
  } catch (error) {
    await uploader.abandon();
    throw error;
  }
}

type Variant = { id: string; kind: 'video' | 'audio'; frameRate?: number; channels?: number; sampleRate?: number; language?: string; name?: string; role?: RenditionMeta['role'] };

/** The job's outputs read back from what the encode left and what the uploader recorded. */
async function collectOutputs(o: {
  plan: Plan;
  job: JobSpec;
  dir: string;
  variants: Variant[];
  thumbs: ReturnType<typeof thumbnailsFor>;
  facts: Map<string, Map<string, SegmentFact>>;
  keptSegment(dir: string): string | undefined;
  text?: TextJobOutputs | undefined;
}): Promise<Omit<JobOutputs, 'uploaded' | 'peakScratchBytes'>> {
  const { plan, job, dir, thumbs } = o;
  const renditions: RenditionMeta[] = [];
  const media: OutputFile[] = [];
  for (const [i, v] of o.variants.entries()) {
    const variant = variantDir(dir, i);
    const firstSegment = o.keptSegment(variant);
    const collected = await collectVariant({ dir: variant, version: plan.version, segmentFormat: plan.segmentFormat, facts: o.facts.get(variant) ?? new Map<string, SegmentFact>(), ...(firstSegment ? { firstSegment } : {}), ...v });
    renditions.push(collected.meta);
    media.push(...collected.files);
  }
  for (const r of renditions) {
    // A chunk by its own range; else each stream by its own declared duration (an audio or subtitle
    // track may outlast the video).
    const declared = job.chunk ? jobSeconds(plan, job) : expectedDurationSec(plan, r);
    if (declared - r.durationSec > EARLY_END_SEC) {
      const whose = job.chunk ? `of chunk ${job.id}` : declared === plan.durationSec ? 'its container declares' : `its ${r.kind} stream declares`;
      throw new BadInputError(`the source ends early: its ${r.kind} decodes to ${r.durationSec.toFixed(2)} s of the ${declared.toFixed(2)} s ${whose} (truncated or damaged)`);
    }
  }
  if (job.chunk) await hashInits(renditions, media);

  let thumbnails: ThumbnailSet | undefined;
  let posterPath: string | undefined;
  if (thumbs) {
    const vttPath = join(dir, 'storyboard.vtt');
    await writeFile(vttPath, thumbs.vtt);
    for (const path of [thumbs.spec.png, thumbs.spec.jpeg, thumbs.spec.storyboard.path]) {
      if (!(await stat(path).catch(() => undefined))?.size) throw new Error(`ffmpeg did not write ${path}`);
    }
    const set = thumbs.set;
    media.push({ path: thumbs.spec.png, name: set.png ?? '' }, { path: thumbs.spec.jpeg, name: set.jpeg ?? '' });
    if (set.storyboard) media.push({ path: thumbs.spec.storyboard.path, name: set.storyboard.image }, { path: vttPath, name: set.storyboard.vtt });
    thumbnails = set;
    posterPath = thumbs.spec.png;
  }

  const file: RenditionsFile = {
    schema: 1,
    jobId: job.id,
    version: plan.version,
    segmentFormat: plan.segmentFormat,
    durationSec: Math.max(...renditions.map((r) => r.durationSec)),
    renditions,
    ...(thumbnails ? { thumbnails } : {}),
    ...(o.text?.outputs.length ? { subtitles: o.text.outputs } : {}),
    ...(o.text?.skipped.length ? { subtitlesSkipped: o.text.skipped } : {}),
  };
  media.push(...(o.text?.files ?? []));
  return {
    file,
    media,
    // A chunk holds part of each rung: publishing writes the media playlists of the joined chunks.
    playlists: [...(job.chunk ? [] : renditions.map((r) => ({ name: mediaPlaylist(plan.version, r.id), body: renderMediaPlaylist(r, plan.segmentFormat) }))), ...(o.text?.playlists ?? [])],
    renditions: { name: renditionsFile(plan.version, job.id), body: `${JSON.stringify(file, null, 2)}\n` },
    ...(posterPath ? { posterPath } : {}),
  };
}

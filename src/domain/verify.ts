// Transcoder outputs + an object listing -> the problems found. Pure: the verify activity gathers the
// facts (renditions.json files, a listing, optionally the media playlists' text) and decides nothing.
import { PlaylistError, parseMediaPlaylist, resolveUri } from './manifests/parse-media-playlist.js';
import { segmentSeconds } from './manifests/uri.js';
import { planAudioRenditions } from './ladder.js';
import { renditionsFile } from './layout.js';
import type { Plan, RenditionMeta, RenditionsFile, VideoCodec } from './types.js';

export { parseMediaPlaylist, resolveUri, PlaylistError } from './manifests/parse-media-playlist.js';
export type { MediaPlaylist } from './manifests/parse-media-playlist.js';

export interface Problem {
  code: string;
  message: string;
  /** Stream-relative name of the object concerned, when there is one. */
  object?: string;
}

/** One object of the version folder's listing, as far as verification looks at it. */
export interface ListedObject {
  name: string;
  size: number;
}

export interface VerifyInput {
  plan: Plan;
  files: RenditionsFile[];
  /** Objects under the stream prefix, names relative to it (e.g. "v-1a2b3c4d/720p/seg_00001.m4s"). */
  listing: ListedObject[];
  /** Source duration from the probe; defaults to plan.durationSec (the plan is made from the probe). */
  probeDurationSec?: number;
  toleranceSec?: number;
  /** Media playlist texts by stream-relative name, when read: every URI they reference must be listed. */
  playlists?: Record<string, string>;
}

/**
 * 100 ms, the bound. It covers what encoding legitimately changes: AAC adds 1024 priming
 * samples and pads the last frame to 1024 (together at most ~43 ms at 48 kHz), and a video's end is
 * rounded to whole frames (~42 ms at 24 fps). Anything beyond that is lost or invented media.
 */
export const DEFAULT_TOLERANCE_SEC = 0.1;

/** The codecs-string sample entries of each planned video codec (the bytes say which one was written). */
const SAMPLE_ENTRIES: Record<VideoCodec, string[]> = { h264: ['avc1', 'avc3'], hevc: ['hvc1', 'hev1'], av1: ['av01'] };

/** Segment boundaries of different renditions must agree to a millisecond (timescales may differ). */
const BOUNDARY_SLACK_SEC = 0.001;

type Segmented = Pick<RenditionMeta, 'timescale' | 'segments'>;
const starts = (r: Segmented): number[] => r.segments.map((s) => (r.timescale > 0 ? s.start / r.timescale : Number.NaN));
const totalSeconds = (r: Segmented): number => r.segments.reduce((sum, s) => sum + segmentSeconds(r.timescale, s), 0);

/**
 * How long a rendition should last: its source stream's own declared duration, else the container's.
 * A file whose audio or subtitle outlasts its video is valid; judging the video by the container's
 * duration would call it truncated.
 */
export function expectedDurationSec(plan: Pick<Plan, 'durationSec' | 'videoDurationSec' | 'audio' | 'moreAudio'>, r: Pick<RenditionMeta, 'id' | 'kind'>): number {
  const declared = r.kind === 'video' ? plan.videoDurationSec : planAudioRenditions(plan).find((a) => a.id === r.id)?.durationSec;
  return declared ?? plan.durationSec;
}

export function verifyOutputs(input: VerifyInput): Problem[] {
  const { plan, files } = input;
  const expected = (r: RenditionMeta): number => (input.probeDurationSec === undefined ? expectedDurationSec(plan, r) : input.probeDurationSec);
  const tolerance = input.toleranceSec ?? DEFAULT_TOLERANCE_SEC;
  const objects = new Map(input.listing.map((o) => [o.name, o]));
  const problems: Problem[] = [];
  const add = (code: string, message: string, object?: string): void => void problems.push(object === undefined ? { code, message } : { code, message, object });

  const present = (name: string, what: string, bytes?: number): void => {
    const info = objects.get(name);
    if (!info) add('missing-object', `${what} ${name} is missing`, name);
    else if (info.size <= 0) add('empty-object', `${what} ${name} is empty`, name);
    else if (bytes !== undefined && bytes > 0 && info.size !== bytes) add('size-mismatch', `${what} ${name} is ${info.size} bytes, the transcoder wrote ${bytes}`, name);
  };

  // Jobs and their renditions.json.
  const plannedVideo = new Map(plan.video.map((v) => [v.id, v]));
  const byJob = new Map(files.map((f) => [f.jobId, f]));
  for (const job of plan.jobs) {
    const name = renditionsFile(plan.version, job.id);
    const file = byJob.get(job.id);
    if (!file) {
      add('missing-renditions-file', `job ${job.id} left no ${name}`, name);
      continue;
    }
    present(name, 'renditions file');
    if (file.version !== plan.version) add('version-mismatch', `job ${job.id} wrote version ${file.version}, the plan is ${plan.version}`, name);
    if (file.segmentFormat !== plan.segmentFormat) add('segment-format-mismatch', `job ${job.id} wrote ${file.segmentFormat} segments, the plan asks for ${plan.segmentFormat}`, name);
    const expected = [...job.videoIds, ...(job.audio ? planAudioRenditions(plan).map((a) => a.id) : [])];
    const written = new Set(file.renditions.map((r) => r.id));
    for (const id of expected) if (!written.has(id)) add('missing-rendition', `job ${job.id} did not write planned rendition ${id}`, name);
    for (const id of written) if (!expected.includes(id)) add('unexpected-rendition', `job ${job.id} wrote rendition ${id}, which it was not planned to`, name);
    if (job.thumbnails && !file.thumbnails) add('missing-thumbnails', `job ${job.id} was planned to write thumbnails and wrote none`, name);
    const t = file.thumbnails;
    for (const [what, thumb] of [['poster', t?.png], ['poster', t?.jpeg], ['storyboard', t?.storyboard?.image], ['storyboard', t?.storyboard?.vtt]] as const) {
      if (thumb) present(thumb, what);
    }
    // Text tracks the job converted: what their playlist, segments and whole file name must all be there.
    for (const text of file.subtitles ?? []) for (const n of [text.playlist, text.file, ...text.segments.map((s) => s.uri)]) present(n, `text track ${text.id}`);
    // Downloads: the job the plan names made each one, and each is stored at the size it wrote.
    for (const d of file.downloads ?? []) present(d.name, `${d.kind} download`, d.bytes);
    for (const kind of ['m4a', 'mp4'] as const) {
      const owed = (kind === 'm4a' ? plan.downloads?.m4aJob : plan.downloads?.mp4Job) === job.id;
      if (owed && !file.downloads?.some((d) => d.kind === kind)) add('missing-download', `job ${job.id} was planned to write the ${kind} download and wrote none`, name);
    }
  }
  for (const file of files) {
    if (!plan.jobs.some((j) => j.id === file.jobId)) add('unexpected-job', `renditions.json of job ${file.jobId}, which is not in the plan`);
  }

  // Each rendition's objects, size and duration.
  const seen = new Set<string>();
  const renditions = files.flatMap((f) => f.renditions);
  for (const r of renditions) {
    if (seen.has(r.id)) add('duplicate-rendition', `rendition ${r.id} is written by more than one job`);
    seen.add(r.id);
    const planned = plannedVideo.get(r.id);
    if (r.kind === 'video' && planned && !SAMPLE_ENTRIES[planned.codec ?? 'h264'].includes(r.codecs.split('.')[0] ?? '')) {
      add('codec-mismatch', `rendition ${r.id} is ${r.codecs}, planned as ${planned.codec ?? 'h264'}`);
    }
    if (r.kind === 'video' && planned && ((r.height ?? 0) > planned.height || (r.width ?? 0) > planned.width)) {
      add('taller-than-planned', `rendition ${r.id} is ${r.width}x${r.height}, planned at most ${planned.width}x${planned.height}`);
    }
    present(r.playlist, 'media playlist');
    if (plan.segmentFormat === 'cmaf') {
      if (r.initSegment) present(r.initSegment, 'init segment');
      else add('missing-init-segment', `rendition ${r.id} has no fMP4 init segment`);
    }
    if (r.segments.length === 0) add('no-segments', `rendition ${r.id} has no segments`);
    for (const s of r.segments) present(s.uri, 'segment', s.bytes);
    const total = totalSeconds(r);
    const probe = expected(r);
    if (Math.abs(total - probe) > tolerance) add('duration-mismatch', `rendition ${r.id} segments last ${total.toFixed(3)} s, the source ${probe.toFixed(3)} s (tolerance ${tolerance} s)`);
    else if (Math.abs(r.durationSec - probe) > tolerance) add('duration-mismatch', `rendition ${r.id} reports ${r.durationSec.toFixed(3)} s, the source ${probe.toFixed(3)} s (tolerance ${tolerance} s)`);
    const text = input.playlists?.[r.playlist];
    if (text !== undefined) checkPlaylist(r, text, objects, add);
  }

  // Identical segment boundaries across video renditions, so players switch without gaps.
  const video = renditions.filter((r) => r.kind === 'video');
  const reference = video[0];
  for (const r of video.slice(1)) {
    if (!reference) break;
    const [a, b] = [starts(reference), starts(r)];
    if (a.length !== b.length) {
      add('misaligned-segments', `rendition ${r.id} has ${b.length} segments, ${reference.id} has ${a.length}`);
      continue;
    }
    const at = a.findIndex((t, i) => !(Math.abs(t - (b[i] ?? Number.NaN)) <= BOUNDARY_SLACK_SEC));
    if (at >= 0) add('misaligned-segments', `segment ${at + 1} starts at ${b[at]?.toFixed(3)} s in ${r.id} but ${a[at]?.toFixed(3)} s in ${reference.id}`, r.segments[at]?.uri);
  }
  return problems;
}

/** What a player will fetch: the playlist's own references, not only what renditions.json claims. */
function checkPlaylist(r: RenditionMeta, text: string, objects: Map<string, ListedObject>, add: (code: string, message: string, object?: string) => void): void {
  try {
    const p = parseMediaPlaylist(text);
    if (!p.endList) add('playlist-not-vod', `media playlist ${r.playlist} has no #EXT-X-ENDLIST`, r.playlist);
    if (p.segments.length !== r.segments.length) {
      add('playlist-mismatch', `media playlist ${r.playlist} lists ${p.segments.length} segments, renditions.json ${r.segments.length}`, r.playlist);
    }
    for (const uri of [...(p.map ? [p.map] : []), ...p.segments.map((s) => s.uri)]) {
      const name = resolveUri(r.playlist, uri);
      if (!objects.get(name)?.size) add('playlist-reference-missing', `media playlist ${r.playlist} references ${uri}, which is missing or empty`, name);
    }
  } catch (error) {
    if (!(error instanceof PlaylistError)) throw error;
    add('playlist-invalid', `media playlist ${r.playlist}: ${error.message}`, r.playlist);
  }
}

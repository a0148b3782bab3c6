// What a simulated job leaves in the store, in the shape a real one does (src/transcoder/outputs.ts), so the
// real verify and publish activities check and stitch it: for each of its renditions an init segment (the
// same bytes and name from every chunk of a rung), tiny segment objects numbered and timed globally, a media
// playlist for the audio job's renditions, the thumbnails, and renditions.json (src/domain/contract.ts).
// The media bytes are placeholders: nothing here is played, only listed, sized and stitched.
import { createHash } from 'node:crypto';
import { renditionsFileSchema } from '../../src/domain/contract.js';
import { planAudioRenditions } from '../../src/domain/ladder.js';
import { mediaFolder, mediaPlaylist, posterJpeg, posterPng, renditionsFile, storyboardImage, storyboardVtt } from '../../src/domain/layout.js';
import { renderMediaPlaylist } from '../../src/domain/manifests/index.js';
import type { JobSpec, Plan, RenditionMeta, RenditionsFile, SourceProbe } from '../../src/domain/types.js';

const VIDEO_TIMESCALE = 90_000;

export interface OutputObject {
  /** Relative to the stream prefix. */
  name: string;
  body: string;
}

interface Ticks {
  /** Global segment number (seg_00001 is the first of the whole stream). */
  number: number;
  start: number;
  duration: number;
}

interface Span {
  /** 0-based global index of the first segment, and how many. */
  first: number;
  count: number;
}

/** Segment durations in ticks: whole segments, the stream's last one shorter (what remains of `totalTicks`). */
function segmentTicks(span: Span, perSegment: number, totalTicks: number): Ticks[] {
  const out: Ticks[] = [];
  for (let k = 0; k < span.count; k++) {
    const start = (span.first + k) * perSegment;
    const duration = Math.min(perSegment, totalTicks - start);
    if (duration <= 0) break;
    out.push({ number: span.first + k + 1, start, duration });
  }
  return out;
}

function rendition(o: { id: string; kind: 'video' | 'audio'; version: string; timescale: number; ticks: Ticks[]; extra: Partial<RenditionMeta>; bitrate: number }, objects: OutputObject[]): RenditionMeta {
  const folder = mediaFolder(o.version, o.id);
  const init = `init ${o.id} (simulated)\n`;
  objects.push({ name: `${folder}init.mp4`, body: init });
  const segments = o.ticks.map(({ number, start, duration }) => {
    const uri = `${folder}seg_${String(number).padStart(5, '0')}.m4s`;
    const body = `${uri} (simulated)\n`;
    objects.push({ name: uri, body });
    return { uri, start, duration, durationSec: duration / o.timescale, bytes: Buffer.byteLength(body) };
  });
  const durationSec = segments.reduce((s, x) => s + x.duration, 0) / o.timescale;
  return {
    id: o.id,
    kind: o.kind,
    codecs: o.kind === 'video' ? 'avc1.640028' : 'mp4a.40.2',
    ...o.extra,
    // What the rung was encoded at; the stitched file recomputes the average from the segments' bytes.
    peakBitrate: o.bitrate,
    averageBitrate: o.bitrate,
    playlist: mediaPlaylist(o.version, o.id),
    initSegment: `${folder}init.mp4`,
    initSha256: createHash('sha256').update(init).digest('hex'),
    timescale: o.timescale,
    segments,
    durationSec,
  };
}

/** Everything job `job` of `plan` writes, renditions.json last (as the transcoder does). */
export function simulatedOutputs(plan: Plan, job: JobSpec): { objects: OutputObject[]; file: RenditionsFile } {
  const objects: OutputObject[] = [];
  const totalSegments = Math.ceil(plan.durationSec / plan.segmentSeconds - 1e-9);
  const span: Span = job.chunk ? { first: job.chunk.firstSegment, count: job.chunk.segments } : { first: 0, count: totalSegments };
  const renditions: RenditionMeta[] = [];
  const videoSec = plan.videoDurationSec ?? plan.durationSec;
  const frameTicks = Math.round(VIDEO_TIMESCALE / plan.fps);
  const videoTotal = Math.round(videoSec * plan.fps) * frameTicks;
  for (const id of job.videoIds) {
    const v = plan.video.find((x) => x.id === id);
    if (!v) throw new Error(`simulated job ${job.id}: the plan has no rung ${id}`);
    const ticks = segmentTicks(span, Math.round(plan.segmentSeconds * plan.fps) * frameTicks, videoTotal);
    renditions.push(rendition({ id, kind: 'video', version: plan.version, timescale: VIDEO_TIMESCALE, ticks, bitrate: v.maxrate, extra: { width: v.width, height: v.height, frameRate: plan.fps } }, objects));
  }
  if (job.audio) {
    for (const a of planAudioRenditions(plan)) {
      const sec = a.durationSec ?? plan.durationSec;
      const ticks = segmentTicks(span, Math.round(plan.segmentSeconds * a.sampleRate), Math.round(sec * a.sampleRate));
      const meta = rendition({ id: a.id, kind: 'audio', version: plan.version, timescale: a.sampleRate, ticks, bitrate: a.bitrate, extra: { channels: a.channels, sampleRate: a.sampleRate, ...(a.language ? { language: a.language } : {}), ...(a.name ? { name: a.name } : {}), ...(a.role ? { role: a.role } : {}) } }, objects);
      renditions.push(meta);
      // Chunks' playlists are written by publish (stitched); a whole-timeline job writes its own.
      objects.push({ name: meta.playlist, body: renderMediaPlaylist(meta, plan.segmentFormat) });
    }
  }
  if (!job.chunk) {
    for (const v of plan.video.filter((x) => job.videoIds.includes(x.id))) {
      const meta = renditions.find((r) => r.id === v.id)!;
      objects.push({ name: meta.playlist, body: renderMediaPlaylist(meta, plan.segmentFormat) });
    }
  }
  const file: RenditionsFile = {
    schema: 1,
    jobId: job.id,
    version: plan.version,
    segmentFormat: plan.segmentFormat,
    durationSec: Math.max(...renditions.map((r) => r.durationSec)),
    renditions,
    ...(job.thumbnails ? { thumbnails: thumbnails(plan, objects) } : {}),
  };
  // The real reader validates it: a simulated file that would not pass must fail here, not in verify.
  renditionsFileSchema.parse(file);
  objects.push({ name: renditionsFile(plan.version, job.id), body: `${JSON.stringify(file)}\n` });
  return { objects, file };
}

function thumbnails(plan: Plan, objects: OutputObject[]): NonNullable<RenditionsFile['thumbnails']> {
  const set = { png: posterPng(plan.version), jpeg: posterJpeg(plan.version), storyboard: { image: storyboardImage(plan.version), vtt: storyboardVtt(plan.version), tileWidth: 160, tileHeight: 90, intervalSec: 10 } };
  for (const name of [set.png, set.jpeg, set.storyboard.image]) objects.push({ name, body: `${name} (simulated)\n` });
  objects.push({ name: set.storyboard.vtt, body: 'WEBVTT\n' });
  return set;
}

/** A two-hour (by default) 1080p30 H.264 source with stereo AAC, as ffprobe describes such a mezzanine. */
export function filmProbe(durationSec: number): SourceProbe {
  return {
    formatName: 'mov,mp4,m4a,3gp,3g2,mj2',
    durationSec,
    sizeBytes: Math.round((durationSec * 20e6) / 8),
    video: { index: 0, codec: 'h264', pixFmt: 'yuv420p', bitDepth: 8, codedWidth: 1920, codedHeight: 1080, rotation: 0, sar: [1, 1], displayWidth: 1920, displayHeight: 1080, fps: 30, vfr: false },
    audio: { index: 1, codec: 'aac', channels: 2, sampleRate: 48_000 },
    audioStreamCount: 1,
  };
}

// ffprobe -> SourceProbe, or a BadInputError that names what is wrong with the file. Independent of
// the CLI: the workflow's inspect activity probes sources through the same function.
import { open, stat } from 'node:fs/promises';
import type { Config } from '../config.js';
import type { AudioProbe, SourceProbe, SubtitleProbe, VideoProbe } from '../domain/types.js';
import { NotFoundError, TransientError } from '../ports.js';
import { BadInputError } from './errors.js';
import { flaggedFieldOrder, judgeInterlace } from '../domain/picture.js';
import { probeMedia, sampleFields, ToolError } from './ffprobe.js';

interface RawStream {
  index: number;
  codec_type?: string;
  codec_name?: string;
  profile?: string;
  pix_fmt?: string;
  field_order?: string;
  color_transfer?: string;
  color_primaries?: string;
  color_space?: string;
  bits_per_raw_sample?: string;
  width?: number;
  height?: number;
  sample_aspect_ratio?: string;
  avg_frame_rate?: string;
  r_frame_rate?: string;
  bit_rate?: string;
  channels?: number;
  channel_layout?: string;
  sample_rate?: string;
  duration?: string;
  disposition?: { default?: number; attached_pic?: number; comment?: number; dub?: number; visual_impaired?: number; forced?: number; hearing_impaired?: number };
  tags?: { rotate?: string; language?: string; title?: string; DURATION?: string };
  side_data_list?: { side_data_type?: string; rotation?: number }[];
}
interface RawProbe {
  streams?: RawStream[];
  format?: { format_name?: string; duration?: string; size?: string; bit_rate?: string };
}

const ratio = (text: string | undefined): number => {
  const [num, den] = (text ?? '').split(/[/:]/).map(Number);
  return num && den ? num / den : 0;
};
const positive = (text: string | undefined): number | undefined => {
  const n = Number(text);
  return text !== undefined && Number.isFinite(n) && n > 0 ? n : undefined;
};
/** A stream's own declared duration: `duration` (MP4, TS), else Matroska's `DURATION` tag ("00:01:02.500000000"). */
function streamDuration(s: RawStream): number | undefined {
  const own = positive(s.duration);
  if (own) return own;
  const m = /^(\d+):(\d{2}):(\d{2}(?:\.\d+)?)$/.exec(s.tags?.DURATION ?? '');
  return m ? positive(String(Number(m[1]) * 3600 + Number(m[2]) * 60 + Number(m[3]))) : undefined;
}
const isLocal = (target: string): boolean => !/^[a-z][a-z0-9+.-]*:\/\//i.test(target);

/** Degrees clockwise, as ffmpeg's autorotate applies them (the display matrix angle is counter-clockwise). */
function rotationOf(s: RawStream): number {
  const matrix = s.side_data_list?.find((d) => d.side_data_type === 'Display Matrix' && typeof d.rotation === 'number');
  const degrees = matrix ? -(matrix.rotation ?? 0) : Number(s.tags?.rotate ?? 0);
  return ((Math.round(degrees / 90) * 90) % 360 + 360) % 360;
}

function videoOf(s: RawStream): VideoProbe {
  const width = s.width ?? 0;
  const height = s.height ?? 0;
  if (!(width > 0 && height > 0)) throw new BadInputError(`the video stream (${s.codec_name ?? 'unknown codec'}) has no picture size: it cannot be decoded`);
  const sarValue = ratio(s.sample_aspect_ratio);
  const sar: [number, number] = sarValue > 0 ? (s.sample_aspect_ratio ?? '1:1').split(':').map(Number) as [number, number] : [1, 1];
  const rotation = rotationOf(s);
  const shownWidth = Math.round((width * sar[0]) / sar[1]);
  const [displayWidth, displayHeight] = rotation % 180 === 90 ? [height, shownWidth] : [shownWidth, height];
  const avg = ratio(s.avg_frame_rate);
  const base = ratio(s.r_frame_rate);
  const fps = avg || base;
  const depthFromFormat = Number(/p(\d+)(?:le|be)$/.exec(s.pix_fmt ?? '')?.[1] ?? 0);
  const bitRate = positive(s.bit_rate);
  const durationSec = streamDuration(s);
  const known = (v: string | undefined): string | undefined => (v && v !== 'unknown' && v !== 'reserved' ? v : undefined);
  const color = { transfer: known(s.color_transfer), primaries: known(s.color_primaries), matrix: known(s.color_space) };
  return {
    index: s.index,
    codec: s.codec_name ?? 'unknown',
    ...(durationSec ? { durationSec } : {}),
    ...(color.transfer || color.primaries || color.matrix ? { color: Object.fromEntries(Object.entries(color).filter(([, v]) => v)) } : {}),
    ...(s.profile ? { profile: s.profile } : {}),
    pixFmt: s.pix_fmt ?? 'unknown',
    bitDepth: positive(s.bits_per_raw_sample) ?? (depthFromFormat || 8),
    codedWidth: width,
    codedHeight: height,
    rotation,
    sar,
    displayWidth,
    displayHeight,
    fps,
    vfr: avg > 0 && base > 0 && Math.abs(avg - base) / base > 0.01,
    ...(base > 0 ? { baseFps: base } : {}),
    ...(bitRate ? { bitRate } : {}),
  };
}

function audioOf(s: RawStream): AudioProbe {
  const language = s.tags?.language;
  const bitRate = positive(s.bit_rate);
  const durationSec = streamDuration(s);
  return {
    index: s.index,
    codec: s.codec_name ?? 'unknown',
    ...(durationSec ? { durationSec } : {}),
    channels: s.channels ?? 0,
    ...(s.channel_layout ? { channelLayout: s.channel_layout } : {}),
    sampleRate: positive(s.sample_rate) ?? 0,
    ...(bitRate ? { bitRate } : {}),
    ...(language && language !== 'und' && /^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$/.test(language) ? { language } : {}),
    ...(s.tags?.title?.trim() ? { title: s.tags.title.trim().slice(0, 100) } : {}),
    ...(s.disposition?.default ? { default: true } : {}),
    ...(s.disposition?.visual_impaired ? { role: 'description' as const } : s.disposition?.comment ? { role: 'commentary' as const } : s.disposition?.dub ? { role: 'dub' as const } : {}),
  };
}

function subtitleOf(s: RawStream): SubtitleProbe {
  const durationSec = streamDuration(s);
  return {
    index: s.index,
    codec: s.codec_name ?? 'unknown',
    ...(durationSec ? { durationSec } : {}),
    ...(s.tags?.language ? { language: s.tags.language } : {}),
    ...(s.tags?.title?.trim() ? { title: s.tags.title.trim().slice(0, 100) } : {}),
    ...(s.disposition?.default ? { default: true } : {}),
    ...(s.disposition?.forced ? { forced: true } : {}),
    ...(s.disposition?.hearing_impaired ? { hearingImpaired: true } : {}),
  };
}

/** What the first bytes of a file look like, to tell a truncated MP4 from something that never was one. */
async function sniff(path: string): Promise<'mp4' | 'text' | 'binary'> {
  const handle = await open(path, 'r');
  try {
    const { buffer, bytesRead } = await handle.read(Buffer.alloc(512), 0, 512, 0);
    const head = buffer.subarray(0, bytesRead);
    if (/^(ftyp|moov|mdat|free|skip|wide|pdin)$/.test(head.subarray(4, 8).toString('latin1'))) return 'mp4';
    const printable = head.filter((b) => b === 9 || b === 10 || b === 13 || (b >= 32 && b < 127)).length;
    return bytesRead > 0 && printable / bytesRead > 0.95 ? 'text' : 'binary';
  } finally {
    await handle.close();
  }
}

/** ffprobe's complaint -> what an uploader understands. */
async function unreadable(error: ToolError, target: string): Promise<Error> {
  if (error.timedOut) return new TransientError(`could not read the source in time: ${error.message}`);
  const text = error.stderr || error.message;
  if (/No such file or directory|HTTP error 404|Server returned 404/i.test(text)) return new NotFoundError(`source not found: ${error.message}`);
  if (/HTTP error 5\d\d|Server returned 5\d\d|Connection refused|Connection timed out|Network is unreachable/i.test(text)) {
    return new TransientError(`could not read the source: ${error.message}`);
  }
  if (/moov atom not found|Invalid data found when processing input/.test(text)) {
    const kind = isLocal(target) ? await sniff(target).catch(() => 'binary' as const) : 'binary';
    if (kind === 'mp4') return new BadInputError('unreadable container: the MP4 index (moov atom) is missing, the file is truncated (an incomplete upload?)');
    if (kind === 'text') return new BadInputError('not a media file: it contains text, not audio or video');
    return new BadInputError('not a media file: no known container format recognises its content');
  }
  return new BadInputError(`unreadable container: ${error.message}`);
}

/** idet's sample: frames from a quarter in (at most a minute), past any slate or black lead-in. */
const IDET_FRAMES = 200;
const idetStart = (durationSec: number): number => (durationSec > 10 ? Math.min(60, durationSec / 4) : 0);

export interface ProbeOptions {
  /** Confirm an interlaced flag with idet on a sample (default true; the transcoder skips it when the plan has decided). */
  fields?: boolean;
}

export async function probeSource(urlOrPath: string, limits?: Config['limits'], options: ProbeOptions = {}): Promise<SourceProbe> {
  if (isLocal(urlOrPath)) {
    const size = await stat(urlOrPath).then((s) => s.size, (e: NodeJS.ErrnoException) => {
      throw e.code === 'ENOENT' ? new NotFoundError(`source not found: ${urlOrPath}`) : e;
    });
    if (size === 0) throw new BadInputError('the file is empty (0 bytes)');
  }
  let raw: RawProbe;
  try {
    raw = (await probeMedia(urlOrPath)) as RawProbe;
  } catch (error) {
    throw error instanceof ToolError ? await unreadable(error, urlOrPath) : error;
  }
  const format = raw.format ?? {};
  const formatName = format.format_name ?? 'unknown';
  const streams = raw.streams ?? [];
  const sizeBytes = positive(format.size) ?? 0;
  if (sizeBytes === 0 && isLocal(urlOrPath)) throw new BadInputError('the file is empty (0 bytes)');
  if (/(^|,)(image2|[a-z0-9]+_pipe)(,|$)/.test(formatName)) {
    throw new BadInputError(`the file is a still image (${streams[0]?.codec_name ?? formatName}), not a video or audio recording`);
  }
  // Cover art is a video stream with the attached_pic disposition: not a picture track.
  const videos = streams.filter((s) => s.codec_type === 'video' && !s.disposition?.attached_pic);
  const audios = streams.filter((s) => s.codec_type === 'audio' && (s.channels ?? 0) > 0);
  if (videos.length === 0 && audios.length === 0) {
    const found = streams.map((s) => s.codec_type ?? 'unknown');
    throw new BadInputError(`no decodable video or audio stream (found: ${found.length ? found.join(', ') : 'no streams at all'})`);
  }
  const firstVideo = videos[0];
  const video = firstVideo ? videoOf(firstVideo) : undefined;
  const flagged = flaggedFieldOrder(firstVideo?.field_order);
  const chosenAudio = audios.find((s) => s.disposition?.default) ?? audios[0];
  const audio = chosenAudio ? audioOf(chosenAudio) : undefined;
  const audioTracks = audios.map((s) => (s === chosenAudio && audio ? audio : audioOf(s)));
  const subtitles = streams.filter((s) => s.codec_type === 'subtitle');

  const durationSec = positive(format.duration) ?? Math.max(0, ...[...videos, ...audios].map((s) => streamDuration(s) ?? 0));
  if (!(durationSec > 0)) throw new BadInputError('zero duration: the file holds no playable time');
  const bitRate = positive(format.bit_rate);

  if (limits) {
    if (sizeBytes > limits.maxBytes) throw new BadInputError(`the file is ${sizeBytes} bytes, above the ${limits.maxBytes}-byte limit`);
    if (durationSec > limits.maxDurationSec) throw new BadInputError(`it lasts ${durationSec.toFixed(1)} s, above the ${limits.maxDurationSec} s limit`);
    if (video && (video.displayWidth > limits.maxWidth || video.displayHeight > limits.maxHeight)) {
      throw new BadInputError(`its picture is ${video.displayWidth}x${video.displayHeight}, above the ${limits.maxWidth}x${limits.maxHeight} limit`);
    }
  }
  if (video && flagged) {
    const idet = options.fields === false ? undefined : await sampleFields(urlOrPath, video.index, { startSec: idetStart(durationSec), frames: IDET_FRAMES });
    video.interlace = judgeInterlace(flagged, idet);
  }
  return {
    formatName,
    durationSec,
    sizeBytes,
    ...(bitRate ? { bitRate } : {}),
    ...(video ? { video } : {}),
    ...(audio ? { audio } : {}),
    audioStreamCount: audios.length,
    ...(audioTracks.length > 1 ? { audioTracks } : {}),
    ...(subtitles.length > 0 ? { subtitleTracks: subtitles.map(subtitleOf) } : {}),
  };
}

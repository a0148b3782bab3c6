// What the encode wrote, read back exactly: per-segment timing from the fMP4 boxes (read by the segment
// uploader before each segment left the disk; for MPEG-TS, the muxer's microsecond durations on the 90 kHz
// clock), byte sizes, peak and average bit rates, and codec strings from the output's own decoder
// configuration (the init segment, or the first MPEG-TS segment the uploader kept).
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { aacCodecFromExtradata, aacCodecFromProfile, avcCodecFromExtradata, parseHexDump } from '../domain/codecs.js';
import { av1CodecFromAv1c } from '../domain/codecs-av1.js';
import { hevcCodecFromHvcc } from '../domain/codecs-hevc.js';
import { mediaFolder, mediaPlaylist } from '../domain/layout.js';
import { parseMediaPlaylist } from '../domain/manifests/parse-media-playlist.js';
import type { RenditionMeta, SegmentFormat } from '../domain/types.js';
import { probeCodecData } from '../media/ffprobe.js';
import { VARIANT_PLAYLIST } from './ffmpeg.js';
import { readInit } from './fmp4.js';
import type { SegmentFact } from './segment-uploader.js';

/** A local file and the stream-relative object name it is uploaded as. */
export interface OutputFile {
  path: string;
  name: string;
}

export interface CollectedRendition {
  meta: RenditionMeta;
  /** What is still to upload: the init segment (media segments left during the encode). */
  files: OutputFile[];
}

export interface VariantInfo {
  dir: string;
  id: string;
  kind: 'video' | 'audio';
  version: string;
  segmentFormat: SegmentFormat;
  frameRate?: number;
  channels?: number;
  sampleRate?: number;
  language?: string;
  name?: string;
  role?: RenditionMeta['role'];
  /** What the uploader learned of each segment (by file name) before it left the disk. */
  facts: Map<string, SegmentFact>;
  /** MPEG-TS: a local copy of the first segment, for the codec probe. */
  firstSegment?: string;
}

const TS_TIMESCALE = 90_000;

interface CodecStream {
  codec_type?: string;
  codec_name?: string;
  codec_tag_string?: string;
  profile?: string;
  width?: number;
  height?: number;
  extradata?: string;
}

async function codecOf(path: string, kind: 'video' | 'audio'): Promise<{ codecs: string; width?: number; height?: number }> {
  const probed = (await probeCodecData(path)) as { streams?: CodecStream[] };
  const stream = probed.streams?.find((s) => s.codec_type === kind);
  if (!stream) throw new Error(`${path}: no ${kind} stream in the output`);
  const extradata = parseHexDump(stream.extradata ?? '');
  if (kind === 'video') {
    const size = stream.width ? { width: stream.width, height: stream.height } : {};
    // The fMP4 sample entry's decoder configuration (hvcC, av1C); HEVC and AV1 are never planned in MPEG-TS.
    if (stream.codec_name === 'hevc') return { codecs: hevcCodecFromHvcc(stream.codec_tag_string ?? '', extradata), ...size };
    if (stream.codec_name === 'av1') return { codecs: av1CodecFromAv1c(extradata), ...size };
    if (stream.codec_name !== 'h264') throw new Error(`${path}: expected H.264, HEVC or AV1 output, got ${stream.codec_name}`);
    return { codecs: avcCodecFromExtradata(extradata), ...size };
  }
  // fMP4 stores the AudioSpecificConfig; ADTS in MPEG-TS does not always expose it.
  return { codecs: extradata.length >= 2 ? aacCodecFromExtradata(extradata) : aacCodecFromProfile(stream.profile) };
}

/**
 * Peak segment bit rate (HLS BANDWIDTH, DASH bandwidth). A last segment shorter than half its
 * predecessor is counted together with it: an AAC tail of one 21 ms frame is mostly moof overhead
 * and would otherwise claim a peak the stream never sustains.
 */
export function peakBitrate(segments: { bytes: number; durationSec: number }[]): number {
  const rates = segments.map((s) => (s.bytes * 8) / s.durationSec);
  const last = segments[segments.length - 1];
  const before = segments[segments.length - 2];
  if (last && before && last.durationSec < before.durationSec / 2) {
    rates.splice(-2, 2, ((last.bytes + before.bytes) * 8) / (last.durationSec + before.durationSec));
  }
  return Math.ceil(Math.max(...rates));
}

export async function collectVariant(v: VariantInfo): Promise<CollectedRendition> {
  const playlist = parseMediaPlaylist(await readFile(join(v.dir, VARIANT_PLAYLIST), 'utf8'));
  if (playlist.segments.length === 0) throw new Error(`rendition ${v.id}: the muxer wrote no segments`);
  const folder = mediaFolder(v.version, v.id);
  const files: OutputFile[] = [];
  const segments: RenditionMeta['segments'] = [];
  let timescale = TS_TIMESCALE;
  let initSegment: string | undefined;
  let codecSource: string;

  const fact = (uri: string): SegmentFact => {
    const known = v.facts.get(decodeURIComponent(uri));
    if (!known) throw new Error(`rendition ${v.id}: ${uri} is in the playlist but was never uploaded`);
    return known;
  };
  if (v.segmentFormat === 'cmaf') {
    if (!playlist.map) throw new Error(`rendition ${v.id}: fMP4 playlist without EXT-X-MAP`);
    const initPath = join(v.dir, decodeURIComponent(playlist.map));
    timescale = readInit(await readFile(initPath)).timescale;
    initSegment = `${folder}init.mp4`;
    files.push({ path: initPath, name: initSegment });
    codecSource = initPath;
    for (const s of playlist.segments) {
      const { timing, bytes } = fact(s.uri);
      if (!timing) throw new Error(`rendition ${v.id}: no timing recorded for ${s.uri}`);
      segments.push({ uri: `${folder}${s.uri}`, start: timing.earliestPresentationTime, duration: timing.duration, durationSec: timing.duration / timescale, bytes });
    }
  } else {
    // The hls muxer prints durations to the microsecond; one 90 kHz tick is 11 us, so rounding is exact.
    let start = 0;
    for (const s of playlist.segments) {
      const duration = Math.round(s.durationSec * TS_TIMESCALE);
      segments.push({ uri: `${folder}${s.uri}`, start, duration, durationSec: duration / TS_TIMESCALE, bytes: fact(s.uri).bytes });
      start += duration;
    }
    if (!v.firstSegment) throw new Error(`rendition ${v.id}: no segment kept for the codec probe`);
    codecSource = v.firstSegment;
  }

  const codec = await codecOf(codecSource, v.kind);
  const totalTicks = segments.reduce((sum, s) => sum + s.duration, 0);
  const totalBits = segments.reduce((sum, s) => sum + s.bytes * 8, 0);
  const meta: RenditionMeta = {
    id: v.id,
    kind: v.kind,
    codecs: codec.codecs,
    ...(codec.width ? { width: codec.width, height: codec.height } : {}),
    ...(v.frameRate ? { frameRate: v.frameRate } : {}),
    ...(v.channels ? { channels: v.channels } : {}),
    ...(v.sampleRate ? { sampleRate: v.sampleRate } : {}),
    ...(v.language ? { language: v.language } : {}),
    ...(v.name ? { name: v.name } : {}),
    ...(v.role ? { role: v.role } : {}),
    peakBitrate: peakBitrate(segments),
    averageBitrate: Math.ceil(totalBits / (totalTicks / timescale)),
    playlist: mediaPlaylist(v.version, v.id),
    ...(initSegment ? { initSegment } : {}),
    timescale,
    segments,
    durationSec: totalTicks / timescale,
  };
  return { meta, files };
}

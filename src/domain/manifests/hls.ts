// HLS playlists (RFC 8216) from the transcoder's rendition metadata. Pure: also runs in workflow code.
//
// Shapes we accept:
// - cmaf: fMP4 segments; video and audio are separate renditions; audio becomes an EXT-X-MEDIA group.
// - ts: MPEG-TS. Either audio is a separate rendition (same shape as cmaf, audio playlist of TS/AAC
//   segments), or the transcoder muxed audio into every video variant: then it lists only video
//   renditions whose `codecs` already name both codecs ("avc1.64001f,mp4a.40.2") and whose bitrates
//   include the audio; the master then has no audio group.
import type { RenditionMeta, SegmentFormat, TextOutput } from '../types.js';
import { ManifestError, escapePath, relativeUri, segmentSeconds } from './uri.js';

const AUDIO_GROUP = 'audio';
const TEXT_GROUP = 'subs';
/** What SDH captions carry beyond dialogue (RFC 8216bis CHARACTERISTICS, Apple's UTIs). */
const SDH_CHARACTERISTICS = 'public.accessibility.transcribes-spoken-dialog,public.accessibility.describes-music-and-sound';

/** RFC 8216 4.3.3.1: each EXTINF rounded to the nearest integer must not exceed it; ceil keeps strict players happy too. */
export function targetDuration(durations: number[]): number {
  const longest = Math.max(...durations);
  // The millisecond slack keeps float noise (5.0000000001) from bumping the target by a whole second.
  return Math.max(1, Math.round(longest), Math.ceil(longest - 0.001));
}

function checkRendition(r: RenditionMeta, segmentFormat: SegmentFormat): void {
  if (r.segments.length === 0) throw new ManifestError(`rendition ${r.id}: no segments`);
  if (segmentFormat === 'cmaf' && !r.initSegment) throw new ManifestError(`rendition ${r.id}: fMP4 needs an initSegment`);
  for (const s of r.segments) {
    const seconds = segmentSeconds(r.timescale, s);
    if (!(seconds > 0) || !Number.isFinite(seconds)) throw new ManifestError(`rendition ${r.id}: segment ${s.uri} has duration ${seconds}`);
  }
}

/** A VOD media playlist, stored at `r.playlist`; every URI in it is relative to that folder. */
export function renderMediaPlaylist(r: RenditionMeta, segmentFormat: SegmentFormat): string {
  checkRendition(r, segmentFormat);
  const durations = r.segments.map((s) => segmentSeconds(r.timescale, s));
  const lines = [
    '#EXTM3U',
    // 6 is the floor for EXT-X-MAP without I-frames only; 7 is what fMP4 packagers write. TS needs 3 for float EXTINF.
    `#EXT-X-VERSION:${segmentFormat === 'cmaf' ? 7 : 3}`,
    `#EXT-X-TARGETDURATION:${targetDuration(durations)}`,
    '#EXT-X-PLAYLIST-TYPE:VOD',
    // 0 is the RFC's implicit default; written anyway so validators and humans need not know that.
    '#EXT-X-MEDIA-SEQUENCE:0',
    '#EXT-X-INDEPENDENT-SEGMENTS',
  ];
  if (segmentFormat === 'cmaf' && r.initSegment) lines.push(`#EXT-X-MAP:URI="${relativeUri(r.playlist, r.initSegment)}"`);
  r.segments.forEach((s, i) => {
    // Six decimals: microsecond precision, as ffmpeg writes; sums stay within a frame of the DASH timeline.
    lines.push(`#EXTINF:${(durations[i] ?? 0).toFixed(6)},`, relativeUri(r.playlist, s.uri));
  });
  lines.push('#EXT-X-ENDLIST', '');
  return lines.join('\n');
}

const quoted = (value: string): string => {
  if (/["\r\n]/.test(value)) throw new ManifestError(`HLS quoted-string cannot contain quotes or line breaks: ${JSON.stringify(value)}`);
  return `"${value}"`;
};

const hasAudioCodec = (codecs: string): boolean => codecs.split(',').some((c) => c.trim().startsWith('mp4a') || c.trim().startsWith('ac-3') || c.trim().startsWith('ec-3'));

/**
 * Order of the variants. AVPlayer and hls.js (startLevel auto) begin playback with the FIRST listed
 * variant; shaka and dash players ignore order. So the first entry is a "start" variant: the best one
 * whose peak fits 3 Mbit/s (startup on an average connection without a stall; the ABR then climbs or
 * drops within a segment or two), then the rest in descending bandwidth, as operators read it.
 */
export const START_VARIANT_MAX_BPS = 3_000_000;

/** An H.264 variant: the start variant is one of those when there are any (every player decodes it; HEVC and AV1 ones sit beside it). */
const isAvc = (codecs: string): boolean => /^avc[13]\./.test(codecs);

function variantOrder<T extends { bandwidth: number; avc: boolean }>(variants: T[]): T[] {
  const descending = [...variants].sort((a, b) => b.bandwidth - a.bandwidth);
  const pool = descending.some((v) => v.avc) ? descending.filter((v) => v.avc) : descending;
  const start = pool.find((v) => v.bandwidth <= START_VARIANT_MAX_BPS) ?? pool[pool.length - 1];
  return start ? [start, ...descending.filter((v) => v !== start)] : [];
}

/** The main track: role main, else the first. */
const mainAudio = (audios: RenditionMeta[]): RenditionMeta | undefined => audios.find((a) => a.role === 'main') ?? audios[0];

/** One EXT-X-MEDIA per audio track: the main one DEFAULT, every one AUTOSELECT (players pick by language). */
function audioMedia(audios: RenditionMeta[], main: RenditionMeta): string[] {
  const names = new Set<string>();
  return audios.map((a) => {
    const name = a.name ?? a.language ?? 'Audio';
    if (names.has(name)) throw new ManifestError(`master playlist: two audio renditions named ${JSON.stringify(name)} (NAME must be unique in a group)`);
    names.add(name);
    const attrs = [
      'TYPE=AUDIO',
      `GROUP-ID=${quoted(AUDIO_GROUP)}`,
      ...(a.language ? [`LANGUAGE=${quoted(a.language)}`] : []),
      `NAME=${quoted(name)}`,
      `DEFAULT=${a === main ? 'YES' : 'NO'}`,
      'AUTOSELECT=YES',
      ...(a.role === 'description' ? [`CHARACTERISTICS=${quoted('public.accessibility.describes-video')}`] : []),
      ...(a.channels ? [`CHANNELS=${quoted(String(a.channels))}`] : []),
      `URI=${quoted(escapePath(a.playlist))}`,
    ];
    return `#EXT-X-MEDIA:${attrs.join(',')}`;
  });
}

/** One EXT-X-MEDIA TYPE=SUBTITLES per text track; FORCED=YES needs AUTOSELECT=YES (RFC 8216 4.3.4.1). */
function textMedia(text: TextOutput[]): string[] {
  const names = new Set<string>();
  return text.map((t) => {
    if (names.has(t.name)) throw new ManifestError(`master playlist: two text tracks named ${JSON.stringify(t.name)} (NAME must be unique in a group)`);
    names.add(t.name);
    const attrs = [
      'TYPE=SUBTITLES',
      `GROUP-ID=${quoted(TEXT_GROUP)}`,
      ...(t.language ? [`LANGUAGE=${quoted(t.language)}`] : []),
      `NAME=${quoted(t.name)}`,
      `DEFAULT=${t.default ? 'YES' : 'NO'}`,
      'AUTOSELECT=YES',
      `FORCED=${t.forced ? 'YES' : 'NO'}`,
      ...(t.sdh ? [`CHARACTERISTICS=${quoted(SDH_CHARACTERISTICS)}`] : []),
      `URI=${quoted(escapePath(t.playlist))}`,
    ];
    return `#EXT-X-MEDIA:${attrs.join(',')}`;
  });
}

/** The master playlist, stored at the stream prefix (media playlist names are relative to it already). */
export function renderMasterPlaylist(renditions: RenditionMeta[], text: TextOutput[] = []): string {
  const video = renditions.filter((r) => r.kind === 'video');
  const audios = renditions.filter((r) => r.kind === 'audio');
  if (video.length === 0 && audios.length === 0) throw new ManifestError('master playlist: no renditions');
  const audio = mainAudio(audios);
  const fmp4 = renditions.some((r) => r.initSegment);
  const lines = ['#EXTM3U', `#EXT-X-VERSION:${fmp4 ? 7 : 3}`, '#EXT-X-INDEPENDENT-SEGMENTS'];
  lines.push(...textMedia(text));
  const subs = text.length > 0 ? `,SUBTITLES=${quoted(TEXT_GROUP)}` : '';
  // A variant must declare the most its group can add (RFC 8216 4.3.4.2): the costliest track.
  const audioPeak = Math.max(0, ...audios.map((a) => a.peakBitrate));
  const audioAverage = Math.max(0, ...audios.map((a) => a.averageBitrate));
  const audioCodecs = [...new Set(audios.map((a) => a.codecs))].join(',');

  if (video.length === 0 && audio) {
    // Audio-only source: one variant that is the main audio playlist itself; other tracks as its group.
    const group = audios.length > 1;
    if (group) lines.push(...audioMedia(audios, audio));
    lines.push(
      `#EXT-X-STREAM-INF:BANDWIDTH=${Math.ceil(group ? audioPeak : audio.peakBitrate)},AVERAGE-BANDWIDTH=${Math.ceil(group ? audioAverage : audio.averageBitrate)},CODECS=${quoted(group ? audioCodecs : audio.codecs)}${group ? `,AUDIO=${quoted(AUDIO_GROUP)}` : ''}${subs}`,
      escapePath(audio.playlist),
      '',
    );
    return lines.join('\n');
  }

  const grouped = audio !== undefined && video.every((v) => !hasAudioCodec(v.codecs));
  if (audio && grouped) lines.push(...audioMedia(audios, audio));
  else if (audios.length > 1) throw new ManifestError(`master playlist: audio muxed into the video variants, yet ${audios.length} audio renditions`);

  const variants = video.map((v) => {
    for (const field of ['width', 'height', 'frameRate'] as const) {
      if (!(Number(v[field]) > 0)) throw new ManifestError(`rendition ${v.id}: ${field} missing for a video variant`);
    }
    const withAudio = grouped && audio !== undefined;
    const bandwidth = Math.ceil(v.peakBitrate + (withAudio ? audioPeak : 0));
    const average = Math.ceil(v.averageBitrate + (withAudio ? audioAverage : 0));
    const attrs = [
      `BANDWIDTH=${bandwidth}`,
      `AVERAGE-BANDWIDTH=${average}`,
      `RESOLUTION=${v.width}x${v.height}`,
      `FRAME-RATE=${(v.frameRate ?? 0).toFixed(3)}`,
      `CODECS=${quoted(withAudio ? `${v.codecs},${audioCodecs}` : v.codecs)}`,
      ...(withAudio ? [`AUDIO=${quoted(AUDIO_GROUP)}`] : []),
    ];
    return { bandwidth, avc: isAvc(v.codecs), lines: [`#EXT-X-STREAM-INF:${attrs.join(',')}${subs}`, escapePath(v.playlist)] };
  });
  for (const v of variantOrder(variants)) lines.push(...v.lines);
  lines.push('');
  return lines.join('\n');
}

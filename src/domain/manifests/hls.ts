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
/** 5.1 renditions (CHANNELS above 2) form a group of their own, with a variant per rung: stereo-only players keep the stereo ones. */
const SURROUND_GROUP = 'audio-51';
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

const audioName = (a: RenditionMeta): string => a.name ?? a.language ?? 'Audio';

interface AudioGroup {
  id: string;
  members: RenditionMeta[];
}

/**
 * The stereo group, and when there are 5.1 renditions the surround group: every track once, its 5.1
 * rendition where it has one (matched by NAME, which a track keeps in both), else its stereo one, so a
 * 5.1 variant still offers every language.
 */
function audioGroups(audios: RenditionMeta[]): AudioGroup[] {
  const surround = audios.filter((a) => (a.channels ?? 0) > 2);
  const stereo = audios.filter((a) => !surround.includes(a));
  if (surround.length === 0 || stereo.length === 0) return [{ id: AUDIO_GROUP, members: audios }];
  const unmatched = surround.filter((s) => !stereo.some((a) => audioName(a) === audioName(s)));
  const members = [...stereo.map((a) => surround.find((s) => audioName(s) === audioName(a)) ?? a), ...unmatched];
  return [{ id: AUDIO_GROUP, members: stereo }, { id: SURROUND_GROUP, members }];
}

/** One EXT-X-MEDIA per audio track of a group: the main one DEFAULT, every one AUTOSELECT (players pick by language). */
function audioMedia(audios: RenditionMeta[], main: RenditionMeta | undefined, group = AUDIO_GROUP): string[] {
  const names = new Set<string>();
  return audios.map((a) => {
    const name = audioName(a);
    if (names.has(name)) throw new ManifestError(`master playlist: two audio renditions named ${JSON.stringify(name)} (NAME must be unique in a group)`);
    names.add(name);
    const attrs = [
      'TYPE=AUDIO',
      `GROUP-ID=${quoted(group)}`,
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
  const groups = audioGroups(audios).map((g) => ({
    ...g,
    main: mainAudio(g.members),
    peak: Math.max(0, ...g.members.map((a) => a.peakBitrate)),
    average: Math.max(0, ...g.members.map((a) => a.averageBitrate)),
    codecs: [...new Set(g.members.map((a) => a.codecs))].join(','),
  }));

  if (video.length === 0 && audio) {
    // Audio-only source: a variant per group that is its main audio playlist itself; other tracks as its group.
    const grouped = audios.length > 1;
    for (const g of groups) {
      const main = g.main ?? audio;
      if (grouped) lines.push(...audioMedia(g.members, main, g.id));
      lines.push(
        `#EXT-X-STREAM-INF:BANDWIDTH=${Math.ceil(grouped ? g.peak : main.peakBitrate)},AVERAGE-BANDWIDTH=${Math.ceil(grouped ? g.average : main.averageBitrate)},CODECS=${quoted(grouped ? g.codecs : main.codecs)}${grouped ? `,AUDIO=${quoted(g.id)}` : ''}${subs}`,
        escapePath(main.playlist),
      );
    }
    lines.push('');
    return lines.join('\n');
  }

  const grouped = audio !== undefined && video.every((v) => !hasAudioCodec(v.codecs));
  if (audio && grouped) for (const g of groups) lines.push(...audioMedia(g.members, g.main, g.id));
  else if (audios.length > 1) throw new ManifestError(`master playlist: audio muxed into the video variants, yet ${audios.length} audio renditions`);

  const variantsOf = (g: (typeof groups)[number] | undefined): { bandwidth: number; avc: boolean; lines: string[] }[] => video.map((v) => {
    for (const field of ['width', 'height', 'frameRate'] as const) {
      if (!(Number(v[field]) > 0)) throw new ManifestError(`rendition ${v.id}: ${field} missing for a video variant`);
    }
    const bandwidth = Math.ceil(v.peakBitrate + (g ? g.peak : 0));
    const average = Math.ceil(v.averageBitrate + (g ? g.average : 0));
    const attrs = [
      `BANDWIDTH=${bandwidth}`,
      `AVERAGE-BANDWIDTH=${average}`,
      `RESOLUTION=${v.width}x${v.height}`,
      `FRAME-RATE=${(v.frameRate ?? 0).toFixed(3)}`,
      `CODECS=${quoted(g ? `${v.codecs},${g.codecs}` : v.codecs)}`,
      ...(g ? [`AUDIO=${quoted(g.id)}`] : []),
    ];
    return { bandwidth, avc: isAvc(v.codecs), lines: [`#EXT-X-STREAM-INF:${attrs.join(',')}${subs}`, escapePath(v.playlist)] };
  });
  // The stereo variants first (the start variant among them), then the 5.1 ones, each in descending bandwidth.
  const [first, ...more] = grouped && audio ? groups : [undefined];
  for (const v of variantOrder(variantsOf(first))) lines.push(...v.lines);
  for (const g of more) for (const v of variantsOf(g).sort((a, b) => b.bandwidth - a.bandwidth)) lines.push(...v.lines);
  lines.push('');
  return lines.join('\n');
}

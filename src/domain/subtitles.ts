// Captions and subtitles, pure (the workflow plans with it, the transcoder and the captions activity
// segment with it): which subtitle streams and sidecar files become WebVTT text tracks, their ids, names
// and flags; the sidecar naming convention; WebVTT cut into HLS segments; the HLS subtitle media playlist.
import { mediaFolder } from './layout.js';
import { relativeUri, targetDuration } from './manifests/index.js';
import type { DestRef, SegmentFormat, SidecarRef, SourceRef, SourceProbe, SubtitleProbe, TextOutput, TextSkipped, TextTrack } from './types.js';

/** Text subtitle codecs ffmpeg converts to WebVTT (its decoders for them all produce ASS events). */
export const TEXT_CODECS: readonly string[] = ['subrip', 'srt', 'mov_text', 'ass', 'ssa', 'webvtt', 'text'];
/** Picture-based subtitles: converting them needs OCR, so they are reported, not converted. */
export const BITMAP_CODECS: readonly string[] = ['hdmv_pgs_subtitle', 'dvb_subtitle', 'dvd_subtitle', 'xsub'];

const LANGUAGE = /^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$/;

/**
 * The sidecar convention: `<video object name>.<language>[.forced|.sdh].<srt|vtt>` beside the video in the
 * same bucket, e.g. `film.mp4.en.srt`, `film.mp4.fr.forced.vtt`, `film.mp4.en.sdh.srt`. The video's full
 * name (with its extension) comes first, so the video is found without guessing.
 */
const LANG_PART = '([A-Za-z]{2,3}(?:-[A-Za-z0-9]{2,8})*)';
const WITH_FLAG = new RegExp(`^(.+)\\.${LANG_PART}\\.(forced|sdh)\\.(srt|vtt)$`, 'i');
const PLAIN = new RegExp(`^(.+)\\.${LANG_PART}\\.(srt|vtt)$`, 'i');

/** Input of the `captions` workflow: a sidecar uploaded beside a video, and where that video's stream is. */
export interface CaptionsRequest {
  sidecar: SourceRef;
  dest?: DestRef;
}

export interface SidecarName {
  video: string;
  language: string;
  format: 'srt' | 'vtt';
  forced?: boolean;
  sdh?: boolean;
}

/** A name that follows the convention -> the video it belongs to and its flags; a flag word is never read as a language. */
export function parseSidecarName(object: string): SidecarName | undefined {
  const flagged = WITH_FLAG.exec(object);
  const m = flagged ?? PLAIN.exec(object);
  if (!m?.[1] || !m[2] || m[1].endsWith('/')) return undefined;
  const format = (flagged ? m[4] : m[3])?.toLowerCase() as 'srt' | 'vtt';
  const flag = flagged ? m[3]?.toLowerCase() : undefined;
  if (!flagged && /^(forced|sdh)$/i.test(m[2])) return undefined;
  return {
    video: m[1],
    language: m[2],
    format,
    ...(flag === 'forced' ? { forced: true } : {}),
    ...(flag === 'sdh' ? { sdh: true } : {}),
  };
}

/** Unique ids (text-<lang>, then -2, -3) and names (title, else language, then " (2)"), across tracks already taken. */
export function nameTracks<T extends Omit<TextTrack, 'id' | 'name'> & { title?: string | undefined }>(
  tracks: T[],
  taken: { ids: string[]; names: string[] } = { ids: [], names: [] },
): (Omit<T, 'title'> & { id: string; name: string })[] {
  const ids = new Set(taken.ids);
  const names = new Set(taken.names);
  return tracks.map((t, n) => {
    const { title, ...track } = t;
    // Short enough that `<id>/subtitles.vtt` stays within the name reserve (layout OUTPUT_SUFFIX_RESERVE).
    const base = `text-${(t.language ?? 'und').toLowerCase().replace(/[^a-z0-9-]/g, '').slice(0, 12) || 'und'}`;
    let id = base;
    for (let i = 2; ids.has(id); i++) id = `${base}-${i}`;
    ids.add(id);
    const flag = t.forced ? ' (forced)' : t.sdh ? ' (SDH)' : '';
    const plain = (title?.trim().slice(0, 80) || (t.language ? `${t.language}${flag}` : `Subtitles ${n + 1}${flag}`)).replace(/["\r\n]/g, "'");
    let name = plain;
    for (let i = 2; names.has(name); i++) name = `${plain} (${i})`;
    names.add(name);
    return { ...track, id, name };
  });
}

function embedded(s: SubtitleProbe): (Omit<TextTrack, 'id' | 'name'> & { title?: string }) | TextSkipped {
  const language = s.language && s.language !== 'und' && LANGUAGE.test(s.language) ? s.language : undefined;
  const facts = { sourceIndex: s.index, codec: s.codec, ...(language ? { language } : {}) };
  if (BITMAP_CODECS.includes(s.codec)) return { ...facts, reason: 'bitmap subtitles (pictures, not text): converting them to WebVTT needs OCR' };
  if (!TEXT_CODECS.includes(s.codec)) return { ...facts, reason: `subtitle codec ${s.codec} is not a text format ffmpeg converts to WebVTT` };
  return {
    ...facts,
    codec: s.codec.replace(/[^a-z0-9_]/g, '_').slice(0, 32),
    ...(s.title ? { title: s.title } : {}),
    ...(s.default ? { default: true } : {}),
    ...(s.forced ? { forced: true } : {}),
    ...(s.hearingImpaired ? { sdh: true } : {}),
  };
}

const sidecarTrack = (s: SidecarRef): Omit<TextTrack, 'id' | 'name'> => ({
  codec: s.format,
  sidecar: { object: s.object, ...(s.etag ? { etag: s.etag } : {}) },
  language: s.language,
  ...(s.forced ? { forced: true } : {}),
  ...(s.sdh ? { sdh: true } : {}),
});

/** The plan's text tracks: embedded text streams in source order, then sidecars by name; bitmap and unknown ones skipped. */
export function planSubtitles(probe: Pick<SourceProbe, 'subtitleTracks' | 'sidecars'>, segmentFormat: SegmentFormat): { subtitles?: TextTrack[]; subtitlesSkipped?: TextSkipped[] } {
  const streams = (probe.subtitleTracks ?? []).map(embedded);
  const sidecars = [...(probe.sidecars ?? [])].sort((a, b) => (a.object < b.object ? -1 : 1));
  const skipped = streams.filter((s): s is TextSkipped => 'reason' in s);
  let wanted = [...streams.filter((s): s is Omit<TextTrack, 'id' | 'name'> & { title?: string } => !('reason' in s)), ...sidecars.map(sidecarTrack)];
  if (segmentFormat === 'ts' && wanted.length > 0) {
    skipped.push(...wanted.map((t) => ({ ...(t.sourceIndex !== undefined ? { sourceIndex: t.sourceIndex } : {}), ...(t.sidecar ? { sidecar: t.sidecar.object } : {}), codec: t.codec, ...(t.language ? { language: t.language } : {}), reason: 'MPEG-TS (legacy HLS) output carries no subtitles; use CMAF segments' })));
    wanted = [];
  }
  // At most one default track (the first the source marks).
  const firstDefault = wanted.findIndex((t) => t.default);
  const tracks = nameTracks(wanted.map((t, i) => ({ ...t, default: i === firstDefault ? true : undefined })))
    .map((t) => Object.fromEntries(Object.entries(t).filter(([, v]) => v !== undefined)) as TextTrack);
  return { ...(tracks.length ? { subtitles: tracks } : {}), ...(skipped.length ? { subtitlesSkipped: skipped } : {}) };
}

// ---- WebVTT ---------------------------------------------------------------------------------------

export interface Cue {
  start: number;
  end: number;
  /** The whole cue block as written (identifier, timing line with settings, payload). */
  block: string;
}

const TIME = /^(?:(\d+):)?(\d{2}):(\d{2})[.,](\d{3})$/;
const seconds = (text: string): number | undefined => {
  const m = TIME.exec(text.trim());
  return m ? Number(m[1] ?? 0) * 3600 + Number(m[2]) * 60 + Number(m[3]) + Number(m[4]) / 1000 : undefined;
};

/** A WebVTT document -> its STYLE/REGION blocks and its cues (NOTE blocks dropped). Throws on a document that is not WebVTT. */
export function parseWebVtt(text: string): { preamble: string[]; cues: Cue[] } {
  const blocks = text.replace(/^\uFEFF/, '').replace(/\r\n?/g, '\n').split(/\n{2,}/).map((b) => b.replace(/^\n+|\n+$/g, '')).filter((b) => b !== '');
  if (!/^WEBVTT(?:[ \t].*)?$/.test(blocks[0]?.split('\n')[0] ?? '')) throw new Error('not a WebVTT document (no WEBVTT header)');
  const preamble: string[] = [];
  const cues: Cue[] = [];
  for (const block of blocks.slice(1)) {
    const lines = block.split('\n');
    const timing = lines.findIndex((l) => l.includes('-->'));
    if (timing < 0 || timing > 1) {
      if (cues.length === 0 && /^(STYLE|REGION)\b/.test(lines[0] ?? '')) preamble.push(block);
      continue;
    }
    const [from, rest] = (lines[timing] ?? '').split('-->');
    const start = seconds(from ?? '');
    const end = seconds((rest ?? '').trim().split(/\s+/)[0] ?? '');
    if (start === undefined || end === undefined || end < start) continue;
    cues.push({ start, end, block });
  }
  return { preamble, cues };
}

/** The header of each HLS WebVTT segment: cue times are presentation times, which start at 0 in our CMAF media. */
const SEGMENT_HEADER = 'WEBVTT\nX-TIMESTAMP-MAP=MPEGTS:0,LOCAL:00:00:00.000';

/**
 * WebVTT cut into HLS segments of `segmentSeconds` covering `durationSec`: each segment holds every cue that
 * overlaps it (a cue crossing a boundary is repeated; players drop the duplicate). Names are relative to
 * the stream prefix, in the track's folder of the version.
 */
export function segmentWebVtt(text: string, o: { version: string; id: string; segmentSeconds: number; durationSec: number }): {
  files: { name: string; body: string }[];
  output: Pick<TextOutput, 'playlist' | 'file' | 'segments' | 'durationSec' | 'cues'>;
} {
  const { preamble, cues } = parseWebVtt(text);
  const folder = mediaFolder(o.version, o.id);
  const count = Math.max(1, Math.ceil(o.durationSec / o.segmentSeconds - 1e-9));
  const files: { name: string; body: string }[] = [];
  const segments: TextOutput['segments'] = [];
  for (let i = 0; i < count; i++) {
    const from = i * o.segmentSeconds;
    const to = i === count - 1 ? Math.max(o.durationSec, from + 0.001) : (i + 1) * o.segmentSeconds;
    const inside = cues.filter((c) => c.start < to && c.end > from);
    const name = `${folder}seg_${String(i + 1).padStart(5, '0')}.vtt`;
    files.push({ name, body: [SEGMENT_HEADER, ...preamble, ...inside.map((c) => c.block)].join('\n\n') + '\n' });
    segments.push({ uri: name, durationSec: Number((to - from).toFixed(6)) });
  }
  const file = `${folder}subtitles.vtt`;
  files.push({ name: file, body: ['WEBVTT', ...preamble, ...cues.map((c) => c.block)].join('\n\n') + '\n' });
  return { files, output: { playlist: `${folder}playlist.m3u8`, file, segments, durationSec: o.durationSec, cues: cues.length } };
}

/** The VOD media playlist of a text track, stored at `t.playlist`. */
export function renderSubtitlePlaylist(t: Pick<TextOutput, 'playlist' | 'segments'>): string {
  const lines = ['#EXTM3U', '#EXT-X-VERSION:3', `#EXT-X-TARGETDURATION:${targetDuration(t.segments.map((s) => s.durationSec))}`, '#EXT-X-PLAYLIST-TYPE:VOD', '#EXT-X-MEDIA-SEQUENCE:0'];
  for (const s of t.segments) lines.push(`#EXTINF:${s.durationSec.toFixed(6)},`, relativeUri(t.playlist, s.uri));
  lines.push('#EXT-X-ENDLIST', '');
  return lines.join('\n');
}

/** The job that converts the plan's text tracks: the one that carries audio (the continuous one of a time-split plan), else the first. */
export function subtitleJobId(plan: { jobs: { id: string; audio: boolean }[] }): string | undefined {
  return (plan.jobs.find((j) => j.audio) ?? plan.jobs[0])?.id;
}

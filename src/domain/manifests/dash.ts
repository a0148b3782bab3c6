// The DASH MPD (ISO/IEC 23009-1, isoff-live profile) for the CMAF segments the HLS playlists share.
// Pure: also runs in workflow code. The MPD lives at the stream prefix, beside master.m3u8.
import { XMLBuilder } from 'fast-xml-parser';
import type { RenditionMeta, TextOutput } from '../types.js';
import { ManifestError, escapePath, segmentSeconds } from './uri.js';

const PROFILE = 'urn:mpeg:dash:profile:isoff-live:2011';
const CHANNEL_SCHEME = 'urn:mpeg:dash:23003:3:audio_channel_configuration:2011';

type Segment = RenditionMeta['segments'][number];
type Attrs = Record<string, string | number | undefined>;
type XmlNode = Record<string, unknown>;

/** xs:duration as PT#H#M#.###S; milliseconds are what players and validators resolve. */
export function isoDuration(seconds: number): string {
  if (!(seconds >= 0) || !Number.isFinite(seconds)) throw new ManifestError(`duration must be a non-negative number, got ${seconds}`);
  const ms = Math.round(seconds * 1000);
  const h = Math.floor(ms / 3_600_000);
  const m = Math.floor((ms % 3_600_000) / 60_000);
  const s = (ms % 60_000) / 1000;
  return `PT${h ? `${h}H` : ''}${h || m ? `${m}M` : ''}${s.toFixed(3)}S`;
}

/** DASH FrameRateType is an integer or a fraction: 29.97 must be written 30000/1001. */
export function dashFrameRate(fps: number): string {
  for (const base of [24, 30, 48, 60, 120]) {
    if (Math.abs(fps - (base * 1000) / 1001) < 0.001) return `${base * 1000}/1001`;
  }
  if (Math.abs(fps - Math.round(fps)) < 0.001) return String(Math.round(fps));
  const den = 1000;
  const num = Math.round(fps * den);
  const gcd = (a: number, b: number): number => (b ? gcd(b, a % b) : a);
  const g = gcd(num, den);
  return `${num / g}/${den / g}`;
}

/** SegmentTimeline entries: runs of equal, contiguous durations collapse into one S with @r. */
export function timeline(segments: Pick<Segment, 'start' | 'duration'>[]): Attrs[] {
  const out: { t?: number; d: number; r: number }[] = [];
  let expected: number | undefined;
  for (const s of segments) {
    const last = out[out.length - 1];
    if (last && s.duration === last.d && s.start === expected) last.r++;
    else out.push({ ...(s.start === expected ? {} : { t: s.start }), d: s.duration, r: 0 });
    expected = s.start + s.duration;
  }
  return out.map(({ t, d, r }) => ({ '@_t': t, '@_d': d, '@_r': r || undefined }));
}

/**
 * A $Number$ template matching every segment name, when the names follow one: prefix, a counter
 * that increases by one, suffix. Our transcoder names them so (seg_00001.m4s); anything else falls
 * back to an explicit SegmentList, which is always exact.
 */
export function numberTemplate(uris: string[]): { media: string; startNumber: number } | undefined {
  const first = uris[0];
  if (first === undefined) return undefined;
  // Any digit run of the first name may be the counter: try them from the last, those inside the
  // extension ("m4s") last of all, so a one-segment list still gets seg_$Number%05d$.m4s.
  const dot = first.lastIndexOf('.') > first.lastIndexOf('/') ? first.lastIndexOf('.') : first.length;
  const all = [...first.matchAll(/\d+/g)].reverse();
  const runs = [...all.filter((r) => r.index < dot), ...all.filter((r) => r.index >= dot)];
  for (const run of runs) {
    const prefix = first.slice(0, run.index);
    const suffix = first.slice(run.index + run[0].length);
    const digits = uris.map((u) => (u.startsWith(prefix) && u.endsWith(suffix) ? u.slice(prefix.length, u.length - suffix.length) : ''));
    if (digits.some((d) => !/^\d+$/.test(d))) continue;
    const start = Number(run[0]);
    if (digits.some((d, i) => Number(d) !== start + i)) continue;
    const width = run[0].length;
    const sameWidth = digits.every((d) => d.length === width);
    if (!sameWidth && digits.some((d) => d.startsWith('0'))) continue;
    const counter = sameWidth && width > 1 ? `$Number%0${width}d$` : '$Number$';
    // escapePath percent-encodes any literal '$', so the identifiers are the only '$' left.
    return { media: `${escapePath(prefix)}${counter}${escapePath(suffix)}`, startNumber: start };
  }
  return undefined;
}

function checkRendition(r: RenditionMeta): void {
  if (!r.initSegment) throw new ManifestError(`rendition ${r.id}: DASH needs fMP4 (CMAF) segments with an initSegment; MPEG-TS renditions are HLS only`);
  if (!Number.isInteger(r.timescale) || r.timescale <= 0) throw new ManifestError(`rendition ${r.id}: timescale must be a positive integer, got ${r.timescale}`);
  if (r.segments.length === 0) throw new ManifestError(`rendition ${r.id}: no segments`);
  for (const s of r.segments) {
    if (!Number.isInteger(s.start) || s.start < 0 || !Number.isInteger(s.duration) || s.duration <= 0) {
      throw new ManifestError(`rendition ${r.id}: segment ${s.uri} needs integer start >= 0 and duration > 0 in timescale units`);
    }
  }
  if (/\s/.test(r.id) || r.id === '') throw new ManifestError(`rendition id ${JSON.stringify(r.id)} is not a valid Representation@id`);
}

function addressing(r: RenditionMeta): XmlNode {
  const init = escapePath(r.initSegment ?? '');
  const S = timeline(r.segments);
  const template = numberTemplate(r.segments.map((s) => s.uri));
  if (template) {
    return {
      SegmentTemplate: {
        '@_timescale': r.timescale,
        '@_initialization': init,
        '@_media': template.media,
        '@_startNumber': template.startNumber,
        SegmentTimeline: { S },
      },
    };
  }
  return {
    SegmentList: {
      '@_timescale': r.timescale,
      Initialization: { '@_sourceURL': init },
      SegmentTimeline: { S },
      SegmentURL: r.segments.map((s) => ({ '@_media': escapePath(s.uri) })),
    },
  };
}

const positive = (r: RenditionMeta, field: 'width' | 'height' | 'frameRate'): number => {
  const value = r[field];
  if (value === undefined || !(value > 0)) throw new ManifestError(`rendition ${r.id}: ${field} missing for a video Representation`);
  return value;
};

/**
 * A static MPD. Representation@bandwidth is the PEAK segment bit rate: ISO 23009-1 5.3.5.2 defines it
 * with minBufferTime (a client that buffered bandwidth x minBufferTime bits plays without stalling at
 * that rate). With minBufferTime >= the longest segment, the peak segment rate satisfies that by
 * construction, the average does not.
 */
const ROLE_SCHEME = 'urn:mpeg:dash:role:2011';

export function renderDashManifest(renditions: RenditionMeta[], opts: { durationSec: number; text?: TextOutput[] }): string {
  const video = renditions.filter((r) => r.kind === 'video').sort((a, b) => (b.height ?? 0) - (a.height ?? 0));
  const audio = renditions.filter((r) => r.kind === 'audio');
  if (video.length + audio.length === 0) throw new ManifestError('MPD: no renditions');
  const ids = new Set<string>();
  for (const r of renditions) {
    checkRendition(r);
    if (ids.has(r.id)) throw new ManifestError(`MPD: duplicate rendition id ${r.id}`);
    ids.add(r.id);
  }
  const longest = Math.max(...renditions.flatMap((r) => r.segments.map((s) => segmentSeconds(r.timescale, s))));
  const sets: XmlNode[] = [];
  // One AdaptationSet per video codec (H.264 first): players switch within a set and pick the set they decode.
  const families = [...new Set(video.map(codecFamily))].sort((a, b) => Number(b === 'avc1') - Number(a === 'avc1'));
  for (const family of families) sets.push(videoSet(video.filter((v) => codecFamily(v) === family), sets.length));
  const main = audio.find((a) => a.role === 'main') ?? audio[0];
  for (const a of audio) {
    sets.push({
      '@_id': sets.length,
      '@_contentType': 'audio',
      '@_mimeType': 'audio/mp4',
      '@_lang': a.language,
      '@_segmentAlignment': 'true',
      '@_startWithSAP': 1,
      // One set per track: lang and Role let players list and pick them (main is the default).
      ...(audio.length > 1 || a.name ? { Label: a.name ?? a.language, Role: { '@_schemeIdUri': ROLE_SCHEME, '@_value': a === main ? 'main' : (a.role ?? 'alternate') } } : {}),
      Representation: {
        '@_id': a.id,
        '@_bandwidth': Math.ceil(a.peakBitrate),
        '@_codecs': a.codecs,
        '@_audioSamplingRate': a.sampleRate,
        ...(a.channels ? { AudioChannelConfiguration: { '@_schemeIdUri': CHANNEL_SCHEME, '@_value': a.channels } } : {}),
        ...addressing(a),
      },
    });
  }
  sets.push(...textSets(opts.text ?? [], sets.length, ids));
  const doc = {
    '?xml': { '@_version': '1.0', '@_encoding': 'UTF-8' },
    MPD: {
      '@_xmlns': 'urn:mpeg:dash:schema:mpd:2011',
      '@_profiles': PROFILE,
      '@_type': 'static',
      '@_mediaPresentationDuration': isoDuration(opts.durationSec),
      '@_minBufferTime': isoDuration(Math.ceil(longest)),
      Period: { '@_id': '0', '@_start': 'PT0S', AdaptationSet: sets },
    },
  };
  const builder = new XMLBuilder({ ignoreAttributes: false, attributeNamePrefix: '@_', format: true, indentBy: '  ', suppressEmptyNode: true, suppressBooleanAttributes: false });
  return builder.build(doc);
}

/** One video AdaptationSet: the renditions of one codec. */
function videoSet(video: RenditionMeta[], id: number): XmlNode {
  const rates = new Set(video.map((v) => dashFrameRate(positive(v, 'frameRate'))));
  const shared = rates.size === 1 ? [...rates][0] : undefined;
  return {
    '@_id': id,
    '@_contentType': 'video',
    '@_mimeType': 'video/mp4',
    '@_segmentAlignment': 'true',
    '@_startWithSAP': 1,
    '@_maxWidth': Math.max(...video.map((v) => positive(v, 'width'))),
    '@_maxHeight': Math.max(...video.map((v) => positive(v, 'height'))),
    ...(shared ? { '@_frameRate': shared } : { '@_maxFrameRate': [...rates].sort((a, b) => eval0(b) - eval0(a))[0] }),
    Representation: video.map((v) => ({
      '@_id': v.id,
      '@_bandwidth': Math.ceil(v.peakBitrate),
      '@_codecs': v.codecs,
      '@_width': positive(v, 'width'),
      '@_height': positive(v, 'height'),
      '@_frameRate': dashFrameRate(positive(v, 'frameRate')),
      '@_sar': '1:1',
      ...addressing(v),
    })),
  };
}

/** The sample entry of a codecs string ("avc1.64001f" -> avc1; avc3 counts as avc1, hev1 as hvc1). */
const codecFamily = (v: RenditionMeta): string => {
  const entry = v.codecs.split('.')[0] ?? '';
  return entry === 'avc3' ? 'avc1' : entry === 'hev1' ? 'hvc1' : entry;
};

/**
 * One text AdaptationSet per track, a single-file WebVTT Representation (BaseURL relative to the MPD).
 * Role (urn:mpeg:dash:role:2011): forced-subtitle for forced tracks, caption for SDH, else subtitle;
 * the source's default track also gets main.
 */
function textSets(text: TextOutput[], firstId: number, ids: Set<string>): XmlNode[] {
  return text.map((t, i) => {
    if (ids.has(t.id)) throw new ManifestError(`MPD: duplicate rendition id ${t.id}`);
    ids.add(t.id);
    const role = t.forced ? 'forced-subtitle' : t.sdh ? 'caption' : 'subtitle';
    return {
      '@_id': firstId + i,
      '@_contentType': 'text',
      '@_mimeType': 'text/vtt',
      '@_lang': t.language,
      Label: t.name,
      Role: [{ '@_schemeIdUri': ROLE_SCHEME, '@_value': role }, ...(t.default ? [{ '@_schemeIdUri': ROLE_SCHEME, '@_value': 'main' }] : [])],
      // A nominal rate: text is a few hundred bytes a second.
      Representation: { '@_id': t.id, '@_bandwidth': 256, BaseURL: escapePath(t.file) },
    };
  });
}

/** Value of a FrameRateType string, for ordering. */
function eval0(rate: string): number {
  const [num, den] = rate.split('/').map(Number);
  return (num ?? 0) / (den ?? 1);
}

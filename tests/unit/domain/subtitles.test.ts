// Captions and subtitles, the pure part: the sidecar convention, which streams become text tracks (and
// which are reported instead), WebVTT cut into HLS segments, and what the masters say about them.
import { XMLParser } from 'fast-xml-parser';
import { describe, expect, it } from 'vitest';
import { captionsWorkflowIdFor, ignoredObjectReason, parseObjectEvent } from '../../../src/domain/events.js';
import { chunkPlan } from '../../../src/domain/chunks.js';
import { planLadder } from '../../../src/domain/ladder.js';
import { renderDashManifest, renderMasterPlaylist } from '../../../src/domain/manifests/index.js';
import { parseSidecarName, parseWebVtt, planSubtitles, renderSubtitlePlaylist, segmentWebVtt, subtitleJobId } from '../../../src/domain/subtitles.js';
import type { SourceProbe, TextOutput } from '../../../src/domain/types.js';
import { audioRendition, videoRendition, VERSION } from './manifests/fixtures.js';

const streams: SourceProbe['subtitleTracks'] = [
  { index: 2, codec: 'subrip', language: 'eng', default: true, hearingImpaired: true },
  { index: 3, codec: 'ass', language: 'fra', forced: true, title: 'Français (forcés)' },
  { index: 4, codec: 'hdmv_pgs_subtitle', language: 'deu' },
  { index: 5, codec: 'dvb_teletext', language: 'nor' },
  { index: 6, codec: 'mov_text', language: 'eng', default: true },
];

describe('the sidecar convention <video>.<lang>[.forced|.sdh].<srt|vtt>', () => {
  it('names the whole video object, the language and the flags', () => {
    expect(parseSidecarName('films/a b.mp4.en.srt')).toEqual({ video: 'films/a b.mp4', language: 'en', format: 'srt' });
    expect(parseSidecarName('film.mkv.nl.sdh.vtt')).toEqual({ video: 'film.mkv', language: 'nl', format: 'vtt', sdh: true });
    expect(parseSidecarName('film.mp4.pt-BR.FORCED.VTT')).toEqual({ video: 'film.mp4', language: 'pt-BR', format: 'vtt', forced: true });
  });
  it('is not a sidecar without a language, with a flag word as the language, or another extension', () => {
    for (const name of ['film.mp4.srt', 'film.mp4.sdh.srt', 'film.mp4.en.txt', 'film.mp4', '.en.srt']) expect(parseSidecarName(name), name).toBeUndefined();
  });
  it('an upload event of a sidecar asks for a captions run (its id names the eTag); the reconciler never transcodes one', () => {
    const config = { sourceBuckets: ['media-in'], destBucket: 'media-out', destPrefix: '' };
    const event = { eventType: 'com.oraclecloud.objectstorage.createobject', cloudEventsVersion: '0.1', eventTime: 't', eventID: 'e1',
      data: { resourceName: 'film.mp4.en.srt', additionalDetails: { bucketName: 'media-in', namespace: 'ns', eTag: 'tag-1' } } };
    expect(parseObjectEvent(event, config)).toEqual({ kind: 'captions', eventId: 'e1', request: { sidecar: { namespace: 'ns', bucket: 'media-in', object: 'film.mp4.en.srt', etag: 'tag-1' }, dest: { bucket: 'media-out', prefix: '' } } });
    expect(ignoredObjectReason({ bucket: 'media-in', object: 'film.mp4.en.srt' }, config)).toMatch(/sidecar text file of film\.mp4/);
    const id = captionsWorkflowIdFor({ namespace: 'ns', bucket: 'media-in', object: 'film.mp4.en.srt', etag: 'tag-1' });
    expect(id).toMatch(/^captions\/ns\/media-in\/film\.mp4\.en\.srt@[0-9a-f]{8}$/);
    expect(captionsWorkflowIdFor({ namespace: 'ns', bucket: 'media-in', object: 'film.mp4.en.srt', etag: 'tag-2' })).not.toBe(id);
  });
});

describe('planSubtitles', () => {
  it('keeps text streams with their flags, then sidecars; bitmap and unknown codecs are reported with a reason', () => {
    const planned = planSubtitles({ subtitleTracks: streams, sidecars: [{ object: 'x.mp4.es.srt', etag: 'e', language: 'es', format: 'srt' }] }, 'cmaf');
    expect(planned.subtitles).toEqual([
      { id: 'text-eng', codec: 'subrip', sourceIndex: 2, language: 'eng', name: 'eng (SDH)', default: true, sdh: true },
      { id: 'text-fra', codec: 'ass', sourceIndex: 3, language: 'fra', name: 'Français (forcés)', forced: true },
      // A second default is not one: at most one track is shown unasked.
      { id: 'text-eng-2', codec: 'mov_text', sourceIndex: 6, language: 'eng', name: 'eng' },
      { id: 'text-es', codec: 'srt', sidecar: { object: 'x.mp4.es.srt', etag: 'e' }, language: 'es', name: 'es' },
    ]);
    expect(planned.subtitlesSkipped).toEqual([
      { sourceIndex: 4, codec: 'hdmv_pgs_subtitle', language: 'deu', reason: expect.stringMatching(/bitmap/) as string },
      { sourceIndex: 5, codec: 'dvb_teletext', language: 'nor', reason: expect.stringMatching(/not a text format/) as string },
    ]);
  });
  it('ids stay short and path-safe whatever the language tag says', () => {
    const [t] = planSubtitles({ sidecars: [{ object: 'x.mp4.en-Latn-US-valencia.srt', language: 'en-Latn-US-valencia', format: 'srt' }] }, 'cmaf').subtitles ?? [];
    expect(t?.id).toBe('text-en-latn-us-v');
    expect(t?.language).toBe('en-Latn-US-valencia');
  });
  it('MPEG-TS output carries none (all reported), and a source without subtitle streams plans no field at all', () => {
    const ts = planSubtitles({ subtitleTracks: streams.slice(0, 1) }, 'ts');
    expect(ts.subtitles).toBeUndefined();
    expect(ts.subtitlesSkipped?.[0]?.reason).toMatch(/MPEG-TS/);
    expect(planSubtitles({}, 'cmaf')).toEqual({});
  });
  it('the plan carries them, and the job with audio converts them (the continuous audio job of a time-split plan)', () => {
    const probe: SourceProbe = { formatName: 'matroska', durationSec: 10, sizeBytes: 1, audioStreamCount: 1, subtitleTracks: streams.slice(0, 2),
      video: { index: 0, codec: 'h264', pixFmt: 'yuv420p', bitDepth: 8, codedWidth: 640, codedHeight: 360, rotation: 0, sar: [1, 1], displayWidth: 640, displayHeight: 360, fps: 30, vfr: false },
      audio: { index: 1, codec: 'aac', channels: 2, sampleRate: 48000 } };
    expect(planLadder(probe).subtitles?.map((t) => t.id)).toEqual(['text-eng', 'text-fra']);
    expect(subtitleJobId({ jobs: [{ id: 'c001', audio: false }, { id: 'audio', audio: true }] })).toBe('audio');
    expect(subtitleJobId({ jobs: [{ id: 'all', audio: false }] })).toBe('all');
    // A time-split plan: the text stays with the continuous audio job, never a chunk.
    const split = chunkPlan(planLadder({ ...probe, durationSec: 60 }, { etag: 'e' }), { thresholdSec: 5, chunkSec: 8 });
    expect(split.jobs.length).toBeGreaterThan(2);
    expect(subtitleJobId(split)).toBe('audio');
    expect(split.subtitles?.length).toBe(2);
  });
});

const VTT = 'WEBVTT\n\nSTYLE\n::cue { color: yellow }\n\nNOTE dropped\n\n1\n00:00.500 --> 00:01.500 align:start\nHello\n\n00:03.500 --> 00:04.500\nacross the cut\n\n01:00:09.000 --> 01:00:09.500\nlate\n';

describe('WebVTT for HLS', () => {
  it('parses cues with identifiers, settings and hour fields; keeps STYLE, drops NOTE; refuses a non-WebVTT document', () => {
    const { preamble, cues } = parseWebVtt(VTT);
    expect(preamble).toEqual(['STYLE\n::cue { color: yellow }']);
    expect(cues.map((c) => [c.start, c.end])).toEqual([[0.5, 1.5], [3.5, 4.5], [3609, 3609.5]]);
    expect(() => parseWebVtt('1\n00:00:01,000 --> 00:00:02,000\nSubRip\n')).toThrow(/WEBVTT/);
  });
  it('cuts segments of the plan length over the whole duration, repeating a cue that crosses a cut, each with X-TIMESTAMP-MAP', () => {
    const { files, output } = segmentWebVtt(VTT, { version: VERSION, id: 'text-eng', segmentSeconds: 4, durationSec: 10 });
    expect(output.segments).toEqual([
      { uri: `${VERSION}/text-eng/seg_00001.vtt`, durationSec: 4 },
      { uri: `${VERSION}/text-eng/seg_00002.vtt`, durationSec: 4 },
      { uri: `${VERSION}/text-eng/seg_00003.vtt`, durationSec: 2 },
    ]);
    const body = (n: number): string => files[n]?.body ?? '';
    expect(body(0)).toMatch(/^WEBVTT\nX-TIMESTAMP-MAP=MPEGTS:0,LOCAL:00:00:00\.000\n\nSTYLE/);
    expect(body(0)).toContain('Hello');
    expect(body(0)).toContain('across the cut');
    expect(body(1)).toContain('across the cut');
    expect(body(1)).not.toContain('Hello');
    expect(body(2)).not.toContain('-->');
    expect(files[3]).toEqual({ name: `${VERSION}/text-eng/subtitles.vtt`, body: expect.stringContaining('late') as string });
    expect(output.cues).toBe(3);
    const playlist = renderSubtitlePlaylist(output);
    expect(playlist).toContain('#EXT-X-TARGETDURATION:4\n');
    expect(playlist).toContain('#EXTINF:2.000000,\nseg_00003.vtt\n#EXT-X-ENDLIST');
  });
});

const track = (o: Partial<TextOutput> & Pick<TextOutput, 'id' | 'name'>): TextOutput => ({
  codec: 'subrip', playlist: `${VERSION}/${o.id}/playlist.m3u8`, file: `${VERSION}/${o.id}/subtitles.vtt`,
  segments: [{ uri: `${VERSION}/${o.id}/seg_00001.vtt`, durationSec: 4 }], durationSec: 4, cues: 1, ...o,
});
const text = [track({ id: 'text-eng', name: 'English SDH', language: 'eng', default: true, sdh: true }), track({ id: 'text-fra', name: 'fra', language: 'fra', forced: true })];

describe('text tracks in the masters', () => {
  it('HLS: one SUBTITLES media per track with LANGUAGE, NAME, DEFAULT, AUTOSELECT, FORCED, SDH characteristics; every variant names the group', () => {
    const master = renderMasterPlaylist([videoRendition(720), videoRendition(360), audioRendition()], text);
    const media = master.split('\n').filter((l) => l.includes('TYPE=SUBTITLES'));
    expect(media).toEqual([
      `#EXT-X-MEDIA:TYPE=SUBTITLES,GROUP-ID="subs",LANGUAGE="eng",NAME="English SDH",DEFAULT=YES,AUTOSELECT=YES,FORCED=NO,CHARACTERISTICS="public.accessibility.transcribes-spoken-dialog,public.accessibility.describes-music-and-sound",URI="${VERSION}/text-eng/playlist.m3u8"`,
      `#EXT-X-MEDIA:TYPE=SUBTITLES,GROUP-ID="subs",LANGUAGE="fra",NAME="fra",DEFAULT=NO,AUTOSELECT=YES,FORCED=YES,URI="${VERSION}/text-fra/playlist.m3u8"`,
    ]);
    const variants = master.split('\n').filter((l) => l.startsWith('#EXT-X-STREAM-INF'));
    expect(variants).toHaveLength(2);
    for (const v of variants) expect(v).toMatch(/,SUBTITLES="subs"$/);
    expect(renderMasterPlaylist([videoRendition(720), audioRendition()])).not.toContain('SUBTITLES');
  });
  it('DASH: one text AdaptationSet per track, text/vtt with lang, Label and Role caption / forced-subtitle, a single-file Representation', () => {
    const mpd = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '' }).parse(renderDashManifest([videoRendition(720), audioRendition()], { durationSec: 10.5, text })) as { MPD: { Period: { AdaptationSet: Record<string, unknown>[] } } };
    const sets = mpd.MPD.Period.AdaptationSet.filter((s) => s.contentType === 'text');
    expect(sets).toEqual([
      expect.objectContaining({ mimeType: 'text/vtt', lang: 'eng', Label: 'English SDH', Role: [{ schemeIdUri: 'urn:mpeg:dash:role:2011', value: 'caption' }, { schemeIdUri: 'urn:mpeg:dash:role:2011', value: 'main' }], Representation: { id: 'text-eng', bandwidth: '256', BaseURL: `${VERSION}/text-eng/subtitles.vtt` } }),
      expect.objectContaining({ mimeType: 'text/vtt', lang: 'fra', Role: { schemeIdUri: 'urn:mpeg:dash:role:2011', value: 'forced-subtitle' }, Representation: { id: 'text-fra', bandwidth: '256', BaseURL: `${VERSION}/text-fra/subtitles.vtt` } }),
    ]);
  });
});

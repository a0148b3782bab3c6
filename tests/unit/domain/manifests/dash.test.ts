import { XMLParser } from 'fast-xml-parser';
import { describe, expect, it } from 'vitest';
import { dashFrameRate, isoDuration, numberTemplate, renderDashManifest, timeline } from '../../../../src/domain/manifests/index.js';
import { audioRendition, videoRendition, VERSION } from './fixtures.js';

interface Node { [key: string]: string | Node | Node[] }
const parse = (xml: string): Node =>
  new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '', parseAttributeValue: false, isArray: (name) => ['AdaptationSet', 'Representation', 'S', 'SegmentURL'].includes(name) }).parse(xml) as Node;
/** The element at a path of child names (arrays step into their first element unless an index is given). */
function el(node: Node | undefined, ...path: (string | number)[]): Node {
  let cur: Node | Node[] | string | undefined = node;
  for (const key of path) {
    if (cur === undefined || typeof cur === 'string') throw new Error(`no ${String(key)} in MPD`);
    cur = Array.isArray(cur) ? (typeof key === 'number' ? cur[key] : cur[0]?.[key]) : (cur[key]);
  }
  if (cur === undefined || typeof cur === 'string') throw new Error(`no element at ${path.join('/')}`);
  return Array.isArray(cur) ? (cur[0] as Node) : cur;
}
const all = (node: Node, key: string): Node[] => node[key] as Node[];

describe('renderDashManifest', () => {
  const ladder = [videoRendition(360), videoRendition(1080), videoRendition(720)];
  const audio = audioRendition({ language: 'en' });
  const mpd = el(parse(renderDashManifest([...ladder, audio], { durationSec: 10.5 })), 'MPD');
  const [videoSet, audioSet] = all(el(mpd, 'Period'), 'AdaptationSet');

  it('is a static isoff-live MPD with ISO 8601 durations', () => {
    expect(mpd).toMatchObject({
      xmlns: 'urn:mpeg:dash:schema:mpd:2011',
      profiles: 'urn:mpeg:dash:profile:isoff-live:2011',
      type: 'static',
      mediaPresentationDuration: 'PT10.500S',
      minBufferTime: 'PT4.000S',
    });
  });

  it('has one video set, tallest first, with peak bandwidth and a per-Representation template', () => {
    expect(videoSet).toMatchObject({ contentType: 'video', mimeType: 'video/mp4', segmentAlignment: 'true', startWithSAP: '1', maxWidth: '1920', maxHeight: '1080', frameRate: '30' });
    const reps = all(el(videoSet), 'Representation');
    expect(reps.map((r) => r.id)).toEqual(['1080p', '720p', '360p']);
    expect(reps[1]).toMatchObject({ bandwidth: String(720 * 5000), codecs: 'avc1.64001f', width: '1280', height: '720', sar: '1:1', frameRate: '30' });
    expect(el(reps[1], 'SegmentTemplate')).toMatchObject({
      timescale: '90000',
      initialization: `${VERSION}/720p/init.mp4`,
      media: `${VERSION}/720p/seg_$Number%05d$.m4s`,
      startNumber: '1',
    });
    expect(all(el(reps[1], 'SegmentTemplate', 'SegmentTimeline'), 'S')).toEqual([{ t: '0', d: '360000', r: '1' }, { d: '225000' }]);
  });

  it('has an audio set with language and channel configuration', () => {
    expect(audioSet).toMatchObject({ contentType: 'audio', mimeType: 'audio/mp4', lang: 'en' });
    const rep = el(audioSet, 'Representation');
    expect(rep).toMatchObject({ id: 'audio', bandwidth: '131000', codecs: 'mp4a.40.2', audioSamplingRate: '48000' });
    expect(el(rep, 'AudioChannelConfiguration')).toEqual({ schemeIdUri: 'urn:mpeg:dash:23003:3:audio_channel_configuration:2011', value: '2' });
    expect(all(el(rep, 'SegmentTemplate', 'SegmentTimeline'), 'S')).toEqual([{ t: '0', d: '192000', r: '1' }, { d: '120000' }]);
  });

  it('gives each audio track its own set with lang, Label and Role (main, then alternate or what the source says)', () => {
    const tracks = [
      audioRendition({ language: 'eng', name: 'English', role: 'main' }),
      audioRendition({ id: 'audio-fra', language: 'fra', name: 'Français', role: 'alternate' }),
      audioRendition({ id: 'audio-eng-2', language: 'eng', name: 'Commentary', role: 'commentary' }),
    ];
    const sets = all(el(el(parse(renderDashManifest([videoRendition(720), ...tracks], { durationSec: 10.5 })), 'MPD'), 'Period'), 'AdaptationSet').slice(1);
    expect(sets.map((set) => [set.lang, set.Label, el(set, 'Role').value, el(set, 'Representation').id])).toEqual([
      ['eng', 'English', 'main', 'audio'],
      ['fra', 'Français', 'alternate', 'audio-fra'],
      ['eng', 'Commentary', 'commentary', 'audio-eng-2'],
    ]);
    expect(el(sets[0], 'Role').schemeIdUri).toBe('urn:mpeg:dash:role:2011');
    // One unnamed track stays as it was: no Role, no Label.
    expect(audioSet?.Role).toBeUndefined();
  });

  it('gives a 5.1 rendition its own set: same lang, Label and Role, AudioChannelConfiguration 6', () => {
    const stereo = audioRendition({ language: 'eng', name: 'English', role: 'main' });
    const surround = audioRendition({ id: 'audio-51', language: 'eng', name: 'English', role: 'main', channels: 6, peakBitrate: 390_000 });
    const audioSets = all(el(el(parse(renderDashManifest([videoRendition(720), stereo, surround], { durationSec: 10.5 })), 'MPD'), 'Period'), 'AdaptationSet').slice(1);
    expect(audioSets.map((set) => [set.lang, set.Label, el(set, 'Role').value, el(set, 'Representation').id, el(set, 'Representation', 'AudioChannelConfiguration').value])).toEqual([
      ['eng', 'English', 'main', 'audio', '2'],
      ['eng', 'English', 'main', 'audio-51', '6'],
    ]);
  });

  it('writes audio-only and video-only MPDs', () => {
    const sets = (xml: string): Node[] => all(el(parse(xml), 'MPD', 'Period'), 'AdaptationSet');
    const a = sets(renderDashManifest([audioRendition()], { durationSec: 10.5 }));
    expect(a.map((s) => s.contentType)).toEqual(['audio']);
    expect(a[0]?.lang).toBeUndefined();
    const v = sets(renderDashManifest([videoRendition(360)], { durationSec: 10.5 }));
    expect(v.map((s) => s.contentType)).toEqual(['video']);
  });

  it('falls back to an explicit SegmentList for names without a counter, and escapes XML', () => {
    const r = videoRendition(360, { id: 'a&b' });
    r.segments = r.segments.map((s, i) => ({ ...s, uri: `${VERSION}/x/${['intro', 'main', 'end'][i]}<&>.m4s` }));
    const xml = renderDashManifest([r], { durationSec: 10.5 });
    expect(xml).toContain('id="a&amp;b"');
    const rep = el(parse(xml), 'MPD', 'Period', 'AdaptationSet', 'Representation');
    expect(all(el(rep, 'SegmentList'), 'SegmentURL').map((s) => s.media)).toEqual([
      `${VERSION}/x/intro%3C%26%3E.m4s`, `${VERSION}/x/main%3C%26%3E.m4s`, `${VERSION}/x/end%3C%26%3E.m4s`,
    ]);
    expect(el(rep, 'SegmentList', 'Initialization').sourceURL).toBe(`${VERSION}/360p/init.mp4`);
  });

  it('lists the highest frame rate when renditions differ', () => {
    const xml = renderDashManifest([videoRendition(720, { frameRate: 60 }), videoRendition(360, { frameRate: 30000 / 1001 })], { durationSec: 10.5 });
    const set = el(parse(xml), 'MPD', 'Period', 'AdaptationSet');
    expect(set.maxFrameRate).toBe('60');
    expect(all(set, 'Representation')[1]?.frameRate).toBe('30000/1001');
  });

  it('refuses MPEG-TS renditions and broken timing', () => {
    expect(() => renderDashManifest([videoRendition(360, { initSegment: undefined })], { durationSec: 1 })).toThrow(/MPEG-TS renditions are HLS only/);
    expect(() => renderDashManifest([videoRendition(360, { timescale: 0 })], { durationSec: 1 })).toThrow(/timescale must be a positive integer/);
    expect(() => renderDashManifest([videoRendition(360), videoRendition(360)], { durationSec: 1 })).toThrow(/duplicate rendition id 360p/);
    expect(() => renderDashManifest([], { durationSec: 1 })).toThrow(/no renditions/);
    expect(() => renderDashManifest([videoRendition(360)], { durationSec: Number.NaN })).toThrow(/non-negative/);
  });
});

describe('MPD building blocks', () => {
  it('formats xs:duration', () => {
    expect(isoDuration(0)).toBe('PT0.000S');
    expect(isoDuration(61.5)).toBe('PT1M1.500S');
    expect(isoDuration(3600.0004)).toBe('PT1H0M0.000S');
    expect(isoDuration(7322.25)).toBe('PT2H2M2.250S');
  });

  it('writes frame rates as integers or exact fractions', () => {
    expect(dashFrameRate(25)).toBe('25');
    expect(dashFrameRate(30000 / 1001)).toBe('30000/1001');
    expect(dashFrameRate(24000 / 1001)).toBe('24000/1001');
    expect(dashFrameRate(12.5)).toBe('25/2');
  });

  it('collapses equal contiguous durations and restates t after a gap', () => {
    expect(timeline([{ start: 10, duration: 5 }, { start: 15, duration: 5 }, { start: 20, duration: 5 }, { start: 30, duration: 5 }, { start: 35, duration: 2 }])).toEqual([
      { '@_t': 10, '@_d': 5, '@_r': 2 },
      { '@_t': 30, '@_d': 5, '@_r': undefined },
      { '@_t': undefined, '@_d': 2, '@_r': undefined },
    ]);
  });

  it('derives $Number$ templates only when names count up by one', () => {
    expect(numberTemplate(['v/720p/seg_00001.m4s'])).toEqual({ media: 'v/720p/seg_$Number%05d$.m4s', startNumber: 1 });
    expect(numberTemplate(['a/s8.m4s', 'a/s9.m4s', 'a/s10.m4s'])).toEqual({ media: 'a/s$Number$.m4s', startNumber: 8 });
    expect(numberTemplate(['a/s08.m4s', 'a/s09.m4s', 'a/s010.m4s'])).toBeUndefined();
    expect(numberTemplate(['a/s1.m4s', 'a/s3.m4s'])).toBeUndefined();
    expect(numberTemplate(['a/$1.m4s', 'a/$2.m4s'])).toEqual({ media: 'a/%24$Number$.m4s', startNumber: 1 });
  });
});

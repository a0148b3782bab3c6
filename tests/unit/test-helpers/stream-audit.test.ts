// The playback suite's own checks, proven on hand-made inputs (they must be able to fail).
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseRange } from '../../helpers/static-server.js';
import * as checks from '../../helpers/stream-audit/checks.js';
import { expandTemplate, isoDurationSec, readMpd } from '../../helpers/stream-audit/dash.js';
import { readHls } from '../../helpers/stream-audit/hls.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'audit-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('byte ranges', () => {
  it('parses open, closed and suffix ranges and refuses unsatisfiable ones', () => {
    expect(parseRange('bytes=0-99', 1000)).toEqual({ start: 0, end: 99 });
    expect(parseRange('bytes=900-', 1000)).toEqual({ start: 900, end: 999 });
    expect(parseRange('bytes=-100', 1000)).toEqual({ start: 900, end: 999 });
    expect(parseRange('bytes=990-2000', 1000)).toEqual({ start: 990, end: 999 });
    expect(parseRange('bytes=1000-', 1000)).toBe('invalid');
    expect(parseRange('bytes=5-1', 1000)).toBe('invalid');
    expect(parseRange('items=0-1', 1000)).toBe('invalid');
  });
});

describe('DASH reading', () => {
  it('expands templates and ISO durations', () => {
    expect(expandTemplate('v/$RepresentationID$/seg_$Number%05d$.m4s', { id: '720p', number: 7, bandwidth: 1 })).toBe('v/720p/seg_00007.m4s');
    expect(expandTemplate('t$Time$-$Bandwidth$$$', { id: 'a', time: 9000, bandwidth: 128000 })).toBe('t9000-128000$');
    expect(() => expandTemplate('$Time$', { id: 'a', bandwidth: 1 })).toThrow(/\$Time\$/);
    expect(isoDurationSec('PT1H2M3.5S')).toBe(3723.5);
    expect(isoDurationSec('PT4.032S')).toBeCloseTo(4.032);
    expect(() => isoDurationSec('4s')).toThrow(/ISO 8601/);
  });

  it('expands a SegmentTimeline with repeats into files, and refuses URIs escaping the stream', async () => {
    const mpd = (media: string): string => `<?xml version="1.0"?>
<MPD xmlns="urn:mpeg:dash:schema:mpd:2011" type="static" mediaPresentationDuration="PT10S"><Period>
 <AdaptationSet contentType="video"><Representation id="v1" bandwidth="1000" width="640" height="360">
  <SegmentTemplate timescale="10" initialization="$RepresentationID$/init.mp4" media="${media}" startNumber="1">
   <SegmentTimeline><S t="0" d="40" r="1"/><S d="20"/></SegmentTimeline></SegmentTemplate>
 </Representation></AdaptationSet></Period></MPD>`;
    await writeFile(join(dir, 'ok.mpd'), mpd('$RepresentationID$/s$Number$.m4s'));
    const ok = await readMpd(join(dir, 'ok.mpd'));
    const [rep] = ok.representations;
    expect(rep?.segments.map((s) => [s.path.slice(dir.length + 1), s.start, s.duration])).toEqual([
      ['v1/s1.m4s', 0, 40],
      ['v1/s2.m4s', 40, 40],
      ['v1/s3.m4s', 80, 20],
    ]);
    expect(checks.dashBoundaries(rep!)).toEqual([0, 4, 8, 10]);
    await writeFile(join(dir, 'escape.mpd'), mpd('../elsewhere/s$Number$.m4s'));
    await expect(readMpd(join(dir, 'escape.mpd'))).rejects.toThrow(/escapes the stream folder/);
  });
});

describe('HLS reading', () => {
  it('follows variants and audio groups, and refuses absolute URIs', async () => {
    await writeFile(join(dir, 'v.m3u8'), '#EXTM3U\n#EXT-X-TARGETDURATION:4\n#EXT-X-PLAYLIST-TYPE:VOD\n#EXT-X-MAP:URI="i.mp4"\n#EXTINF:4,\na.m4s\n#EXTINF:2.5,\nb.m4s\n#EXT-X-ENDLIST\n');
    await writeFile(join(dir, 'a.m3u8'), '#EXTM3U\n#EXT-X-TARGETDURATION:7\n#EXTINF:6.5,\nx.m4s\n');
    await writeFile(
      join(dir, 'master.m3u8'),
      '#EXTM3U\n#EXT-X-INDEPENDENT-SEGMENTS\n#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="a",NAME="en",URI="a.m3u8"\n#EXT-X-STREAM-INF:BANDWIDTH=1,CODECS="avc1.64001f,mp4a.40.2",AUDIO="a"\nv.m3u8\n',
    );
    const hls = await readHls(join(dir, 'master.m3u8'));
    expect(hls.independentSegments).toBe(true);
    expect(hls.variants[0]).toMatchObject({ playlistType: 'VOD', endList: true, targetDuration: 4 });
    expect(checks.hlsBoundaries(hls.variants[0]!)).toEqual([0, 4, 6.5]);
    expect(hls.audio[0]?.endList).toBe(false);
    // Only a.m4s exists: every other reference is reported, none silently skipped.
    await writeFile(join(dir, 'a.m4s'), 'x');
    expect(await checks.missingOrEmpty([...hls.variants[0]!.inits, ...hls.variants[0]!.segments])).toEqual([
      `missing: ${join(dir, 'i.mp4')}`,
      `missing: ${join(dir, 'b.m4s')}`,
    ]);
    await writeFile(join(dir, 'abs.m3u8'), '#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1\nhttp://example.invalid/v.m3u8\n');
    await expect(readHls(join(dir, 'abs.m3u8'))).rejects.toThrow(/not relative/);
  });
});

describe('boundary and codec checks', () => {
  it('report misaligned renditions, segments off keyframes, durations and avc1 strings', () => {
    expect(checks.sameBoundaries([{ name: 'a', bounds: [0, 4, 8] }, { name: 'b', bounds: [0, 4, 8.0004] }], 0.001)).toEqual([]);
    expect(checks.sameBoundaries([{ name: 'a', bounds: [0, 4, 8] }, { name: 'b', bounds: [0, 4.1, 8] }], 0.001)).toEqual([
      'b boundary 1 at 4.1s, a at 4s',
    ]);
    expect(checks.sameBoundaries([{ name: 'a', bounds: [0, 4, 8] }, { name: 'b', bounds: [0, 8] }], 0.001)).toHaveLength(1);
    const packets = { pts: [1.4, 1.5, 1.6, 1.7], keyPts: [1.4, 1.6] };
    expect(checks.boundariesOffKeyframes([0, 0.2, 0.4], packets, 'p')).toEqual([]);
    expect(checks.boundariesOffKeyframes([0, 0.1, 0.4], packets, 'p')).toEqual(['p: segment 1 starts at 0.1s, which is not a keyframe']);
    expect(checks.durationProblem('x', 4.05, 4, 0.1)).toEqual([]);
    expect(checks.durationProblem('x', 4.2, 4, 0.1)).toHaveLength(1);
    expect(checks.parseAvc1('avc1.64001f')).toEqual({ profileIdc: 100, levelIdc: 31 });
    expect(checks.parseAvc1('hvc1.1.6.L93.B0')).toBeUndefined();
  });
});

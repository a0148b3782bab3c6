import { describe, expect, it } from 'vitest';
import { renderMediaPlaylist } from '../../../src/domain/manifests/index.js';
import { mediaPlaylist, posterPng, renditionsFile as renditionsName } from '../../../src/domain/layout.js';
import type { Plan, RenditionsFile, VideoRendition } from '../../../src/domain/types.js';
import { expectedDurationSec, parseMediaPlaylist, resolveUri, verifyOutputs, type VerifyInput } from '../../../src/domain/verify.js';
import type { ObjectInfo } from '../../../src/ports.js';
import { audioRendition, renditionsFile, videoRendition, VERSION } from './manifests/fixtures.js';

const rung = (height: number): VideoRendition => ({
  id: `${height}p`, width: Math.round((height * 16) / 9 / 2) * 2, height, bitrate: 1e6, maxrate: 1e6, bufsize: 2e6, profile: 'high', level: '4.0',
});

function plan(): Plan {
  return {
    preset: 'default', formats: ['hls', 'dash'], segmentFormat: 'cmaf', segmentSeconds: 4, fps: 30, gopFrames: 60,
    video: [rung(720), rung(360)],
    audio: { id: 'audio', bitrate: 128_000, channels: 2, sampleRate: 48_000 },
    durationSec: 10.5,
    version: VERSION,
    jobs: [{ id: 'job-1', videoIds: ['720p', '360p'], audio: true, thumbnails: true }],
  };
}

function files(): RenditionsFile[] {
  return [renditionsFile('job-1', [videoRendition(720), videoRendition(360), audioRendition()], { thumbnails: { png: posterPng(VERSION) } })];
}

/** A listing holding exactly what the files describe, with the sizes they claim. */
function listingOf(fs: RenditionsFile[]): ObjectInfo[] {
  const names = new Map<string, number>();
  for (const f of fs) {
    names.set(renditionsName(f.version, f.jobId), 900);
    if (f.thumbnails?.png) names.set(f.thumbnails.png, 5000);
    for (const r of f.renditions) {
      names.set(r.playlist, 300);
      if (r.initSegment) names.set(r.initSegment, 800);
      for (const s of r.segments) names.set(s.uri, s.bytes);
    }
  }
  return [...names].map(([name, size]) => ({ name, size, etag: `e-${name}` }));
}

const check = (over: Partial<VerifyInput> = {}): { code: string; message: string; object?: string }[] => {
  const f = over.files ?? files();
  return verifyOutputs({ plan: plan(), files: f, listing: listingOf(f), probeDurationSec: 10.5, ...over });
};
const codes = (over: Partial<VerifyInput> = {}): string[] => check(over).map((p) => p.code);

describe('verifyOutputs', () => {
  it('names a missing WebVTT segment of a text track the job converted', () => {
    const f = files();
    const folder = `${VERSION}/text-eng/`;
    f[0]!.subtitles = [{ id: 'text-eng', codec: 'subrip', name: 'eng', language: 'eng', playlist: `${folder}playlist.m3u8`, file: `${folder}subtitles.vtt`,
      segments: [{ uri: `${folder}seg_00001.vtt`, durationSec: 4 }, { uri: `${folder}seg_00002.vtt`, durationSec: 4 }], durationSec: 8, cues: 2 }];
    const listing = [...listingOf(f), ...[`${folder}playlist.m3u8`, `${folder}subtitles.vtt`, `${folder}seg_00001.vtt`].map((name) => ({ name, size: 50, etag: name }))];
    expect(verifyOutputs({ plan: plan(), files: f, listing, probeDurationSec: 10.5 })).toEqual([
      { code: 'missing-object', message: `text track text-eng ${folder}seg_00002.vtt is missing`, object: `${folder}seg_00002.vtt` },
    ]);
  });

  it('finds nothing wrong with complete outputs, including what their playlists reference', () => {
    const f = files();
    const playlists = Object.fromEntries(f[0]!.renditions.map((r) => [r.playlist, renderMediaPlaylist(r, 'cmaf')]));
    expect(check({ files: f, playlists })).toEqual([]);
  });

  it('reports a missing, empty or short segment by name', () => {
    const f = files();
    const seg = f[0]!.renditions[0]!.segments[1]!.uri;
    const listing = listingOf(f);
    expect(verifyOutputs({ plan: plan(), files: f, listing: listing.filter((o) => o.name !== seg), probeDurationSec: 10.5 })).toEqual([
      { code: 'missing-object', message: `segment ${seg} is missing`, object: seg },
    ]);
    const empty = listing.map((o) => (o.name === seg ? { ...o, size: 0 } : o));
    expect(verifyOutputs({ plan: plan(), files: f, listing: empty, probeDurationSec: 10.5 }).map((p) => p.code)).toEqual(['empty-object']);
    const short = listing.map((o) => (o.name === seg ? { ...o, size: 99 } : o));
    expect(verifyOutputs({ plan: plan(), files: f, listing: short, probeDurationSec: 10.5 })[0]?.message).toMatch(/is 99 bytes, the transcoder wrote 100000/);
  });

  it('reports missing playlists, init segments and thumbnails', () => {
    const f = files();
    const listing = listingOf(f).filter((o) => !o.name.endsWith('360p/playlist.m3u8') && !o.name.endsWith('audio/init.mp4') && o.name !== posterPng(VERSION));
    expect(verifyOutputs({ plan: plan(), files: f, listing, probeDurationSec: 10.5 }).map((p) => p.object)).toEqual([
      posterPng(VERSION), mediaPlaylist(VERSION, '360p'), `${VERSION}/audio/init.mp4`,
    ]);
    const noThumbs = files();
    delete noThumbs[0]!.thumbnails;
    expect(codes({ files: noThumbs })).toEqual(['missing-thumbnails']);
  });

  it('reports a download the plan owes and a job did not write, or one stored at another size', () => {
    const owed = { ...plan(), downloads: { videoId: '720p', mp4Job: 'job-1', m4aJob: 'job-1' } };
    const mp4 = { kind: 'mp4' as const, name: `${VERSION}/download/720p.mp4`, bytes: 4000, durationSec: 10.5, videoId: '720p', audioId: 'audio' };
    const f = files();
    f[0]!.downloads = [mp4];
    const listing = [...listingOf(f), { name: mp4.name, size: 4000, etag: 'e' }];
    expect(check({ plan: owed, files: f, listing })).toEqual([
      { code: 'missing-download', message: 'job job-1 was planned to write the m4a download and wrote none', object: `${VERSION}/renditions/job-1.json` },
    ]);
    expect(codes({ plan: owed, files: f, listing: listing.map((o) => (o.name === mp4.name ? { ...o, size: 3999 } : o)) })).toContain('size-mismatch');
    expect(codes({ files: f, listing: listingOf(f) })).toEqual(['missing-object']);
  });

  it('reports a job that left no renditions.json, and renditions missing from a file', () => {
    expect(check({ files: [] })).toEqual([{ code: 'missing-renditions-file', message: `job job-1 left no ${VERSION}/renditions/job-1.json`, object: `${VERSION}/renditions/job-1.json` }]);
    const f = files();
    f[0]!.renditions = f[0]!.renditions.filter((r) => r.id !== '360p');
    expect(check({ files: f }).map((p) => p.message)).toEqual(['job job-1 did not write planned rendition 360p']);
  });

  it('reports renditions and files nobody planned, and mixed versions or formats', () => {
    const f = files();
    f[0]!.renditions.push(videoRendition(480));
    f.push(renditionsFile('job-x', [], { version: 'v-00000000' }));
    f[0]!.segmentFormat = 'ts';
    expect(codes({ files: f })).toEqual(['segment-format-mismatch', 'unexpected-rendition', 'unexpected-job']);
    const g = files();
    g[0]!.version = 'v-99999999';
    expect(codes({ files: g })).toContain('version-mismatch');
  });

  it('judges each rendition by its own source stream\'s declared duration, not the container\'s', () => {
    // Video 10.5 s, audio 12.5 s, a subtitle to 14 s: the container says 14 s, and the file is valid.
    const f = [renditionsFile('job-1', [videoRendition(720), videoRendition(360), audioRendition({}, [4, 4, 4, 0.5])], { thumbnails: { png: posterPng(VERSION) } })];
    const p = plan();
    const container = { ...p, durationSec: 14 };
    const declared = { ...container, videoDurationSec: 10.5, audio: { ...p.audio!, durationSec: 12.5 } };
    expect(verifyOutputs({ plan: declared, files: f, listing: listingOf(f) })).toEqual([]);
    expect(verifyOutputs({ plan: container, files: f, listing: listingOf(f) }).map((x) => x.message)).toEqual([
      'rendition 720p segments last 10.500 s, the source 14.000 s (tolerance 0.1 s)',
      'rendition 360p segments last 10.500 s, the source 14.000 s (tolerance 0.1 s)',
      'rendition audio segments last 12.500 s, the source 14.000 s (tolerance 0.1 s)',
    ]);
    expect(expectedDurationSec(declared, { id: 'audio', kind: 'audio' })).toBe(12.5);
    expect(expectedDurationSec(declared, { id: '720p', kind: 'video' })).toBe(10.5);
    expect(expectedDurationSec(container, { id: '720p', kind: 'video' })).toBe(14);
  });

  it('reports durations off the probe beyond the tolerance, and accepts AAC priming within it', () => {
    expect(codes({ probeDurationSec: 10.56 })).toEqual([]);
    expect(check({ probeDurationSec: 10.7 }).map((p) => p.message)).toEqual([
      'rendition 720p segments last 10.500 s, the source 10.700 s (tolerance 0.1 s)',
      'rendition 360p segments last 10.500 s, the source 10.700 s (tolerance 0.1 s)',
      'rendition audio segments last 10.500 s, the source 10.700 s (tolerance 0.1 s)',
    ]);
    expect(codes({ probeDurationSec: 10.56, toleranceSec: 0.05 })).toHaveLength(3);
    const f = files();
    f[0]!.renditions[2]!.durationSec = 12;
    expect(check({ files: f }).map((p) => p.message)).toEqual(['rendition audio reports 12.000 s, the source 10.500 s (tolerance 0.1 s)']);
  });

  it('reports segment boundaries that differ between video renditions', () => {
    const shifted = files();
    shifted[0]!.renditions[1] = videoRendition(360, {}, [4, 4.5, 2]);
    expect(check({ files: shifted })).toEqual([
      { code: 'misaligned-segments', message: 'segment 3 starts at 8.500 s in 360p but 8.000 s in 720p', object: `${VERSION}/360p/seg_00003.m4s` },
    ]);
    const fewer = files();
    fewer[0]!.renditions[1] = videoRendition(360, {}, [8, 2.5]);
    expect(codes({ files: fewer })).toEqual(['misaligned-segments']);
  });

  it('reports a rendition taller or wider than planned', () => {
    const f = files();
    f[0]!.renditions[1] = { ...videoRendition(360), height: 480 };
    expect(check({ files: f }).map((p) => p.message)).toEqual(['rendition 360p is 640x480, planned at most 640x360']);
  });

  it('reads the playlists: unlisted references, non-VOD and unreadable playlists', () => {
    const f = files();
    const [top] = f[0]!.renditions;
    const text = renderMediaPlaylist(top!, 'cmaf');
    const listing = listingOf(f);
    const run = (body: string, l = listing): string[] =>
      verifyOutputs({ plan: plan(), files: f, listing: l, probeDurationSec: 10.5, playlists: { [top!.playlist]: body } }).map((p) => p.code);
    expect(run(text.replace('seg_00002.m4s', 'seg_00009.m4s'))).toEqual(['playlist-reference-missing']);
    expect(run(text.replace('#EXT-X-ENDLIST\n', ''))).toEqual(['playlist-not-vod']);
    expect(run(text.replace(/#EXTINF:2.500000,\nseg_00003.m4s\n/, ''))).toEqual(['playlist-mismatch']);
    expect(run('not a playlist')).toEqual(['playlist-invalid']);
    expect(run(text.replace('init.mp4', '../../../x.mp4'))).toEqual(['playlist-invalid']);
  });
});

describe('parseMediaPlaylist', () => {
  it('reads back what the writer produced', () => {
    const r = videoRendition(720, {}, [4, 4, 2.5]);
    expect(parseMediaPlaylist(renderMediaPlaylist(r, 'cmaf'))).toEqual({
      version: 7, targetDuration: 4, mediaSequence: 0, playlistType: 'VOD', endList: true, map: 'init.mp4',
      segments: [{ uri: 'seg_00001.m4s', durationSec: 4 }, { uri: 'seg_00002.m4s', durationSec: 4 }, { uri: 'seg_00003.m4s', durationSec: 2.5 }],
    });
  });

  it('refuses malformed playlists with the line', () => {
    expect(() => parseMediaPlaylist('#EXTM3U\n#EXTINF:abc,\nx.ts\n')).toThrow('line 2: #EXTINF needs a number, got "abc"');
    expect(() => parseMediaPlaylist('#EXTM3U\nx.ts\n')).toThrow('line 2: URI "x.ts" has no #EXTINF before it');
    expect(() => parseMediaPlaylist('#EXTM3U\n#EXTINF:1,\n')).toThrow('the last #EXTINF has no URI');
    expect(() => parseMediaPlaylist('#EXTINF:1,\nx.ts')).toThrow(/starts with #EXTM3U/);
  });

  it('resolves relative, escaped URIs against the playlist folder', () => {
    expect(resolveUri('v-1/720p/playlist.m3u8', 'seg%20%231.m4s')).toBe('v-1/720p/seg #1.m4s');
    expect(resolveUri('v-1/720p/playlist.m3u8', '../shared/init.mp4')).toBe('v-1/shared/init.mp4');
    expect(() => resolveUri('v-1/p.m3u8', 'https://elsewhere/x.ts')).toThrow(/not relative/);
    expect(() => resolveUri('p.m3u8', '../x.ts')).toThrow(/climbs above/);
  });
});

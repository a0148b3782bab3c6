import { describe, expect, it } from 'vitest';
import { h264Level, planFps, planLadder, PlanError } from '../../../src/domain/ladder.js';
import { chunkPlan } from '../../../src/domain/chunks.js';
import { versionFolder } from '../../../src/domain/layout.js';
import type { SourceProbe, VideoProbe } from '../../../src/domain/types.js';

function probe(video: Partial<VideoProbe> | undefined, extra: Partial<SourceProbe> = {}): SourceProbe {
  const v: VideoProbe | undefined = video && {
    index: 0,
    codec: 'h264',
    pixFmt: 'yuv420p',
    bitDepth: 8,
    codedWidth: 1920,
    codedHeight: 1080,
    rotation: 0,
    sar: [1, 1],
    displayWidth: video.codedWidth ?? 1920,
    displayHeight: video.codedHeight ?? 1080,
    fps: 30,
    vfr: false,
    ...video,
  };
  return {
    formatName: 'mov,mp4,m4a,3gp,3g2,mj2',
    durationSec: 60,
    sizeBytes: 50_000_000,
    ...(v ? { video: v } : {}),
    audio: { index: 1, codec: 'aac', channels: 2, sampleRate: 48000 },
    audioStreamCount: 1,
    ...extra,
  };
}

const sizes = (p: ReturnType<typeof planLadder>): string[] => p.video.map((v) => `${v.id}:${v.width}x${v.height}`);

describe('planLadder: default preset', () => {
  it('gives four 16:9 rungs for a 1080p source, bitrates descending, levels computed', () => {
    const plan = planLadder(probe({}));
    expect(sizes(plan)).toEqual(['1080p:1920x1080', '720p:1280x720', '480p:854x480', '360p:640x360']);
    const rates = plan.video.map((v) => v.bitrate);
    expect(rates).toEqual([...rates].sort((a, b) => b - a));
    // Capped CRF: quality 23 under the rung's rate, with a 2 s buffer.
    expect(plan.video[0]).toMatchObject({ bitrate: 5_000_000, maxrate: 5_000_000, bufsize: 10_000_000, crf: 23, profile: 'high', level: '4.0' });
    expect(plan.video[3]?.level).toBe('3.0');
    expect(plan).toMatchObject({ preset: 'default', formats: ['hls', 'dash'], segmentFormat: 'cmaf', fps: 30, gopFrames: 60, segmentSeconds: 4 });
    expect(plan.audio).toEqual({ id: 'audio', bitrate: 128_000, channels: 2, sampleRate: 48_000 });
  });

  it('never upscales: a 720p source tops out at 720p', () => {
    expect(sizes(planLadder(probe({ codedWidth: 1280, codedHeight: 720 })))).toEqual(['720p:1280x720', '480p:854x480', '360p:640x360']);
  });

  it('keeps a between-rungs source height as the top rung, and drops a near-duplicate rung below it', () => {
    expect(sizes(planLadder(probe({ codedWidth: 1600, codedHeight: 900 })))).toEqual(['900p:1600x900', '720p:1280x720', '480p:854x480', '360p:640x360']);
    // 760p: 720p is within 15 % of it, so it is skipped.
    expect(sizes(planLadder(probe({ codedWidth: 1352, codedHeight: 760 })))).toEqual(['760p:1352x760', '480p:854x480', '360p:640x360']);
  });

  it('gives a tiny source one rung at its own even size', () => {
    expect(sizes(planLadder(probe({ codedWidth: 321, codedHeight: 241 })))).toEqual(['240p:320x240']);
  });

  it('handles portrait on the short side', () => {
    const plan = planLadder(probe({ codedWidth: 1080, codedHeight: 1920 }));
    expect(sizes(plan)).toEqual(['1080p:1080x1920', '720p:720x1280', '480p:480x854', '360p:360x640']);
    expect(plan.video[0]?.bitrate).toBe(planLadder(probe({}))?.video[0]?.bitrate);
  });

  it('uses the display size: rotation and non-square pixels applied, dimensions even', () => {
    const rotated = planLadder(probe({ codedWidth: 1280, codedHeight: 720, rotation: 90, displayWidth: 720, displayHeight: 1280 }));
    expect(sizes(rotated)).toEqual(['720p:720x1280', '480p:480x854', '360p:360x640']);
    const anamorphic = planLadder(probe({ codedWidth: 720, codedHeight: 480, sar: [32, 27], displayWidth: 853, displayHeight: 480 }));
    expect(sizes(anamorphic)).toEqual(['480p:852x480', '360p:640x360']);
    for (const v of [...rotated.video, ...anamorphic.video]) expect([v.width % 2, v.height % 2]).toEqual([0, 0]);
  });

  it('keeps wide aspect ratios and never exceeds the source width', () => {
    expect(sizes(planLadder(probe({ codedWidth: 1920, codedHeight: 800 })))).toEqual([
      '800p:1920x800', '480p:1152x480', '360p:864x360',
    ]);
    expect(sizes(planLadder(probe({ codedWidth: 641, codedHeight: 361 })))).toEqual(['360p:640x360']);
  });

  it('caps bitrates near a low-bitrate source, scaled with the picture, with a floor', () => {
    const plan = planLadder(probe({ codedWidth: 1280, codedHeight: 720, bitRate: 1_000_000 }));
    expect(plan.video[0]?.bitrate).toBe(1_100_000);
    expect(plan.video[1]!.bitrate).toBeLessThan(plan.video[0]!.bitrate);
    for (const v of plan.video) expect(v.bitrate).toBeGreaterThanOrEqual(150_000);
    // Without a per-stream rate, the container rate minus audio is the reference.
    const fromFormat = planLadder(probe({ codedWidth: 1280, codedHeight: 720 }, { bitRate: 1_128_000, audio: { index: 1, codec: 'aac', channels: 2, sampleRate: 48000, bitRate: 128_000 } }));
    expect(fromFormat.video[0]?.bitrate).toBe(1_100_000);
  });

  it('keeps the frame rate, caps it at 60 with an even cadence, and sizes the GOP at 2 s', () => {
    expect(planLadder(probe({ fps: 120 }))).toMatchObject({ fps: 60, gopFrames: 120, segmentSeconds: 4 });
    expect(planLadder(probe({ fps: 100 }))).toMatchObject({ fps: 50, gopFrames: 100 });
    const ntsc = planLadder(probe({ fps: 29.97 }));
    expect(ntsc.fps).toBeCloseTo(30000 / 1001, 9);
    expect(ntsc.gopFrames).toBe(60);
    expect(ntsc.segmentSeconds).toBeCloseTo(4.004, 6);
    expect(planLadder(probe({ fps: 12.5 }))).toMatchObject({ fps: 12.5, gopFrames: 25, segmentSeconds: 4 });
    // 60 fps needs more bits than 30 at the same size.
    expect(planLadder(probe({ fps: 60 })).video[0]!.bitrate).toBeGreaterThan(planLadder(probe({})).video[0]!.bitrate);
  });

  it('keeps the base rate of a VFR source, unless that is a container time base', () => {
    expect(planLadder(probe({ fps: 1200 / 59, vfr: true, baseFps: 30 })).fps).toBe(30);
    expect(planLadder(probe({ fps: 29.8, vfr: true, baseFps: 1000 })).fps).toBeCloseTo(30000 / 1001, 9);
    expect(planLadder(probe({ fps: 20, vfr: false, baseFps: 30 })).fps).toBe(20);
  });

  it('downmixes surround to stereo and keeps mono mono', () => {
    expect(planLadder(probe({}, { audio: { index: 1, codec: 'aac', channels: 6, sampleRate: 48000 } })).audio?.channels).toBe(2);
    expect(planLadder(probe({}, { audio: { index: 1, codec: 'aac', channels: 1, sampleRate: 44100 } })).audio).toMatchObject({ channels: 1, sampleRate: 48000 });
  });

  it('plans video-only and audio-only sources', () => {
    const videoOnly = planLadder(probe({}, { audio: undefined, audioStreamCount: 0 }));
    expect(videoOnly.audio).toBeUndefined();
    expect(videoOnly.jobs).toEqual([{ id: 'all', videoIds: ['1080p', '720p', '480p', '360p'], audio: false, thumbnails: true }]);
    const audioOnly = planLadder(probe(undefined));
    expect(audioOnly.video).toEqual([]);
    expect(audioOnly.jobs).toEqual([{ id: 'audio', videoIds: [], audio: true, thumbnails: false }]);
    expect(audioOnly.segmentSeconds).toBe(4);
  });
});

describe('planLadder: seed preset', () => {
  it('reproduces the original ladder for a 1080p source', () => {
    const plan = planLadder(probe({}), { preset: 'seed' });
    expect(plan.video.map(({ id, width, height, bitrate, maxrate, bufsize }) => ({ id, width, height, bitrate, maxrate, bufsize }))).toEqual([
      { id: '1080p', width: 1920, height: 1080, bitrate: 5_000_000, maxrate: 5_000_000, bufsize: 10_000_000 },
      { id: '720p', width: 1280, height: 720, bitrate: 3_000_000, maxrate: 3_000_000, bufsize: 3_000_000 },
      { id: '360p', width: 640, height: 360, bitrate: 1_000_000, maxrate: 1_000_000, bufsize: 1_000_000 },
    ]);
    // The original's one-pass ABR, not capped CRF.
    expect(plan.video.every((v) => v.crf === undefined)).toBe(true);
    expect(plan.audio).toEqual({ id: 'audio', bitrate: 128_000, channels: 1, sampleRate: 44_100 });
    expect(plan).toMatchObject({ segmentSeconds: 5, gopFrames: 48 });
  });

  it('never upscales either, and ignores the source bitrate', () => {
    const plan = planLadder(probe({ codedWidth: 960, codedHeight: 540, bitRate: 500_000 }), { preset: 'seed' });
    expect(plan.video.map((v) => [v.id, v.bitrate])).toEqual([['540p', 3_000_000], ['360p', 1_000_000]]);
  });
});

describe('planLadder: options, jobs, errors', () => {
  it('splits per rendition, attaching audio and thumbnails to the lowest rung', () => {
    const plan = planLadder(probe({ codedWidth: 1280, codedHeight: 720 }), { parallelism: 'per-rendition' });
    expect(plan.jobs).toEqual([
      { id: '720p', videoIds: ['720p'], audio: false, thumbnails: false },
      { id: '480p', videoIds: ['480p'], audio: false, thumbnails: false },
      { id: '360p', videoIds: ['360p'], audio: true, thumbnails: true },
    ]);
  });

  it('forces HLS only for MPEG-TS segments and dedupes formats', () => {
    expect(planLadder(probe({}), { segmentFormat: 'ts', formats: ['dash'] }).formats).toEqual(['hls']);
    expect(planLadder(probe({}), { formats: ['dash', 'dash'] }).formats).toEqual(['dash']);
    expect(() => planLadder(probe({}), { formats: [] })).toThrow(PlanError);
  });

  it('carries each stream\'s own declared duration, so outputs are judged by it', () => {
    const plan = planLadder(probe({ durationSec: 58 }, { audio: { index: 1, codec: 'aac', channels: 2, sampleRate: 48000, durationSec: 59.5 } }));
    expect(plan).toMatchObject({ durationSec: 60, videoDurationSec: 58, audio: { durationSec: 59.5 } });
    const undeclared = planLadder(probe({}));
    expect(undeclared.videoDurationSec).toBeUndefined();
    expect(undeclared.audio?.durationSec).toBeUndefined();
  });

  it('keeps every audio track by default, the source\'s default first, with language, unique names and roles', () => {
    const tracks = [
      { index: 1, codec: 'aac', channels: 2, sampleRate: 48000, language: 'fra', title: 'Version française' },
      { index: 2, codec: 'ac3', channels: 6, sampleRate: 48000, language: 'eng', default: true },
      { index: 3, codec: 'aac', channels: 2, sampleRate: 44100, language: 'eng', role: 'commentary' as const },
      { index: 4, codec: 'opus', channels: 1, sampleRate: 48000 },
    ];
    const p = probe({}, { audio: tracks[1], audioTracks: tracks, audioStreamCount: 4 });
    const plan = planLadder(p);
    const audio = [plan.audio, ...(plan.moreAudio ?? [])].map((a) => a && [a.id, a.sourceIndex, a.language, a.name, a.role, a.channels]);
    expect(audio).toEqual([
      ['audio', 2, 'eng', 'eng', 'main', 2],
      ['audio-fra', 1, 'fra', 'Version française', 'alternate', 2],
      ['audio-eng', 3, 'eng', 'eng (2)', 'commentary', 2],
      ['audio-und', 4, undefined, 'Audio 4', 'alternate', 1],
    ]);
    expect(planLadder(p, { audioTracks: 'first' }).moreAudio).toBeUndefined();
    expect(planLadder(p, { audioTracks: 'first' }).audio).toMatchObject({ id: 'audio', sourceIndex: 2 });
    const french = planLadder(p, { audioTracks: ['FRA'] });
    expect([french.audio?.sourceIndex, french.moreAudio]).toEqual([1, undefined]);
    // No track of the listed languages: the default track, never silence.
    expect(planLadder(p, { audioTracks: ['deu'] }).audio?.sourceIndex).toBe(2);
    expect(planLadder(p, { preset: 'seed' }).moreAudio).toBeUndefined();
    // A one-track source plans exactly what it always did.
    expect(planLadder(probe({})).audio).toEqual({ id: 'audio', bitrate: 128_000, channels: 2, sampleRate: 48_000 });
  });

  it('adds a 5.1 AAC rendition of each track of 6 or more channels when surround is on, after the stereo ones', () => {
    const tracks = [
      { index: 1, codec: 'ac3', channels: 6, sampleRate: 48000, language: 'eng', title: 'English', default: true },
      { index: 2, codec: 'aac', channels: 2, sampleRate: 48000, language: 'fra' },
      { index: 3, codec: 'eac3', channels: 8, sampleRate: 48000, language: 'deu' },
    ];
    const p = probe({}, { audio: tracks[0], audioTracks: tracks, audioStreamCount: 3 });
    const plan = planLadder(p, { surround: true });
    const audio = [plan.audio, ...(plan.moreAudio ?? [])].map((a) => a && [a.id, a.sourceIndex, a.language, a.name, a.role, a.channels, a.bitrate]);
    expect(audio).toEqual([
      ['audio', 1, 'eng', 'English', 'main', 2, 128_000],
      ['audio-fra', 2, 'fra', 'fra', 'alternate', 2, 128_000],
      ['audio-deu', 3, 'deu', 'deu', 'alternate', 2, 128_000],
      // Same name, language and role as the stereo rendition: the manifests pair them by name.
      ['audio-51', 1, 'eng', 'English', 'main', 6, 384_000],
      ['audio-deu-51', 3, 'deu', 'deu', 'alternate', 6, 384_000],
    ]);
    // The downloads keep the stereo default; the job that encodes audio encodes the 5.1 ones too.
    expect(planLadder(p, { surround: true, downloads: 'top' }).audio).toMatchObject({ id: 'audio', channels: 2 });
    // Off by default (plans of runs recorded before it), and for the seed preset.
    expect(planLadder(p).moreAudio?.map((a) => a.channels)).toEqual([2, 2]);
    expect(planLadder(p, { surround: true, preset: 'seed' }).moreAudio).toBeUndefined();
    // A one-track 5.1 source (no track list in its probe) keeps its rendition and gains the 5.1 one.
    const single = planLadder(probe({}, { audio: { index: 1, codec: 'aac', channels: 6, sampleRate: 48000 } }), { surround: true });
    expect([single.audio, ...(single.moreAudio ?? [])].map((a) => a && [a.id, a.channels])).toEqual([['audio', 2], ['audio-51', 6]]);
    expect(planLadder(probe({}), { surround: true }).moreAudio).toBeUndefined();
  });

  it('encodes the 5.1 rendition in the one job that encodes audio, the time-split plan\'s audio job included', () => {
    const p = probe({}, { durationSec: 3600, audio: { index: 1, codec: 'aac', channels: 6, sampleRate: 48000 } });
    const split = chunkPlan(planLadder(p, { surround: true }), { thresholdSec: 1200, chunkSec: 60 });
    expect(split.moreAudio?.map((a) => [a.id, a.channels])).toEqual([['audio-51', 6]]);
    expect(split.jobs.filter((j) => j.audio).map((j) => [j.id, j.videoIds.length, j.chunk])).toEqual([['audio', 0, undefined]]);
  });

  it('names the version folder after the etag', () => {
    expect(planLadder(probe({}), { etag: 'abc' }).version).toBe(versionFolder('abc'));
    expect(planLadder(probe({}), { etag: 'abc' }).version).not.toBe(planLadder(probe({}), { etag: 'abd' }).version);
  });

  it('throws PlanError when nothing can be streamed', () => {
    expect(() => planLadder(probe(undefined, { audio: undefined }))).toThrow(/no decodable video or audio/);
    expect(() => planLadder(probe({}, { durationSec: 0 }))).toThrow(PlanError);
    const error = (() => {
      try {
        planLadder(probe({ displayWidth: 0, displayHeight: 0 }));
      } catch (e) {
        return e as Error;
      }
    })();
    expect(error?.name).toBe('PlanError');
  });
});

describe('helpers', () => {
  it('planFps snaps near-standard rates and keeps odd ones', () => {
    expect(planFps(30.3)).toBe(30);
    expect(planFps(29.6)).toBeCloseTo(30000 / 1001, 9);
    expect(planFps(23.98)).toBeCloseTo(24000 / 1001, 9);
    expect(planFps(20)).toBe(20);
    expect(planFps(119.88)).toBeCloseTo(60000 / 1001, 9);
    expect(planFps(0)).toBe(30);
  });

  it('h264Level follows table A-1', () => {
    expect(h264Level(1920, 1080, 30, 7_500_000)).toBe('4.0');
    expect(h264Level(1920, 1080, 60, 7_500_000)).toBe('4.2');
    expect(h264Level(1280, 720, 30, 4_500_000)).toBe('3.1');
    expect(h264Level(1280, 720, 60, 4_500_000)).toBe('3.2');
    expect(h264Level(640, 360, 30, 1_200_000)).toBe('3.0');
    expect(h264Level(3840, 2160, 30, 20_000_000)).toBe('5.1');
  });
});

// HEVC and AV1 rungs beside H.264: the setting, the plan (rungs, jobs, preview, downloads), and the masters.
import { XMLParser } from 'fast-xml-parser';
import { describe, expect, it } from 'vitest';
import { planSummary } from '../../../src/activities/job-record.js';
import { loadConfig } from '../../../src/config.js';
import { chunkPlan, previewFirst } from '../../../src/domain/chunks.js';
import { planLadder } from '../../../src/domain/ladder.js';
import { renderDashManifest, renderMasterPlaylist } from '../../../src/domain/manifests/index.js';
import { planSchema } from '../../../src/domain/contract.js';
import type { RenditionMeta, SourceProbe, VideoProbe } from '../../../src/domain/types.js';
import { verifyOutputs } from '../../../src/domain/verify.js';
import { audioRendition, videoRendition } from './manifests/fixtures.js';

function probe(video: Partial<VideoProbe> = {}, durationSec = 60): SourceProbe {
  return {
    formatName: 'mov,mp4,m4a,3gp,3g2,mj2',
    durationSec,
    sizeBytes: 50_000_000,
    video: { index: 0, codec: 'h264', pixFmt: 'yuv420p', bitDepth: 8, codedWidth: 1280, codedHeight: 720, rotation: 0, sar: [1, 1], displayWidth: 1280, displayHeight: 720, fps: 30, vfr: false, ...video },
    audio: { index: 1, codec: 'aac', channels: 2, sampleRate: 48000 },
    audioStreamCount: 1,
  };
}

describe('OCI_TRANSCODE_CODECS', () => {
  it('is H.264 alone by default; takes hevc and av1 beside it; names a codec it does not know or a list without h264', () => {
    expect(loadConfig({}).videoCodecs).toEqual(['h264']);
    expect(loadConfig({ OCI_TRANSCODE_CODECS: 'h264, hevc,av1' }).videoCodecs).toEqual(['h264', 'hevc', 'av1']);
    expect(() => loadConfig({ OCI_TRANSCODE_CODECS: 'h264,vp9' })).toThrow(/OCI_TRANSCODE_CODECS: /);
    expect(() => loadConfig({ OCI_TRANSCODE_CODECS: 'hevc' })).toThrow(/OCI_TRANSCODE_CODECS: must include h264/);
  });
});

describe('planLadder with HEVC and AV1', () => {
  it('keeps the H.264 ladder as it was, then a full ladder per extra codec at 0.7 (HEVC) and 0.6 (AV1) of its rates, 8-bit from an 8-bit source', () => {
    const h264 = planLadder(probe());
    const plan = planLadder(probe(), { videoCodecs: ['h264', 'hevc', 'av1'] });
    expect(plan.video.slice(0, 3)).toEqual(h264.video);
    expect(plan.video.map((v) => v.id)).toEqual(['720p', '480p', '360p', '720p-hevc', '480p-hevc', '360p-hevc', '720p-av1', '480p-av1', '360p-av1']);
    const hevc = plan.video[3]!;
    const top = h264.video[0]!;
    expect(hevc).toEqual({ id: '720p-hevc', width: 1280, height: 720, bitrate: Math.round((top.bitrate * 0.7) / 1000) * 1000, maxrate: Math.round((Math.round((top.bitrate * 0.7) / 1000) * 1000 * 1.5) / 1000) * 1000, bufsize: Math.round(top.bufsize * 0.7), profile: 'main', level: 'auto', codec: 'hevc' });
    expect(plan.video[6]).toMatchObject({ codec: 'av1', bitrate: Math.round((top.bitrate * 0.6) / 1000) * 1000, profile: 'main' });
    expect(plan.video[6]).not.toHaveProperty('bitDepth');
    expect(planSchema.parse(plan)).toEqual(plan);
    expect(plan.videoCodecsSkipped).toBeUndefined();
  });

  it('encodes a 10-bit source as HEVC Main10 and AV1 10-bit (H.264 stays High 8-bit)', () => {
    const plan = planLadder(probe({ bitDepth: 10, pixFmt: 'yuv420p10le' }), { videoCodecs: ['h264', 'hevc', 'av1'] });
    expect(plan.video.map((v) => `${v.id}:${v.profile}:${v.bitDepth ?? 8}`)).toEqual([
      '720p:high:8', '480p:high:8', '360p:high:8', '720p-hevc:main10:10', '480p-hevc:main10:10', '360p-hevc:main10:10', '720p-av1:main:10', '480p-av1:main:10', '360p-av1:main:10',
    ]);
  });

  it('plans H.264 alone with MPEG-TS segments, and says why', () => {
    const plan = planLadder(probe(), { videoCodecs: ['h264', 'hevc'], segmentFormat: 'ts' });
    expect(plan.video.map((v) => v.id)).toEqual(['720p', '480p', '360p']);
    expect(plan.videoCodecsSkipped).toBe('hevc not encoded: MPEG-TS segments carry H.264 only (HEVC and AV1 need CMAF)');
    expect(planSummary(plan, {}).videoCodecsSkipped).toBe(plan.videoCodecsSkipped);
    expect(planSummary(planLadder(probe(), { videoCodecs: ['h264', 'av1'] }), {}).video.map((v) => v.codec ?? 'h264')).toEqual(['h264', 'h264', 'h264', 'av1', 'av1', 'av1']);
  });

  it('gives audio and thumbnails to the lowest H.264 rung per rendition, and makes downloads and the preview of H.264', () => {
    const plan = planLadder(probe(), { videoCodecs: ['h264', 'av1'], parallelism: 'per-rendition', downloads: '240p' });
    expect(plan.jobs.filter((j) => j.audio || j.thumbnails).map((j) => j.id)).toEqual(['360p']);
    expect(plan.jobs).toHaveLength(6);
    expect(plan.downloads?.videoId).toBe('360p');
    const long = chunkPlan(planLadder(probe({}, 3600), { videoCodecs: ['h264', 'hevc'] }), { thresholdSec: 1200, chunkSec: 60 });
    expect(long.jobs[1]?.videoIds).toEqual(['720p', '480p', '360p', '720p-hevc', '480p-hevc', '360p-hevc']);
    const preview = previewFirst(long, 20);
    expect(preview.jobs.filter((j) => j.preview && j.chunk).every((j) => j.videoIds.join() === '360p')).toBe(true);
  });
});

describe('masters with HEVC and AV1 renditions', () => {
  const hevc = (h: number): ReturnType<typeof videoRendition> => ({ ...videoRendition(h), id: `${h}p-hevc`, codecs: 'hvc1.2.4.L93.90', peakBitrate: h * 3500, averageBitrate: h * 2800 });
  const av1 = (h: number): ReturnType<typeof videoRendition> => ({ ...videoRendition(h), id: `${h}p-av1`, codecs: 'av01.0.08M.10', peakBitrate: h * 3000, averageBitrate: h * 2400 });
  const renditions = [videoRendition(720), videoRendition(360), hevc(720), hevc(360), av1(720), av1(360), audioRendition()];

  it('HLS: one variant per rung of every codec with its own CODECS; an H.264 variant first, even where an HEVC or AV1 one fits the start rate better', () => {
    const master = renderMasterPlaylist(renditions);
    const variants = master.split('\n').filter((l) => l.startsWith('#EXT-X-STREAM-INF'));
    expect(variants).toHaveLength(6);
    const codecs = variants.map((v) => /CODECS="([^"]+)"/.exec(v)?.[1]);
    // 720p-hevc (peak 2.52 Mbit/s + audio) is the costliest variant within 3 Mbit/s; 720p H.264 (3.6 + audio) is not.
    expect(codecs[0]).toBe('avc1.4d401e,mp4a.40.2');
    expect(codecs.slice(1)).toEqual(['avc1.64001f,mp4a.40.2', 'hvc1.2.4.L93.90,mp4a.40.2', 'av01.0.08M.10,mp4a.40.2', 'hvc1.2.4.L93.90,mp4a.40.2', 'av01.0.08M.10,mp4a.40.2']);
  });

  it('DASH: one video AdaptationSet per codec, H.264 first, each with its own rungs', () => {
    const xml = renderDashManifest([hevc(720), ...renditions.filter((r) => r.id !== '720p-hevc')], { durationSec: 10.5 });
    const mpd = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '', isArray: (n) => ['AdaptationSet', 'Representation'].includes(n) }).parse(xml) as { MPD: { Period: { AdaptationSet: { id: string; contentType: string; maxWidth?: string; Representation: { id: string; codecs: string }[] }[] } } };
    const sets = mpd.MPD.Period.AdaptationSet;
    expect(sets.map((s) => `${s.id}:${s.contentType}:${s.Representation.map((r) => r.id).join('+')}`)).toEqual(['0:video:720p+360p', '1:video:720p-hevc+360p-hevc', '2:video:720p-av1+360p-av1', '3:audio:audio']);
    expect(sets[1]?.Representation.map((r) => r.codecs)).toEqual(['hvc1.2.4.L93.90', 'hvc1.2.4.L93.90']);
    expect(sets[2]?.maxWidth).toBe('1280');
  });
});

describe('verifyOutputs with HEVC and AV1 rungs', () => {
  const plan = planLadder(probe(), { videoCodecs: ['h264', 'hevc', 'av1'], etag: 'e' });
  const rendition = (id: string, codecs: string): RenditionMeta => ({ ...videoRendition(Number(/^(\d+)p/.exec(id)?.[1])), id, codecs, width: 1280, height: 720, playlist: `${plan.version}/${id}/playlist.m3u8`, initSegment: `${plan.version}/${id}/init.mp4`, segments: [] });
  const problems = (codecs: Record<string, string>): string[] => {
    const metas = plan.video.map((v) => rendition(v.id, codecs[v.id] ?? (v.codec === 'hevc' ? 'hvc1.1.6.L93.90' : v.codec === 'av1' ? 'av01.0.08M.08' : 'avc1.64001f')));
    return verifyOutputs({ plan, files: [{ schema: 1, jobId: 'all', version: plan.version, segmentFormat: 'cmaf', durationSec: 60, renditions: metas }], listing: [] }).filter((p) => p.code === 'codec-mismatch').map((p) => p.message);
  };

  it('accepts each rung written in its planned codec, and names one that is not', () => {
    expect(problems({})).toEqual([]);
    expect(problems({ '480p-av1': 'avc1.64001f', '720p-hevc': 'hev1.1.6.L93.90' })).toEqual(['rendition 480p-av1 is avc1.64001f, planned as av1']);
  });
});

import { describe, expect, it } from 'vitest';
import { chunkPlan, previewFirst, previewPlan } from '../../../src/domain/chunks.js';
import { planLadder } from '../../../src/domain/ladder.js';
import { STITCHED_JOB, stitchChunks, stitchedPlan } from '../../../src/domain/stitch.js';
import type { Plan, RenditionMeta, RenditionsFile, SourceProbe } from '../../../src/domain/types.js';

const probe: SourceProbe = {
  formatName: 'mp4',
  durationSec: 40,
  sizeBytes: 1,
  video: { index: 0, codec: 'h264', pixFmt: 'yuv420p', bitDepth: 8, codedWidth: 640, codedHeight: 360, rotation: 0, sar: [1, 1], displayWidth: 640, displayHeight: 360, fps: 30, vfr: false },
  audio: { index: 1, codec: 'aac', channels: 2, sampleRate: 48000 },
  audioStreamCount: 1,
};
// 40 s: ten 4 s segments, chunks of two: five chunks.
const plan: Plan = chunkPlan(planLadder(probe, { etag: 'e' }), { thresholdSec: 10, chunkSec: 8 });
const TS = 15360;
const SEG = 4 * TS;
const HASH = 'a'.repeat(64);

function chunkFile(jobId: string, o: { shift?: number; hash?: string; numbers?: number[] } = {}): RenditionsFile {
  const job = plan.jobs.find((j) => j.id === jobId)!;
  const c = job.chunk!;
  const numbers = o.numbers ?? Array.from({ length: c.segments }, (_, k) => c.firstSegment + k + 1);
  const meta: RenditionMeta = {
    id: '360p', kind: 'video', codecs: 'avc1.64001e', width: 640, height: 360, frameRate: 30, peakBitrate: 900_000 + c.index, averageBitrate: 800_000,
    playlist: `${plan.version}/360p/playlist.m3u8`, initSegment: `${plan.version}/360p/init.mp4`, initSha256: o.hash ?? HASH, timescale: TS, durationSec: 8,
    segments: numbers.map((n, k) => ({ uri: `${plan.version}/360p/seg_${String(n).padStart(5, '0')}.m4s`, start: (c.firstSegment + k) * SEG + (o.shift ?? 0), duration: SEG, durationSec: 4, bytes: 400_000 })),
  };
  return { schema: 1, jobId, version: plan.version, segmentFormat: 'cmaf', durationSec: 8, renditions: [meta] };
}
const audio: RenditionsFile = { schema: 1, jobId: 'audio', version: plan.version, segmentFormat: 'cmaf', durationSec: 40, renditions: [] };
const chunkIds = plan.jobs.filter((j) => j.chunk).map((j) => j.id);

describe('stitchChunks', () => {
  it('joins the chunks of each rung in order into one rendition, and leaves other jobs\' files as they are', () => {
    expect(chunkIds).toEqual(['c001', 'c002', 'c003', 'c004', 'c005']);
    const files = stitchChunks(plan, [audio, ...[...chunkIds].reverse().map((id) => chunkFile(id))]);
    expect(files.map((f) => f.jobId)).toEqual([STITCHED_JOB, 'audio']);
    const r = files[0]!.renditions[0]!;
    expect(r.segments.map((s) => s.uri.split('/').pop())).toEqual(Array.from({ length: 10 }, (_, k) => `seg_${String(k + 1).padStart(5, '0')}.m4s`));
    expect(r.durationSec).toBe(40);
    expect(r.peakBitrate).toBe(900_004);
    expect(r.averageBitrate).toBe(800_000);
    expect(stitchedPlan(plan).jobs.map((j) => j.id)).toEqual([STITCHED_JOB, 'audio']);
  });

  it('passes plans that are not split through', () => {
    const single = planLadder(probe, { etag: 'e' });
    expect(stitchChunks(single, [audio])).toEqual([audio]);
  });

  it('fails loudly on a gap, an overlap, a wrong segment number, a different init segment or a missing chunk', () => {
    const withChunk = (id: string, file: RenditionsFile): RenditionsFile[] => [audio, ...chunkIds.map((c) => (c === id ? file : chunkFile(c)))];
    expect(() => stitchChunks(plan, withChunk('c003', chunkFile('c003', { shift: 512 })))).toThrow(/chunk c003: .*seg_00005\.m4s starts after a gap of 0\.033333 s/);
    expect(() => stitchChunks(plan, withChunk('c003', chunkFile('c003', { shift: -512 })))).toThrow(/inside the segment before/);
    expect(() => stitchChunks(plan, withChunk('c002', chunkFile('c002', { numbers: [3, 5] })))).toThrow(/seg_00005\.m4s should be segment 4/);
    expect(() => stitchChunks(plan, withChunk('c004', chunkFile('c004', { hash: 'b'.repeat(64) })))).toThrow(/chunk c004: initSha256 b+ differs from chunk c001's a+/);
    expect(() => stitchChunks(plan, [audio, ...chunkIds.slice(1).map((c) => chunkFile(c))])).toThrow(/chunk c001 wrote no renditions\.json/);
  });

  it('joins a preview-first plan: each rung from the set of chunks that encoded it, the preview plan from its own', () => {
    const hd = { ...probe, video: { ...probe.video!, codedWidth: 1280, codedHeight: 720, displayWidth: 1280, displayHeight: 720 } };
    const p = previewFirst(chunkPlan(planLadder(hd, { etag: 'e' }), { thresholdSec: 10, chunkSec: 8 }), 2);
    const lowest = p.video.at(-1)!.id;
    const fileOf = (jobId: string): RenditionsFile => {
      const job = p.jobs.find((j) => j.id === jobId)!;
      const c = job.chunk!;
      const renditions = job.videoIds.map((id): RenditionMeta => ({
        id, kind: 'video', codecs: 'avc1.64001f', width: 1, height: 1, frameRate: 30, peakBitrate: 1, averageBitrate: 1, timescale: TS, durationSec: 4 * c.segments,
        playlist: `${p.version}/${id}/playlist.m3u8`, initSegment: `${p.version}/${id}/init.mp4`, initSha256: HASH,
        segments: Array.from({ length: c.segments }, (_, k) => ({ uri: `${p.version}/${id}/seg_${String(c.firstSegment + k + 1).padStart(5, '0')}.m4s`, start: (c.firstSegment + k) * SEG, duration: SEG, durationSec: 4, bytes: 1 })),
      }));
      return { schema: 1, jobId, version: p.version, segmentFormat: 'cmaf', durationSec: 4 * c.segments, renditions };
    };
    const chunkJobs = p.jobs.filter((j) => j.chunk).map((j) => j.id);
    expect(chunkJobs[0]).toBe('p001');
    const all = stitchChunks(p, [audio, ...chunkJobs.map(fileOf)]);
    expect(all[0]!.renditions.map((r) => [r.id, r.segments.length])).toEqual(p.video.map((v) => [v.id, 10]));
    const preview = previewPlan(p)!;
    const first = stitchChunks(preview, [audio, ...preview.jobs.filter((j) => j.chunk).map((j) => fileOf(j.id))]);
    expect(first[0]!.renditions.map((r) => [r.id, r.segments.length])).toEqual([[lowest, 10]]);
  });
});

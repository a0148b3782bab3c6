import { describe, expect, it } from 'vitest';
import { chunkPlan, historyBudget, isChunked, jobSeconds, MAX_CHUNKS, PREVIEW_MIN_CHUNKS, previewFirst, previewPlan, segmentFrames, TEMPORAL_LIMITS, unsplittable } from '../../../src/domain/chunks.js';
import { planSchema } from '../../../src/domain/contract.js';
import { planLadder } from '../../../src/domain/ladder.js';
import type { SourceProbe } from '../../../src/domain/types.js';
import { loadConfig } from '../../../src/config.js';

function probe(durationSec: number, fps = 30, audio = true): SourceProbe {
  return {
    formatName: 'mov,mp4,m4a,3gp,3g2,mj2',
    durationSec,
    sizeBytes: 1_000_000,
    video: { index: 0, codec: 'h264', pixFmt: 'yuv420p', bitDepth: 8, codedWidth: 1920, codedHeight: 1080, rotation: 0, sar: [1, 1], displayWidth: 1920, displayHeight: 1080, fps, vfr: false },
    ...(audio ? { audio: { index: 1, codec: 'aac', channels: 2, sampleRate: 48000 } } : {}),
    audioStreamCount: audio ? 1 : 0,
  };
}

const options = { thresholdSec: 600, chunkSec: 60 };

describe('chunkPlan', () => {
  it('leaves sources up to the threshold, and plans it cannot cut on segments, as they are', () => {
    const short = planLadder(probe(600));
    expect(chunkPlan(short, options)).toBe(short);
    expect(unsplittable(planLadder(probe(3600, 30, false)), options)).toMatch(/no audio/);
    expect(unsplittable(planLadder(probe(3600), { segmentFormat: 'ts' }), options)).toMatch(/CMAF/);
    // seed: 5 s segments over 48-frame GOPs, so segment starts are not keyframes.
    expect(unsplittable(planLadder(probe(3600, 24), { preset: 'seed' }), options)).toMatch(/not whole GOPs/);
  });

  it('cuts a long source on segment boundaries: one job per chunk with every rung, then one audio job', () => {
    const ladder = planLadder(probe(1000.5));
    const plan = chunkPlan(ladder, options);
    expect(planSchema.parse(plan)).toEqual(plan);
    expect(isChunked(plan)).toBe(true);
    const [audio, ...chunks] = plan.jobs;
    expect(audio).toEqual({ id: 'audio', videoIds: [], audio: true, thumbnails: true });
    // 1000.5 s / 4 s = 250.1 -> 251 segments; 15 per chunk -> 16 chunks and 11 segments: the last takes them.
    expect(ladder.segmentSeconds).toBe(4);
    expect(chunks).toHaveLength(17);
    const perSegment = segmentFrames(plan)!;
    expect(perSegment).toBe(120);
    let next = 0;
    for (const job of chunks) {
      const c = job.chunk!;
      expect(job.videoIds).toEqual(ladder.video.map((v) => v.id));
      expect([job.audio, job.thumbnails]).toEqual([false, false]);
      expect(c.firstSegment).toBe(next);
      expect(c.startFrame).toBe(c.firstSegment * perSegment);
      expect(c.startFrame % plan.gopFrames).toBe(0);
      next += c.segments;
    }
    expect(next).toBe(251);
    expect(chunks.map((j) => j.chunk!.segments)).toEqual([...Array<number>(16).fill(15), 11]);
    expect(chunks.at(-1)!.chunk!.frames).toBeUndefined();
    expect(chunks[0]!.chunk!.frames).toBe(15 * 120);
    expect(chunks.map((j) => j.id).slice(0, 2)).toEqual(['c001', 'c002']);
  });

  it('folds a remainder under half a chunk into the last chunk', () => {
    // 616 s = 154 segments = 10 x 15 + 4: 10 chunks, the last with 19 segments.
    const plan = chunkPlan(planLadder(probe(616)), options);
    expect(plan.jobs.slice(1).map((j) => j.chunk!.segments)).toEqual([...Array<number>(9).fill(15), 19]);
  });

  it('keeps NTSC chunks frame-exact (segments of 120 frames at 29.97 fps)', () => {
    const plan = chunkPlan(planLadder(probe(1200, 30000 / 1001)), options);
    expect(plan.segmentSeconds).toBeCloseTo(120 / plan.fps, 9);
    expect(segmentFrames(plan)).toBe(120);
    const second = plan.jobs[2]!;
    expect(second.chunk).toMatchObject({ firstSegment: 15, startFrame: 1800, frames: 1800 });
    expect(jobSeconds(plan, second)).toBeCloseTo(1800 / plan.fps, 9);
  });

  it('weights each chunk by its own range, the audio job by the whole source', () => {
    const plan = chunkPlan(planLadder(probe(1000.5)), options);
    const total = plan.jobs.slice(1).reduce((s, j) => s + jobSeconds(plan, j), 0);
    expect(total).toBeCloseTo(1000.5, 6);
    expect(jobSeconds(plan, plan.jobs[0]!)).toBe(1000.5);
    expect(jobSeconds(plan, plan.jobs[1]!)).toBe(60);
  });

  it('never plans more than MAX_CHUNKS chunks, growing them instead', () => {
    const plan = chunkPlan(planLadder(probe(6 * 3600)), { thresholdSec: 60, chunkSec: 4 });
    expect(plan.jobs.length - 1).toBeLessThanOrEqual(MAX_CHUNKS);
    expect(plan.jobs[1]!.chunk!.segments).toBe(18);
  });
});

describe('previewFirst', () => {
  const chunked = chunkPlan(planLadder(probe(2 * 3600)), { thresholdSec: 1200, chunkSec: 60 });
  const lowest = chunked.video.at(-1)!.id;

  it('takes the lowest rung out of the chunks into one wave of longer preview jobs, right after the audio job', () => {
    const plan = previewFirst(chunked, 20);
    expect(planSchema.parse(plan)).toEqual(plan);
    const previews = plan.jobs.filter((j) => j.preview && j.chunk);
    // 120 chunks, 19 instances beside the audio job: 8 chunks per preview job -> 15 of them.
    expect(chunked.jobs).toHaveLength(121);
    expect(previews).toHaveLength(15);
    expect(plan.jobs.slice(0, 16).map((j) => j.id)).toEqual(['audio', ...previews.map((j) => j.id)]);
    expect(plan.jobs[0]!.preview).toBe(true);
    expect(previews.every((j) => j.videoIds.length === 1 && j.videoIds[0] === lowest)).toBe(true);
    // The preview jobs tile the whole timeline, as the chunks do, and the chunks keep every other rung.
    const span = (jobs: typeof previews) => jobs.map((j) => [j.chunk!.firstSegment, j.chunk!.segments] as const);
    const tiles = span(previews);
    expect(tiles[0]![0]).toBe(0);
    for (let i = 1; i < tiles.length; i++) expect(tiles[i]![0]).toBe(tiles[i - 1]![0] + tiles[i - 1]![1]);
    expect(tiles.reduce((n, [, k]) => n + k, 0)).toBe(chunked.jobs.slice(1).reduce((n, j) => n + j.chunk!.segments, 0));
    expect(previews.at(-1)!.chunk!.frames).toBeUndefined();
    expect(previews.reduce((n, j) => n + jobSeconds(plan, j), 0)).toBeCloseTo(7200, 6);
    const rest = plan.jobs.slice(16);
    expect(rest.map((j) => j.id)).toEqual(chunked.jobs.slice(1).map((j) => j.id));
    expect(rest.every((j) => !j.preview && !j.videoIds.includes(lowest) && j.videoIds.length === chunked.video.length - 1)).toBe(true);
    const p = previewPlan(plan)!;
    expect(p.video.map((v) => v.id)).toEqual([lowest]);
    expect(p.jobs.map((j) => j.id)).toEqual(['audio', ...previews.map((j) => j.id)]);
  });

  it('leaves a plan alone when every job gets an instance, when there is one rung, or when it is not split', () => {
    expect(previewFirst(chunked, 121)).toBe(chunked);
    const one = chunkPlan(planLadder({ ...probe(3600), video: { ...probe(3600).video!, codedWidth: 320, codedHeight: 180, displayWidth: 320, displayHeight: 180 } }), options);
    expect(one.video).toHaveLength(1);
    expect(previewFirst(one, 2)).toBe(one);
    const short = planLadder(probe(60));
    expect(previewFirst(short, 1)).toBe(short);
    expect(previewPlan(chunked)).toBeUndefined();
  });

  it('with one instance, still encodes the preview first; never more than a chunk count / 8 of preview jobs', () => {
    expect(previewFirst(chunked, 1).jobs.slice(0, 2).map((j) => [j.id, j.chunk?.segments])).toEqual([['audio', undefined], ['p001', 1800]]);
    expect(previewFirst(chunked, 100).jobs.filter((j) => j.id.startsWith('p'))).toHaveLength(120 / PREVIEW_MIN_CHUNKS);
  });
});

describe('historyBudget', () => {
  it('keeps a three-hour source well under Temporal limits with the default settings, every retry included', () => {
    const config = loadConfig({});
    const plan = chunkPlan(planLadder(probe(3 * 3600)), config.chunking);
    expect(plan.jobs).toHaveLength(181);
    const budget = historyBudget(plan, { maxAttempts: config.job.maxAttempts, instances: config.chunking.maxInstances });
    expect(budget.events).toBeLessThan(TEMPORAL_LIMITS.events / 5);
    expect(budget.worstEvents).toBeLessThan(TEMPORAL_LIMITS.events / 2);
    expect(budget.pendingActivities).toBeLessThan(TEMPORAL_LIMITS.pendingActivities / 50);
  });

  it('stays under the limits for the longest accepted source, the most chunks and the highest cap', () => {
    const config = loadConfig({ OCI_TRANSCODE_CHUNK_SEC: '4', OCI_TRANSCODE_MAX_INSTANCES: '500', OCI_TRANSCODE_JOB_MAX_ATTEMPTS: '3' });
    const plan = chunkPlan(planLadder(probe(config.limits.maxDurationSec)), config.chunking);
    const budget = historyBudget(plan, { maxAttempts: 3, instances: config.chunking.maxInstances });
    expect(budget.worstEvents).toBeLessThan(TEMPORAL_LIMITS.events * 0.7);
    expect(budget.pendingActivities).toBeLessThan(TEMPORAL_LIMITS.pendingActivities / 3);
    // Preview first adds the most jobs when the cap is just below the job count.
    const preview = previewFirst(plan, MAX_CHUNKS);
    expect(preview.jobs.length).toBeGreaterThan(plan.jobs.length);
    expect(historyBudget(preview, { maxAttempts: 3, instances: MAX_CHUNKS }).worstEvents).toBeLessThan(TEMPORAL_LIMITS.events * 0.7);
  });
});

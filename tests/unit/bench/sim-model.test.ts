// bench:simulate's pure parts: the schedule model (cap, plan order, turnover), the turnover measured from a
// timeline, the projection (with a preview), the job kinds of a preview-first plan, and the simulated
// outputs, which must pass the real stitch and verify logic (the preview's plan and the full one).
import { describe, expect, it } from 'vitest';
import { busySec, jobKind, peakOverlap, planWork, project, schedule, turnover } from '../../../bench/lib/sim-model.js';
import { filmProbe, simulatedOutputs } from '../../../bench/lib/sim-outputs.js';
import { chunkPlan, jobSeconds, previewFirst, previewPlan } from '../../../src/domain/chunks.js';
import type { Plan } from '../../../src/domain/types.js';
import { planLadder } from '../../../src/domain/ladder.js';
import { STITCHED_JOB, stitchChunks, stitchedPlan } from '../../../src/domain/stitch.js';
import { renderMediaPlaylist } from '../../../src/domain/manifests/index.js';
import { verifyOutputs } from '../../../src/domain/verify.js';

const jobs = (secs: number[]) => secs.map((sec, i) => ({ id: `j${i}`, sec }));

describe('schedule', () => {
  it('admits jobs in plan order into the slot that frees first, never more than the cap', () => {
    const s = schedule(jobs([10, 4, 4, 4, 4]), 2, 1);
    // j0 holds one slot 0-10; the other runs j1 0-4, j2 5-9, j3 10-14; j4 takes j0's slot at 11.
    expect(s.jobs.map((j) => [j.startSec, j.endSec])).toEqual([[0, 10], [0, 4], [5, 9], [10, 14], [11, 15]]);
    expect(s.makespanSec).toBe(15);
    expect(s.peak).toBe(2);
  });

  it('with a slot per job, the longest job is the makespan', () => {
    expect(schedule(jobs([3, 9, 5]), 60, 2).makespanSec).toBe(9);
  });

  it('refuses a cap below one and negative turnover', () => {
    expect(() => schedule(jobs([1]), 0, 0)).toThrow(/cap/);
    expect(() => schedule(jobs([1]), 1, -1)).toThrow(/turnover/);
  });

  it('counts an end and a start at the same moment as no overlap', () => {
    expect(peakOverlap([{ startSec: 0, endSec: 5 }, { startSec: 5, endSec: 8 }])).toBe(1);
    expect(peakOverlap([{ startSec: 0, endSec: 5 }, { startSec: 4, endSec: 8 }])).toBe(2);
  });
});

describe('turnover', () => {
  it('pairs the k-th deletion with the (cap + k)-th start', () => {
    const t = turnover(
      [
        { startedAt: 0, endedAt: 100, detectedAt: 110, deletedAt: 120 },
        { startedAt: 0, endedAt: 200, detectedAt: 230, deletedAt: 240 },
        { startedAt: 150, endedAt: 300, detectedAt: 305, deletedAt: 310 },
        { startedAt: 260 },
      ],
      2,
    );
    // Job 0 freed its slot for the start at 150 (40 ms after its end was seen), job 1 for 260 (30 ms).
    expect(t.samples).toBe(2);
    expect(t.restartMs.mean).toBe(35);
    expect(t.detectMs).toBe(15);
  });
});

describe('project', () => {
  it('adds start-up, half a poll per turnover, and the work before and after the jobs', () => {
    const work = [{ id: 'audio', kind: 'audio' as const, sourceSec: 100 }, { id: 'c1', kind: 'chunk' as const, sourceSec: 10 }, { id: 'c2', kind: 'chunk' as const, sourceSec: 10 }];
    const rates = { chunk: 2, audio: 0.5 };
    expect(busySec(work[1]!, rates, 30)).toBe(50);
    // Cap 2: audio 0-80, c1 0-50, c2 at 50 + 10 (half poll) + 1 = 61, ends 111.
    const p = project({ work, rates, startupSec: 30, cap: 2, pollSec: 20, restartSec: 1, beforeSec: 3, afterSec: 4 });
    expect(p.makespanSec).toBe(111);
    expect(p.last).toEqual({ id: 'c2', endSec: 111 });
    expect(p.publishSec).toBe(3 + 111 + 10 + 4);
    expect(p.firstPlayableSec).toBeUndefined();
  });

  it('puts the first playable after the preview jobs (the audio job among them), with their own publish time', () => {
    const work = [
      { id: 'audio', kind: 'audio' as const, sourceSec: 100, preview: true },
      { id: 'p1', kind: 'preview' as const, sourceSec: 40, preview: true },
      { id: 'c1', kind: 'rest' as const, sourceSec: 10 },
      { id: 'c2', kind: 'rest' as const, sourceSec: 10 },
    ];
    const rates = { chunk: 9, audio: 0.1, preview: 0.5, rest: 2 };
    // Cap 2, no start-up, turnover 10 + 1: audio 0-10, p1 0-20; c1 21-41 (audio's slot), c2 31-51 (p1's).
    const p = project({ work, rates, startupSec: 0, cap: 2, pollSec: 20, restartSec: 1, beforeSec: 3, afterSec: 4, previewAfterSec: 2 });
    expect(p.lastPreview).toEqual({ id: 'p1', endSec: 20 });
    expect(p.firstPlayableSec).toBe(3 + 20 + 10 + 2);
    expect(p.last).toEqual({ id: 'c2', endSec: 51 });
    expect(p.publishSec).toBe(3 + 51 + 10 + 4);
  });

  it('refuses a job kind without a measured rate', () => {
    expect(() => busySec({ id: 'p001', kind: 'preview', sourceSec: 480 }, { chunk: 2, audio: 0.05 }, 45)).toThrow(/no measured rate for a preview job \(p001\)/);
  });
});

describe('job kinds of the plans the workflow makes', () => {
  const chunked = chunkPlan(planLadder(filmProbe(7200), { etag: 'sim' }), { thresholdSec: 1200, chunkSec: 60 });
  const lowest = chunked.video.at(-1)!.id;

  it('a plain chunked plan: the audio job and chunks of every rung', () => {
    const counts = planWork(chunked).reduce<Record<string, number>>((n, w) => ({ ...n, [w.kind]: (n[w.kind] ?? 0) + 1 }), {});
    expect(counts).toEqual({ audio: 1, chunk: 120 });
  });

  it('preview first under cap 60: preview jobs of the lowest rung after the audio job, then chunks without it', () => {
    const plan = previewFirst(chunked, 60);
    const work = planWork(plan);
    expect(work.map((w) => w.kind).slice(0, 3)).toEqual(['audio', 'preview', 'preview']);
    const previews = work.filter((w) => w.kind === 'preview');
    expect(previews.length).toBeGreaterThan(1);
    expect(previews.length).toBeLessThanOrEqual(59);
    expect(previews.reduce((s, w) => s + w.sourceSec, 0)).toBeCloseTo(7200, 6);
    expect(work.filter((w) => w.kind === 'rest')).toHaveLength(120);
    expect(work.filter((w) => w.preview).map((w) => w.kind)).toEqual(['audio', ...previews.map(() => 'preview')]);
    for (const j of plan.jobs.filter((x) => x.preview && x.chunk)) expect(j.videoIds).toEqual([lowest]);
    expect(jobKind(plan, plan.jobs.find((j) => j.id === 'c001')!)).toBe('rest');
  });
});

/** What verify finds in the simulated outputs of `plan`'s jobs (`list`: the listing, by default all of them). */
function outputsOf(plan: Plan) {
  const outputs = plan.jobs.map((j) => simulatedOutputs(plan, j));
  const listing = outputs.flatMap((o) => o.objects.map((x) => ({ name: x.name, size: Buffer.byteLength(x.body) })));
  function problems(list: typeof listing) {
    const files = stitchChunks(plan, outputs.map((o) => o.file));
    const joined = files.filter((f) => f.jobId === STITCHED_JOB).flatMap((f) => f.renditions);
    const playlists = Object.fromEntries(joined.map((r) => [r.playlist, renderMediaPlaylist(r, plan.segmentFormat)]));
    const written = Object.keys(playlists).map((name) => ({ name, size: 1 }));
    return verifyOutputs({ plan: stitchedPlan(plan), files, listing: [...list, ...written, { name: `${plan.version}/renditions/${STITCHED_JOB}.json`, size: 1 }], playlists });
  }
  return { listing, problems };
}

describe('simulated outputs of a two-hour plan', () => {
  const plan = chunkPlan(planLadder(filmProbe(7200), { etag: 'sim' }), { thresholdSec: 1200, chunkSec: 60 });
  const { listing, problems } = outputsOf(plan);

  it('are 120 chunks and the audio job, and stitch and verify as a real run must', () => {
    expect(plan.jobs).toHaveLength(121);
    expect(plan.jobs.reduce((s, j) => s + (j.chunk ? jobSeconds(plan, j) : 0), 0)).toBeCloseTo(7200, 6);
    expect(problems(listing)).toEqual([]);
  });

  it('fail verification when one segment object is missing', () => {
    const gone = listing.findIndex((o) => o.name.endsWith('/seg_00900.m4s'));
    const found = problems(listing.filter((_, i) => i !== gone));
    expect(found.map((p) => p.code)).toContain('missing-object');
  });
});

describe('simulated outputs of a preview-first plan', () => {
  const plan = previewFirst(chunkPlan(planLadder(filmProbe(7200), { etag: 'sim' }), { thresholdSec: 1200, chunkSec: 60 }), 20);
  const preview = previewPlan(plan)!;

  it('verify as the full plan (lowest rung from the preview jobs) and as the preview plan (that rung and the audio)', () => {
    expect(preview.video).toHaveLength(1);
    expect(outputsOf(plan).problems(outputsOf(plan).listing)).toEqual([]);
    expect(outputsOf(preview).problems(outputsOf(preview).listing)).toEqual([]);
  });

  it('fail the full plan when a rest chunk is missing a segment of its top rung', () => {
    const { listing, problems } = outputsOf(plan);
    const top = plan.video[0]!.id;
    const gone = listing.findIndex((o) => o.name.includes(`/${top}/`) && o.name.endsWith('/seg_00900.m4s'));
    expect(gone).toBeGreaterThanOrEqual(0);
    expect(problems(listing.filter((_, i) => i !== gone)).map((p) => p.code)).toContain('missing-object');
  });
});

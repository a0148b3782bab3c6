// Time-split runs in the fast tier: the real workflow on the dev server, stub storage, in-memory jobs.
// A 60 s source above a 5 s threshold becomes 15 chunk jobs of one 4 s segment plus the audio job; the
// run keeps at most 3 instances, frees each as soon as its chunk is done, retries a crashed chunk alone
// on a fresh instance, and a cancel deletes every instance. The history stays within historyBudget.
// With preview-first on, the lowest rung and the audio are encoded and published first. The MP4 download's
// remux job starts only when every other job is done.
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config.js';
import { chunkPlan, historyBudget, previewFirst, REMUX_JOB } from '../../../src/domain/chunks.js';
import { workflowIdFor } from '../../../src/domain/events.js';
import { planLadder } from '../../../src/domain/ladder.js';
import { progressQuery } from '../../../src/workflows/definitions.js';
import type { transcode } from '../../../src/workflows/transcode.js';
import { BUCKET, NAMESPACE, PROBE, startStubStack, type StubStack } from '../../helpers/stub-world.js';
import { startTemporal } from '../../helpers/temporal.js';

const CAP = 3;
const chunking = { thresholdSec: 5, chunkSec: 4, maxInstances: CAP, previewFirst: false };
const probe = { ...PROBE, durationSec: 60 };
const plan = chunkPlan(planLadder(probe, { etag: 'x', downloads: 'top' }), chunking, { remuxDownload: true });

let env: TestWorkflowEnvironment;
let stack: StubStack;
/** The most instances alive (created, not deleted) at any start. */
let peak = 0;
/** Instances alive when the remux job (the MP4 download) started, itself included. */
let liveAtRemux: string[] = [];

const idOf = (object: string): string => workflowIdFor({ namespace: NAMESPACE, bucket: BUCKET, object });

async function until(what: string, check: () => boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

beforeAll(async () => {
  env = await startTemporal();
  stack = await startStubStack(env, { config: { chunking, job: { ...loadConfig({}).job, pollSec: 0.1, backoffSec: 0.1 } } });
  stack.world.probe = probe;
  const start = stack.world.runner.start.bind(stack.world.runner);
  stack.world.runner.start = async (launch) => {
    const handle = await start(launch);
    peak = Math.max(peak, stack.world.runner.live().length);
    if (launch.tags.jobId === REMUX_JOB) liveAtRemux = stack.world.runner.live().map((j) => j.tags.jobId ?? '');
    return handle;
  };
});
afterAll(async () => {
  await stack?.stop();
  await env?.teardown();
});
beforeEach(() => {
  peak = 0;
  stack.world.runner.autoFinishMs = 50;
  stack.world.runner.afterCreate = undefined;
});

const jobsOf = (object: string) => [...stack.world.runner.jobs.values()].filter((j) => j.tags.workflowId === idOf(object));

describe('a time-split run', () => {
  it('runs 15 chunks and the audio job at most 3 at a time, then the MP4 remux, frees every instance, and stays within its history budget', async () => {
    expect(plan.jobs).toHaveLength(17);
    expect(plan.downloads).toEqual({ videoId: '360p', mp4Job: REMUX_JOB, m4aJob: 'audio' });
    const object = 'film.mp4';
    await stack.announce(object, stack.world.upload(object));
    const handle = env.client.workflow.getHandle<typeof transcode>(idOf(object));
    const result = await handle.result();
    expect(result.outcome).toBe('published');
    const jobs = jobsOf(object);
    expect(jobs.map((j) => j.tags.jobId).sort()).toEqual(plan.jobs.map((j) => j.id).sort());
    expect(jobs.every((j) => j.deleted)).toBe(true);
    // Concurrent up to the cap, never above it.
    expect(peak).toBe(CAP);
    // The audio job (the longest) is started first.
    expect(jobs[0]?.tags.jobId).toBe('audio');
    // The remux reads every other job's outputs: it starts last, when all of them are done and deleted.
    expect(jobs.at(-1)?.tags.jobId).toBe(REMUX_JOB);
    expect(liveAtRemux).toEqual([REMUX_JOB]);
    const events = (await handle.fetchHistory()).events?.length ?? 0;
    const budget = historyBudget(plan, { maxAttempts: stack.config.job.maxAttempts, instances: CAP });
    console.log(`chunked run: ${plan.jobs.length} jobs, ${events} history events (budget ${budget.events}, ${((events - 40) / plan.jobs.length).toFixed(1)} per job)`);
    expect(events).toBeLessThanOrEqual(budget.events);
    // Each chunk's start carries the plan with only its own job: hundreds of starts stay small in bytes too.
    const starts = ((await handle.fetchHistory()).events ?? []).flatMap((e) => {
      const a = e.activityTaskScheduledEventAttributes;
      const data = a?.activityType?.name === 'startJob' ? a.input?.payloads?.[0]?.data : undefined;
      return data ? [JSON.parse(Buffer.from(data).toString('utf8')) as { jobId: string; plan: { jobs: unknown[] } }] : [];
    });
    expect(starts).toHaveLength(17);
    for (const start of starts) expect(start.plan.jobs.length, start.jobId).toBe(start.jobId === 'audio' || start.jobId === REMUX_JOB ? 17 : 1);
    expect((await handle.query(progressQuery)).percent).toBe(100);
  });

  it('retries a crashed chunk alone, on a fresh instance', async () => {
    const object = 'crash.mp4';
    stack.world.runner.afterCreate = (job) => {
      if (job.tags.jobId === 'c007' && job.tags.attempt === '1') setTimeout(() => stack.world.runner.finish(job.id, 'failed'), 5).unref();
    };
    await stack.announce(object, stack.world.upload(object));
    const result = await env.client.workflow.getHandle<typeof transcode>(idOf(object)).result();
    expect(result.outcome).toBe('published');
    expect(result.attempts).toEqual(Object.fromEntries(plan.jobs.map((j) => [j.id, j.id === 'c007' ? 2 : 1])));
    const c007 = jobsOf(object).filter((j) => j.tags.jobId === 'c007');
    expect(c007.map((j) => j.tags.attempt)).toEqual(['1', '2']);
    expect(new Set(c007.map((j) => j.id)).size).toBe(2);
    expect(jobsOf(object).every((j) => j.deleted)).toBe(true);
  });

  it('an MP4 remux that fails on every instance leaves the published stream as it is, without the download', async () => {
    const object = 'no-mp4.mp4';
    stack.world.runner.afterCreate = (job) => {
      if (job.tags.jobId === REMUX_JOB) setTimeout(() => stack.world.runner.finish(job.id, 'failed'), 5).unref();
    };
    await stack.announce(object, stack.world.upload(object));
    const result = await env.client.workflow.getHandle<typeof transcode>(idOf(object)).result();
    expect(result.outcome).toBe('published');
    expect(jobsOf(object).filter((j) => j.tags.jobId === REMUX_JOB)).toHaveLength(stack.config.job.maxAttempts);
    // One publish: the stream's. The second, recording the download, never came.
    expect(stack.world.publishes.filter((p) => p.object === object).map((p) => p.preview)).toEqual([false]);
    expect(jobsOf(object).every((j) => j.deleted)).toBe(true);
  });

  it('a cancel mid-run deletes every chunk instance and starts no queued chunk', async () => {
    const object = 'cancel.mp4';
    stack.world.runner.autoFinishMs = undefined;
    await stack.announce(object, stack.world.upload(object));
    await until('the cap reached', () => jobsOf(object).filter((j) => !j.deleted).length === CAP);
    // Two chunks finish; their slots go to the next ones.
    for (const j of jobsOf(object).filter((x) => x.tags.jobId !== 'audio').slice(0, 2)) stack.world.runner.finish(j.id);
    await until('two more chunks started', () => jobsOf(object).length === CAP + 2);
    await env.client.workflow.getHandle(idOf(object)).cancel();
    await expect(env.client.workflow.getHandle(idOf(object)).result()).rejects.toThrow();
    expect(jobsOf(object).filter((j) => !j.deleted)).toEqual([]);
    expect(jobsOf(object)).toHaveLength(CAP + 2);
    expect(stack.world.discarded).toContainEqual({ object, outcome: 'canceled' });
  });

  it('preview first: the lowest rung and the audio are encoded and published before the other chunks are done, then the full masters', async () => {
    const object = 'preview.mp4';
    const hd = { ...probe, video: { ...probe.video!, codedWidth: 1280, codedHeight: 720, displayWidth: 1280, displayHeight: 720 } };
    const ladder = chunkPlan(planLadder(hd, { etag: 'x' }), chunking);
    const preview = previewFirst(ladder, CAP);
    const lowest = ladder.video.at(-1)!.id;
    expect(ladder.video.length).toBeGreaterThan(1);
    // Two preview jobs (8 and 7 chunks of the lowest rung) beside the audio job: one wave of the cap.
    expect(preview.jobs.slice(0, 3).map((j) => [j.id, j.videoIds])).toEqual([['audio', []], ['p001', [lowest]], ['p002', [lowest]]]);
    expect(preview.jobs.slice(3).every((j) => j.chunk && !j.videoIds.includes(lowest) && j.videoIds.length === ladder.video.length - 1)).toBe(true);
    let chunksDoneAtPreview = -1;
    stack.world.config.chunking.previewFirst = true;
    stack.world.probe = hd;
    stack.world.gates.publish.onPass = () => {
      if (stack.world.publishes.filter((p) => p.object === object).length === 0) chunksDoneAtPreview = jobsOf(object).filter((j) => /^c/.test(j.tags.jobId ?? '') && j.deleted).length;
    };
    try {
      await stack.announce(object, stack.world.upload(object));
      const result = await env.client.workflow.getHandle<typeof transcode>(idOf(object)).result();
      expect(result.outcome).toBe('published');
    } finally {
      stack.world.config.chunking.previewFirst = false;
      stack.world.gates.publish.onPass = undefined;
      stack.world.probe = probe;
    }
    expect(jobsOf(object).slice(0, 3).map((j) => j.tags.jobId)).toEqual(['audio', 'p001', 'p002']);
    expect(chunksDoneAtPreview).toBeGreaterThanOrEqual(0);
    expect(chunksDoneAtPreview).toBeLessThan(15);
    const publishes = stack.world.publishes.filter((p) => p.object === object);
    // The preview, the full stream, then the same stream again with its MP4 download recorded.
    expect(publishes.map((p) => [p.preview, p.renditions])).toEqual([[true, [lowest]], [false, ladder.video.map((v) => v.id)], [false, ladder.video.map((v) => v.id)]]);
    const [first, full, withDownload] = publishes.map((p) => p.timings);
    expect(first!.firstPlayableSec).toBeGreaterThan(0);
    expect(full!.firstPlayableSec).toBe(first!.firstPlayableSec);
    expect(full!.completeSec).toBeGreaterThan(full!.firstPlayableSec!);
    expect(withDownload!.completeSec).toBe(full!.completeSec);
    expect(jobsOf(object).every((j) => j.deleted)).toBe(true);
  });
});

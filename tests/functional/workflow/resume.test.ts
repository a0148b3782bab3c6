// A worker that stops mid-transcode: the job (a detached process, like a container) keeps running,
// and the retried awaitJob on another worker resumes the SAME job; no second job is ever started.
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeClip } from '../../helpers/clips.js';
import { createFaultRunner, type FaultRunner } from '../../helpers/fault-runner.js';
import { startStack, startTemporal, workflowBundle, type TestStack } from '../../helpers/temporal.js';

let env: TestWorkflowEnvironment;
const stacks: TestStack[] = [];

beforeAll(async () => {
  [env] = await Promise.all([startTemporal(), workflowBundle(), makeClip('landscape', { seconds: 8 })]);
});
afterAll(async () => {
  for (const s of stacks.reverse()) await s.close();
  await env?.teardown();
});

describe('worker loss during a transcode', () => {
  it('the next worker resumes the same job through awaitJob retries, and it completes', async () => {
    let first: FaultRunner | undefined;
    let second: FaultRunner | undefined;
    const a = await startStack(env, { jobs: (local, paths) => (first = createFaultRunner(local, paths, () => undefined)) });
    stacks.push(a);
    await a.upload(await makeClip('landscape', { seconds: 8 }), 'long.mp4');
    const handle = await a.start({ object: 'long.mp4' });
    await a.waitForProgress(handle, (p) => p.stage === 'transcoding' && p.jobs[0]?.state === 'running');
    const [job] = [...first!.created.values()];
    const pid = await a.local.pid(job!.handle);
    expect(pid).toBeGreaterThan(0);

    // Worker A goes away mid-job; its in-flight awaitJob is cancelled and fails.
    await a.stopWorker();
    expect(await a.local.pid(job!.handle)).toBe(pid); // the job did not notice

    const b = await startStack(env, {
      dataDir: a.dataDir,
      taskQueue: a.config.taskQueue,
      jobs: (local, paths) => (second = createFaultRunner(local, paths, () => undefined)),
    });
    stacks.push(b);
    const done = await handle.result();
    expect(done.attempts).toEqual({ all: 1 });
    expect(first!.starts).toHaveLength(1);
    expect(second!.starts).toHaveLength(0); // never a second job
    expect(second!.deletes).toEqual([job!.handle.id]); // B's cleanup deleted the job A started
    expect(await b.local.list({})).toEqual([]);

    // The history shows awaitJob retried on the same handle (same input, a later attempt).
    const events = (await handle.fetchHistory()).events ?? [];
    const awaitJobIds = new Set(
      events.filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'awaitJob').map((e) => String(e.eventId)),
    );
    expect(awaitJobIds.size).toBe(1);
    const started = events.find((e) => awaitJobIds.has(String(e.activityTaskStartedEventAttributes?.scheduledEventId)));
    expect(started?.activityTaskStartedEventAttributes?.attempt).toBeGreaterThanOrEqual(2);
  });
});

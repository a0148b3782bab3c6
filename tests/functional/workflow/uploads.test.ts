// The fast tier: the real workflow and starter on a dev server, storage stubbed (tests/helpers/stub-world.ts).
// Upload events in every order the platform may deliver them, and runs reset, terminated and crashed:
// stale events never win, a published upload is never transcoded again, nothing is left running.
import { randomBytes } from 'node:crypto';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode, DefaultLogger } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { workflowIdFor } from '../../../src/domain/events.js';
import { findTemporalBin } from '../../../src/stack/temporal-bin.js';
import { workflowsPath } from '../../../src/worker/create-worker.js';
import { progressQuery, type Progress, type TranscodeResult } from '../../../src/workflows/definitions.js';
import { BUCKET, NAMESPACE, startStubStack, type StubStack } from '../../helpers/stub-world.js';
import { startTemporal } from '../../helpers/temporal.js';

const run = promisify(execFile);
let env: TestWorkflowEnvironment;
let stack: StubStack;

const idOf = (object: string): string => workflowIdFor({ namespace: NAMESPACE, bucket: BUCKET, object });
const name = (what: string): string => `${what}-${randomBytes(3).toString('hex')}.mp4`;
const handleOf = (object: string) => env.client.workflow.getHandle(idOf(object));
const result = (object: string) => handleOf(object).result() as Promise<TranscodeResult>;
const jobsOf = (object: string) => [...stack.world.runner.jobs.values()].filter((j) => j.tags.workflowId === idOf(object));

async function until(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

beforeAll(async () => {
  env = await startTemporal();
  stack = await startStubStack(env);
});

afterAll(async () => {
  await stack?.stop();
  await env?.teardown();
});

describe('upload events, in any order', () => {
  it('starts once: a redelivery and 50 concurrent deliveries of the same upload answer duplicate', async () => {
    const object = name('once');
    const etag = stack.world.upload(object);
    stack.world.runner.autoFinishMs = undefined; // keep the run open while the redeliveries arrive
    const answers = await Promise.all(Array.from({ length: 50 }, () => stack.announce(object, etag)));
    expect(answers.filter((a) => a.outcome === 'started')).toHaveLength(1);
    expect(answers.filter((a) => a.outcome === 'duplicate')).toHaveLength(49);
    expect(new Set(answers.map((a) => a.runId)).size).toBe(1);
    await until('its job', () => jobsOf(object).length === 1);
    // A later delivery of the same upload: the same update id, so Temporal hands over the first answer.
    expect(await stack.announce(object, etag)).toMatchObject({ outcome: 'duplicate', reason: expect.stringContaining('answered first (started)') as string });
    stack.world.runner.autoFinishMs = 50;
    for (const job of jobsOf(object)) stack.world.runner.finish(job.id);
    expect(await result(object)).toMatchObject({ outcome: 'published', etag });
  });

  it('a newer upload during inspect supersedes: the run continues as new with it, and only it is published', async () => {
    const object = name('newer');
    const v1 = stack.world.upload(object);
    // Entries by earlier cases count too: wait for this run's own.
    const inspectsBefore = stack.world.gates.inspect.entered;
    stack.world.gates.inspect.hold();
    try {
      expect(await stack.announce(object, v1)).toMatchObject({ outcome: 'started' });
      await until('inspect', () => stack.world.gates.inspect.entered > inspectsBefore);
      const v2 = stack.world.upload(object);
      expect(await stack.announce(object, v2)).toMatchObject({ outcome: 'superseding' });
    } finally {
      stack.world.gates.inspect.release();
    }
    const done = await result(object);
    expect(done).toMatchObject({ outcome: 'published', etag: stack.world.heads.get(`${BUCKET}/${object}`) });
    expect(stack.world.discarded.filter((d) => d.object === object)).toEqual([{ object, outcome: 'superseded' }]);
  });

  it('an older upload event arriving late answers stale: the newer run goes on, nothing restarts', async () => {
    const object = name('late-old');
    const v1 = stack.world.upload(object);
    const v2 = stack.world.upload(object);
    stack.world.runner.autoFinishMs = undefined;
    try {
      expect(await stack.announce(object, v2)).toMatchObject({ outcome: 'started' });
      await until('its job', () => jobsOf(object).length === 1);
      const stale = await stack.announce(object, v1);
      expect(stale).toMatchObject({ outcome: 'stale', reason: expect.stringContaining(`the object is now eTag ${v2}`) as string });
      // Once the run knows eTag v1 is older, redeliveries are refused by the validator before any history
      // is written. (Only update events count: the run's own job start may still be adding events.)
      const updateEvents = async (): Promise<number> =>
        ((await handleOf(object).fetchHistory()).events ?? []).filter((e) => Object.keys(e).some((k) => k.startsWith('workflowExecutionUpdate') && e[k as keyof typeof e])).length;
      const before = await updateEvents();
      expect(before).toBeGreaterThan(0);
      expect(await stack.announce(object, v1)).toMatchObject({ outcome: 'stale' });
      expect(await updateEvents()).toBe(before);
      expect(jobsOf(object)).toHaveLength(1);
    } finally {
      stack.world.runner.autoFinishMs = 50;
      for (const job of jobsOf(object)) stack.world.runner.finish(job.id);
    }
    expect(await result(object)).toMatchObject({ outcome: 'published', etag: v2 });
  });

  it('a newer upload during publish: publishing completes whole, then the run continues with the newer one', async () => {
    const object = name('publishing');
    const v1 = stack.world.upload(object);
    // Entries by earlier cases count too: wait for this run's own.
    const publishsBefore = stack.world.gates.publish.entered;
    stack.world.gates.publish.hold();
    let v2 = '';
    try {
      expect(await stack.announce(object, v1)).toMatchObject({ outcome: 'started' });
      await until('publish', () => stack.world.gates.publish.entered > publishsBefore);
      v2 = stack.world.upload(object);
      expect(await stack.announce(object, v2)).toMatchObject({ outcome: 'superseding' });
    } finally {
      stack.world.gates.publish.release();
    }
    expect(await result(object)).toMatchObject({ outcome: 'published', etag: v2 });
  });

  it('after completion: a redelivery answers duplicate and transcodes nothing; an older upload answers stale', async () => {
    const object = name('after');
    const v1 = stack.world.upload(object);
    const first = await stack.announce(object, v1);
    expect(await result(object)).toMatchObject({ outcome: 'published', etag: v1 });
    const jobs = jobsOf(object).length;
    // The same upload again: the closed run already answered this update id, and Temporal says so.
    expect(await stack.announce(object, v1)).toMatchObject({ outcome: 'duplicate' });
    expect((await handleOf(object).describe()).runId).toBe(first.runId);
    // A newer upload runs; then the older one's event arrives late: a new run finds v2 published and
    // ends at once, answering that v1 is stale.
    const v2 = stack.world.upload(object);
    await stack.announce(object, v2);
    expect(await result(object)).toMatchObject({ outcome: 'published', etag: v2 });
    expect(await stack.announce(object, v1)).toMatchObject({ outcome: 'stale', reason: expect.stringContaining(`the object is now eTag ${v2}`) as string });
    expect(await result(object)).toMatchObject({ outcome: 'duplicate', etag: v2 });
    // v2's event again, after its run: also a duplicate, answered from its published job.json by a new run.
    expect(await stack.announce(object, v2)).toMatchObject({ outcome: 'duplicate' });
    expect(jobsOf(object).length).toBe(jobs + 1); // only v2 ran a job
  });
});

describe('runs that are reset, terminated or crash', () => {
  it('a crash between create and record: the retried start adopts the job, one job for the attempt', async () => {
    const object = name('crash');
    stack.world.upload(object);
    let crashed = false;
    stack.world.runner.afterCreate = () => {
      if (crashed) return;
      crashed = true;
      throw Object.assign(new Error('worker lost after the create'), { name: 'TransientError' });
    };
    try {
      await stack.announce(object, stack.world.heads.get(`${BUCKET}/${object}`)!);
      expect(await result(object)).toMatchObject({ outcome: 'published', attempts: { all: 1 } });
    } finally {
      stack.world.runner.afterCreate = undefined;
    }
    expect(crashed).toBe(true);
    expect(jobsOf(object)).toHaveLength(1);
    expect(stack.world.runner.live().filter((j) => j.tags.workflowId === idOf(object))).toEqual([]);
  });

  it('reset: the new run finishes and its cleanup leaves no job of the run it replaced', async () => {
    const object = name('reset');
    stack.world.upload(object);
    stack.world.runner.autoFinishMs = undefined;
    try {
      await stack.announce(object, stack.world.heads.get(`${BUCKET}/${object}`)!);
      await until('its job', () => jobsOf(object).length === 1);
      const { stdout } = await run(findTemporalBin(), ['workflow', 'reset', '--address', env.address, '--namespace', env.namespace ?? 'default',
        '--workflow-id', idOf(object), '--type', 'FirstWorkflowTask', '--reason', 'test', '--yes']);
      expect(stdout).toMatch(/reset/i);
      await until('the new run’s job', () => jobsOf(object).filter((j) => !j.deleted).length >= 1 && jobsOf(object).length === 2);
    } finally {
      stack.world.runner.autoFinishMs = 50;
      for (const job of stack.world.runner.live()) if (job.tags.workflowId === idOf(object)) stack.world.runner.finish(job.id);
    }
    expect(await result(object)).toMatchObject({ outcome: 'published' });
    expect(jobsOf(object).filter((j) => !j.deleted)).toEqual([]);
  });

  it('terminate: the janitor deletes the terminated run’s job, never a live run’s', async () => {
    const dead = name('terminated');
    const alive = name('alive');
    for (const o of [dead, alive]) stack.world.upload(o);
    stack.world.runner.autoFinishMs = undefined;
    try {
      for (const o of [dead, alive]) await stack.announce(o, stack.world.heads.get(`${BUCKET}/${o}`)!);
      await until('both jobs', () => jobsOf(dead).length === 1 && jobsOf(alive).length === 1);
      await handleOf(dead).terminate('test');
      const report: unknown = await env.client.workflow.execute('janitor', { taskQueue: stack.config.taskQueue, workflowId: `janitor-${randomBytes(3).toString('hex')}`, args: [{}] });
      expect(report).toMatchObject({ errors: 0 });
      expect(jobsOf(dead).filter((j) => !j.deleted)).toEqual([]);
      expect(jobsOf(alive).filter((j) => !j.deleted)).toHaveLength(1);
    } finally {
      stack.world.runner.autoFinishMs = 50;
      for (const job of jobsOf(alive)) stack.world.runner.finish(job.id);
    }
    expect(await result(alive)).toMatchObject({ outcome: 'published' });
  });

  it('removing older versions is best effort: its failure never fails a published run', async () => {
    const object = name('prune');
    stack.world.upload(object);
    stack.world.failPrune = true;
    try {
      await stack.announce(object, stack.world.heads.get(`${BUCKET}/${object}`)!);
      expect(await result(object)).toMatchObject({ outcome: 'published' });
    } finally {
      stack.world.failPrune = false;
    }
  });

  it('progress only goes up: weighted by each job’s work, kept across a retry and through cleanup', async () => {
    const object = name('progress');
    stack.world.upload(object);
    stack.world.runner.autoFinishMs = undefined;
    const seen: number[] = [];
    const poll = setInterval(() => {
      void handleOf(object).query(progressQuery).then((p: Progress) => seen.push(p.percent), () => undefined);
    }, 40);
    try {
      await stack.announce(object, stack.world.heads.get(`${BUCKET}/${object}`)!);
      await until('the first attempt', () => jobsOf(object).length === 1);
      const [first] = jobsOf(object);
      stack.world.runner.progress(first!.id, 60);
      await until('60 % to show', () => seen.some((p) => p >= 50));
      stack.world.runner.finish(first!.id, 'failed'); // a crash: the job runs again on a fresh instance
      await until('the second attempt', () => jobsOf(object).length === 2);
      const second = jobsOf(object)[1]!;
      stack.world.runner.progress(second.id, 10);
      await new Promise((r) => setTimeout(r, 400));
      stack.world.runner.finish(second.id);
      expect(await result(object)).toMatchObject({ outcome: 'published', attempts: { all: 2 } });
    } finally {
      clearInterval(poll);
      stack.world.runner.autoFinishMs = 50;
    }
    expect(seen.length).toBeGreaterThan(5);
    expect(seen.every((p, i) => i === 0 || p >= seen[i - 1]!)).toBe(true);
    expect(await handleOf(object).query(progressQuery)).toMatchObject({ stage: 'completed', percent: 100 });
  });
});

describe('a bug in workflow code', () => {
  it('fails the workflow task before any cleanup command, and a worker with the fix finishes the run', async () => {
    // A bundle whose planner throws a TypeError: a bug, not a Temporal failure.
    const buggy = await bundleWorkflowCode({
      workflowsPath,
      logger: new DefaultLogger('ERROR'),
      webpackConfigHook: (config) => {
        config.resolve = { ...config.resolve, alias: { ...(config.resolve?.alias as Record<string, string>), '../domain/ladder.js': fileURLToPath(new URL('./fixtures/buggy-ladder.ts', import.meta.url)) } };
        return config;
      },
    });
    const bugged = await startStubStack(env, { bundle: buggy });
    const object = name('bug');
    bugged.world.upload(object);
    let fixed: StubStack | undefined;
    try {
      await bugged.announce(object, bugged.world.heads.get(`${BUCKET}/${object}`)!);
      const handle = env.client.workflow.getHandle(idOf(object));
      await until('a failed workflow task', async () => ((await handle.fetchHistory()).events ?? []).some((e) => e.workflowTaskFailedEventAttributes));
      const history = (await handle.fetchHistory()).events ?? [];
      const failedTask = history.find((e) => e.workflowTaskFailedEventAttributes)?.workflowTaskFailedEventAttributes;
      expect(failedTask?.failure?.message).toContain("reading 'width'");
      // No cleanup, no record: nothing was scheduled after the bug.
      const scheduled = history.flatMap((e) => (e.activityTaskScheduledEventAttributes ? [e.activityTaskScheduledEventAttributes.activityType?.name] : []));
      expect(scheduled).toEqual(['judgeUpload', 'inspect']);
      expect((await handle.describe()).status.name).toBe('RUNNING');
      // The fix ships: a worker with the real bundle on the same task queue replays and carries on.
      await bugged.stop();
      fixed = await startStubStack(env, { world: bugged.world, config: { taskQueue: bugged.config.taskQueue } });
      expect(await handle.result()).toMatchObject({ outcome: 'published' });
    } finally {
      await bugged.stop().catch(() => undefined);
      await fixed?.stop();
    }
  });
});

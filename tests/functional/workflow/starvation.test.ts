// Workers that cannot starve: 200 transcodes wait on their jobs at once while the main worker has 20
// activity slots. Every wait lives on the jobs task queue, so the main queue's slots stay free for
// startJob, deleteJobs and publish: a cancel of one run deletes its job within seconds, and a new upload
// still starts, runs and publishes. With the waits on the main queue, 200 waits could never all start
// on 20 slots and the cancel's cleanup would queue behind hours-long waits.
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config.js';
import { workflowIdFor } from '../../../src/domain/events.js';
import type { TranscodeResult } from '../../../src/workflows/definitions.js';
import { BUCKET, NAMESPACE, startStubStack, type StubStack } from '../../helpers/stub-world.js';
import { startTemporal } from '../../helpers/temporal.js';

const RUNS = 200;
const MAIN_SLOTS = 20;

let env: TestWorkflowEnvironment;
let stack: StubStack;

const idOf = (object: string): string => workflowIdFor({ namespace: NAMESPACE, bucket: BUCKET, object });

async function until(what: string, check: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

beforeAll(async () => {
  env = await startTemporal();
  // Slower polls than the other stub tests: 200 waits polling every 100 ms would only measure the poll loop.
  stack = await startStubStack(env, { mainSlots: MAIN_SLOTS, config: { job: { ...loadConfig({}).job, pollSec: 2, backoffSec: 0.1 } } });
});

afterAll(async () => {
  await stack?.stop();
  await env?.teardown();
});

describe('200 long jobs at once', () => {
  it('a cancel still cleans up within seconds, and a new upload still publishes', async () => {
    const { world } = stack;
    world.runner.autoFinishMs = undefined; // the jobs run until the test ends them: hours, as far as the workflow knows
    const objects = Array.from({ length: RUNS }, (_, i) => `burst/${i}.mp4`);
    const t0 = performance.now();
    for (let i = 0; i < objects.length; i += 25) {
      await Promise.all(objects.slice(i, i + 25).map((o) => stack.announce(o, world.upload(o))));
    }
    await until(`${RUNS} live jobs`, () => world.runner.live().length === RUNS, 120_000);
    console.log(`starvation: ${RUNS} runs started and waiting on their jobs after ${((performance.now() - t0) / 1000).toFixed(1)} s (main worker: ${MAIN_SLOTS} slots)`);

    const victim = objects[17]!;
    const jobOf = () => world.runner.live().find((j) => j.tags.workflowId === idOf(victim));
    expect(jobOf()).toBeDefined();
    const t1 = performance.now();
    await env.client.workflow.getHandle(idOf(victim)).cancel();
    await until('the cancelled run’s job deleted', () => jobOf() === undefined, 15_000);
    const cleanupMs = performance.now() - t1;
    await expect(env.client.workflow.getHandle(idOf(victim)).result()).rejects.toThrow();
    console.log(`starvation: cancelled run's job deleted ${cleanupMs.toFixed(0)} ms after the cancel`);
    expect(world.runner.live()).toHaveLength(RUNS - 1);

    // A new upload gets its job started, finished and published while the 199 still wait.
    world.runner.autoFinishMs = 50;
    const fresh = 'burst/fresh.mp4';
    const etag = world.upload(fresh);
    const t2 = performance.now();
    await stack.announce(fresh, etag);
    expect(await env.client.workflow.getHandle(idOf(fresh)).result()).toMatchObject({ outcome: 'published', etag } satisfies Partial<TranscodeResult>);
    console.log(`starvation: a new upload published in ${(performance.now() - t2).toFixed(0)} ms beside ${RUNS - 1} waiting runs`);
    expect(world.runner.live()).toHaveLength(RUNS - 1);

    for (const job of world.runner.live()) world.runner.finish(job.id);
    await Promise.all(objects.filter((o) => o !== victim).map((o) => env.client.workflow.getHandle(idOf(o)).result()));
    expect(world.runner.live()).toEqual([]);
  });
});

// Worker Versioning on the dev server, the way docs/workflow.md deploys: build v1 is current, a run starts
// on it; build v2 comes up and becomes current; the open run stays pinned to v1 and finishes there, new
// runs start on v2, and the janitor (auto-upgrade) follows the current version. This is what lets a
// workflow change ship while long transcodes are open (their histories would not replay on v2).
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { temporal } from '@temporalio/proto';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config.js';
import { workflowIdFor } from '../../../src/domain/events.js';
import { findTemporalBin } from '../../../src/stack/temporal-bin.js';
import type { TranscodeResult } from '../../../src/workflows/definitions.js';
import { BUCKET, NAMESPACE, startStubStack, type StubStack } from '../../helpers/stub-world.js';
import { startTemporal, workflowBundle } from '../../helpers/temporal.js';

const run = promisify(execFile);
const deploymentName = `transcode-${randomBytes(3).toString('hex')}`;
const taskQueue = `versioned-${randomBytes(3).toString('hex')}`;
let env: TestWorkflowEnvironment;
const stacks: StubStack[] = [];

const idOf = (object: string): string => workflowIdFor({ namespace: NAMESPACE, bucket: BUCKET, object });

async function setCurrent(buildId: string): Promise<void> {
  const args = ['worker', 'deployment', 'set-current-version', '--address', env.address, '--deployment-name', deploymentName, '--build-id', buildId, '--yes'];
  // The version exists once its workers have polled: retry for a few seconds until then.
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      await run(findTemporalBin(), args);
      return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}

async function versionOf(workflowId: string, runId?: string): Promise<{ behavior?: string; buildId?: string }> {
  const raw = (await env.client.workflow.getHandle(workflowId, runId).describe()).raw.workflowExecutionInfo?.versioningInfo;
  const behavior = raw?.behavior ? temporal.api.enums.v1.VersioningBehavior[raw.behavior] : undefined;
  return { ...(behavior ? { behavior } : {}), ...(raw?.deploymentVersion?.buildId ? { buildId: raw.deploymentVersion.buildId } : {}) };
}

beforeAll(async () => {
  env = await startTemporal();
});

afterAll(async () => {
  for (const s of stacks) await s.stop();
  await env?.teardown();
});

describe('worker versioning', () => {
  it('an open run finishes on the build it started on; new runs and the janitor take the current build', async () => {
    const base = loadConfig({});
    const common = { taskQueue, deploymentName, job: { ...base.job, pollSec: 0.1, backoffSec: 0.1 } };
    const bundle = await workflowBundle();
    const v1 = await startStubStack(env, { bundle, config: { ...common, buildId: 'v1' } });
    stacks.push(v1);
    await setCurrent('v1');

    const { world } = v1;
    world.runner.autoFinishMs = undefined;
    const open = 'long.mp4';
    const started = await v1.announce(open, world.upload(open));
    await expect.poll(() => world.runner.live().length, { timeout: 20_000 }).toBe(1);
    expect(await versionOf(started.workflowId)).toMatchObject({ buildId: 'v1' });

    // v2 shares the world (the same storage and jobs), as a new deployment of the same pipeline would.
    const v2 = await startStubStack(env, { bundle, world: world, config: { ...common, buildId: 'v2' } });
    stacks.push(v2);
    await setCurrent('v2');

    const fresh = 'fresh.mp4';
    world.runner.autoFinishMs = 50;
    const second = await v2.announce(fresh, world.upload(fresh));
    expect(await env.client.workflow.getHandle(second.workflowId).result()).toMatchObject({ outcome: 'published' } satisfies Partial<TranscodeResult>);
    expect(await versionOf(second.workflowId)).toMatchObject({ buildId: 'v2' });

    // The drain check docs/workflow.md gives operators: the old build's open runs, by visibility query.
    const openOnV1 = `ExecutionStatus="Running" AND TemporalWorkerDeploymentVersion="${deploymentName}:v1"`;
    await expect.poll(async () => (await env.client.workflow.count(openOnV1)).count, { timeout: 15_000 }).toBe(1);

    for (const job of world.runner.live()) world.runner.finish(job.id);
    expect(await env.client.workflow.getHandle(idOf(open)).result()).toMatchObject({ outcome: 'published' } satisfies Partial<TranscodeResult>);
    expect(await versionOf(started.workflowId, started.runId)).toMatchObject({ buildId: 'v1' });
    await expect.poll(async () => (await env.client.workflow.count(openOnV1)).count, { timeout: 15_000 }).toBe(0);
    // Only v1's workers ran the pinned run's tasks: its history names no other build.
    const history = JSON.stringify((await env.client.workflow.getHandle(started.workflowId, started.runId).fetchHistory()).events);
    expect(history).toContain('"v1"');
    expect(history).not.toContain('"v2"');

    const janitorId = `janitor-${randomBytes(3).toString('hex')}`;
    await env.client.workflow.execute('janitor', { taskQueue, workflowId: janitorId, args: [{}] });
    expect(await versionOf(janitorId)).toMatchObject({ buildId: 'v2' });
    expect((await versionOf(janitorId)).behavior).toBe('VERSIONING_BEHAVIOR_AUTO_UPGRADE');
    expect((await versionOf(started.workflowId, started.runId)).behavior).toBe('VERSIONING_BEHAVIOR_PINNED');
  });
});

// The janitor on a real dev server: orphans planted in the local job runner are swept by the Temporal
// Schedule that `oci-transcode janitor --install` registers; orphans planted in the OCI stand-in (container
// instances created straight through the OCI client, with the pipeline's tags) by `janitor --once`.
// Only jobs of closed or unknown runs go; a job of a running workflow always stays.
import { randomBytes, randomUUID } from 'node:crypto';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { ContainerInstanceClient, models } from 'oci-containerinstances';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { APP_TAG, JOB_TAGS } from '../../../src/domain/job-tags.js';
import { createLocalJobRunner } from '../../../src/adapters/local/job-runner.js';
import { openClient } from '../../../src/adapters/oci/clients.js';
import { MANAGED_TAG } from '../../../src/adapters/oci/placement.js';
import { loadOciConfig } from '../../../src/config-oci.js';
import type { JanitorReport } from '../../../src/janitor/decide.js';
import { JANITOR_SCHEDULE_ID } from '../../../src/janitor/temporal.js';
import type { JobHandle } from '../../../src/ports.js';
import { baseJobEnv } from '../../../src/worker/adapters.js';
import { WORKFLOW_TYPE } from '../../../src/workflows/definitions.js';
import { ECHO_IMAGE, standInImages } from '../../oci-stand-in/images.js';
import { startOciStandIn, type OciStandIn } from '../../oci-stand-in/server.js';
import { startStack, startTemporal, workflowBundle, type TestStack } from '../../helpers/temporal.js';
import { oci } from './cli.js';

let env: TestWorkflowEnvironment;
let stack: TestStack;
let standIn: OciStandIn;
let temporalEnv: Record<string, string>;
const parked = `parked-${randomBytes(3).toString('hex')}`;

/** A run that stays RUNNING for the whole file: its task queue has no worker. */
async function runningRun(workflowId = `transcode/local/media-in/busy-${randomBytes(3).toString('hex')}.mp4`): Promise<{ workflowId: string; runId: string }> {
  const handle = await env.client.workflow.start(WORKFLOW_TYPE, { taskQueue: parked, workflowId, args: [{}] });
  return { workflowId, runId: handle.firstExecutionRunId };
}

/** A run that is closed: started on the parked queue, then terminated. */
async function closedRun(): Promise<{ workflowId: string; runId: string }> {
  const run = await runningRun();
  await env.client.workflow.getHandle(run.workflowId, run.runId).terminate('test: a closed run');
  return run;
}

const pipelineTags = (run: { workflowId: string; runId: string }, extra: Record<string, string> = {}): Record<string, string> => ({
  [JOB_TAGS.app]: APP_TAG,
  [JOB_TAGS.workflowId]: run.workflowId,
  [JOB_TAGS.runId]: run.runId,
  [JOB_TAGS.jobId]: 'all',
  [JOB_TAGS.attempt]: '1',
  [JOB_TAGS.namespace]: 'default',
  ...extra,
});

async function eventually<T>(check: () => Promise<T | undefined> | T | undefined, what: string, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

beforeAll(async () => {
  // The source and destination buckets exist: `janitor --once` also reconciles the source buckets.
  [env, standIn] = await Promise.all([startTemporal(), startOciStandIn({ images: standInImages(), buckets: ['media-in', 'media-out'] }), workflowBundle()]);
  stack = await startStack(env);
  temporalEnv = { TEMPORAL_ADDRESS: env.address, TEMPORAL_NAMESPACE: 'default', OCI_TRANSCODE_TASK_QUEUE: stack.config.taskQueue };
});
afterAll(async () => {
  await oci(['janitor', '--remove'], temporalEnv).catch(() => undefined);
  await stack?.close();
  await standIn?.stop();
  await env?.teardown();
});

describe('janitor on the local job runner, through its Temporal Schedule', () => {
  it('--install registers the schedule; a triggered sweep deletes the orphans only and reports the counts', async () => {
    // Planted jobs: long-lived processes in the worker's own jobs folder, as a crashed run would leave them.
    const planter = createLocalJobRunner({
      dataDir: stack.dataDir,
      command: [process.execPath, '-e', 'setInterval(() => {}, 1000)'],
      env: baseJobEnv(),
    });
    const plant = (tags: Record<string, string>): Promise<JobHandle> =>
      planter.start({ idempotencyKey: randomUUID(), displayName: 'planted', args: [], env: {}, tags });
    const live = await runningRun();
    const [ofUnknown, ofClosed, ofRunning, foreign, notOurs] = await Promise.all([
      plant(pipelineTags({ workflowId: 'transcode/local/media-in/ghost.mp4', runId: randomUUID() })),
      plant(pipelineTags(await closedRun())),
      plant(pipelineTags(live)),
      plant(pipelineTags({ workflowId: 'transcode/local/media-in/elsewhere.mp4', runId: randomUUID() }, { namespace: 'production' })),
      plant({ app: 'another-tool', workflowId: 'x', runId: 'y' }),
    ]);
    const pids = new Map<string, number>();
    for (const h of [ofUnknown, ofClosed, ofRunning, foreign, notOurs]) pids.set(h.id, await eventually(() => stack.local.pid(h), `pid of ${h.id}`));

    const installed = await oci(['janitor', '--install', '--every', '15', '--json'], temporalEnv);
    expect(installed.stderr).toBe('');
    expect(JSON.parse(installed.stdout)).toEqual({
      schedule: JANITOR_SCHEDULE_ID, created: true, everyMinutes: 15, workflowType: 'janitor', taskQueue: stack.config.taskQueue, namespace: 'default',
    });
    const schedule = env.client.schedule.getHandle(JANITOR_SCHEDULE_ID);
    const described = await schedule.describe();
    expect(described.spec.intervals).toMatchObject([{ every: 15 * 60 * 1000 }]);
    expect(described.action).toMatchObject({ type: 'startWorkflow', workflowType: 'janitor', taskQueue: stack.config.taskQueue });
    expect(described.policies.overlap).toBe('SKIP');

    // Installing again updates in place (idempotent), here to a new interval.
    const again = await oci(['janitor', '--install', '--every', '5'], temporalEnv);
    expect(again.stdout).toContain(`Updated schedule ${JANITOR_SCHEDULE_ID}: every 5 min`);
    expect((await schedule.describe()).spec.intervals).toMatchObject([{ every: 5 * 60 * 1000 }]);

    await schedule.trigger();
    const action = await eventually(async () => (await schedule.describe()).info.recentActions[0], 'the schedule to start a sweep');
    const report = (await env.client.workflow.getHandle(action.action.workflow.workflowId).result()) as JanitorReport;
    expect(report).toMatchObject({ examined: 4, deleted: 2, kept: 2, errors: 0, dryRun: false });
    const outcome = new Map(report.jobs.map((j) => [j.id, j.outcome]));
    expect(Object.fromEntries(outcome)).toEqual({ [ofUnknown.id]: 'deleted', [ofClosed.id]: 'deleted', [ofRunning.id]: 'kept', [foreign.id]: 'kept' });
    expect(report.jobs.find((j) => j.id === foreign.id)?.reason).toBe('belongs to namespace production');

    // Deleted means stopped and forgotten; everything else still runs.
    for (const h of [ofUnknown, ofClosed]) {
      expect(await stack.local.pid(h)).toBeUndefined();
      expect(() => process.kill(pids.get(h.id)!, 0)).toThrow();
    }
    for (const h of [ofRunning, foreign, notOurs]) expect(await stack.local.pid(h)).toBe(pids.get(h.id));
    expect((await stack.local.list({})).map((j) => j.id).sort()).toEqual([ofRunning.id, foreign.id, notOurs.id].sort());

    const removed = await oci(['janitor', '--remove'], temporalEnv);
    expect(removed.stdout).toContain(`Removed schedule ${JANITOR_SCHEDULE_ID}.`);
    for (const h of [ofRunning, foreign, notOurs]) await planter.delete(h);
  });

  it('refuses unclear requests with a usage error and no side effect', async () => {
    const none = await oci(['janitor'], temporalEnv);
    expect(none.code).toBe(64);
    expect(none.stderr).toContain('say what to do: janitor --install');
    const noServer = await oci(['janitor', '--once'], { OCI_TRANSCODE_DATA_DIR: stack.dataDir });
    expect(noServer.code).toBe(1);
    expect(noServer.stderr).toContain('no Temporal server to talk to');
  });
});

describe('janitor on Container Instances (stand-in), with --once', () => {
  it('deletes the instances of closed and unknown runs, keeps running runs\' (also when the tag was cut), and ignores foreign instances', async () => {
    const workerEnv = { ...standIn.workerEnv(standIn.createApiKey()), OCI_TRANSCODE_OCI_IMAGE: ECHO_IMAGE };
    const config = loadOciConfig(workerEnv);
    const client = await openClient(ContainerInstanceClient, config, standIn.url, workerEnv);
    const create = async (tags: Record<string, string>, args = ['--sleep', '120000']): Promise<string> => {
      const { containerInstance } = await client.createContainerInstance({
        createContainerInstanceDetails: {
          compartmentId: standIn.compartmentId,
          availabilityDomain: standIn.availabilityDomains[0]!,
          shape: 'CI.Standard.E4.Flex',
          shapeConfig: { ocpus: 1, memoryInGBs: 4 },
          vnics: [{ subnetId: standIn.subnetId }],
          containers: [{ imageUrl: ECHO_IMAGE, arguments: args }],
          containerRestartPolicy: models.ContainerInstance.ContainerRestartPolicy.Never,
          freeformTags: tags,
        },
      });
      return containerInstance.id;
    };
    // A 300-character workflow id: OCI keeps only the first 256 characters of the tag.
    const longRunning = await runningRun(`transcode/local/media-in/${'long-name-'.repeat(27)}.mp4`);
    const managed = { [MANAGED_TAG]: 'transcoder' };
    const ids = {
      unknown: await create({ ...pipelineTags({ workflowId: 'transcode/standin/media-in/ghost.mp4', runId: randomUUID() }), ...managed }),
      closed: await create({ ...pipelineTags(await closedRun()), ...managed }),
      finished: await create({ ...pipelineTags(await closedRun()), ...managed }, ['--sleep', '10']),
      running: await create({ ...pipelineTags(await runningRun()), ...managed }),
      cut: await create({ ...pipelineTags({ ...longRunning, workflowId: longRunning.workflowId.slice(0, 256) }), ...managed }),
      foreign: await create({ app: 'oci-transcode', workflowId: 'transcode/x/y/z.mp4', runId: randomUUID() }),
    };
    client.close();
    const state = (id: string): string => standIn.containerInstances.instances.get(id)!.lifecycleState;
    await eventually(() => (state(ids.finished) === 'INACTIVE' ? true : undefined), 'the finished instance to stop');
    const cliEnv = { ...workerEnv, ...temporalEnv, OCI_TRANSCODE_MODE: 'oci' };

    const dry = await oci(['janitor', '--once', '--dry-run', '--json'], cliEnv);
    expect(dry.stderr).toBe('');
    const preview = JSON.parse(dry.stdout) as JanitorReport;
    expect(preview).toMatchObject({ examined: 5, deleted: 0, kept: 5, errors: 0, dryRun: true });
    expect(preview.jobs.filter((j) => j.outcome === 'would-delete').map((j) => j.id).sort()).toEqual([ids.unknown, ids.closed, ids.finished].sort());
    expect(Object.values(ids).map(state)).toEqual(['ACTIVE', 'ACTIVE', 'INACTIVE', 'ACTIVE', 'ACTIVE', 'ACTIVE']);

    const swept = await oci(['janitor', '--once', '--json'], cliEnv);
    expect(swept.stderr).toBe('');
    const report = JSON.parse(swept.stdout) as JanitorReport;
    expect(report).toMatchObject({ examined: 5, deleted: 3, kept: 2, errors: 0, dryRun: false });
    expect(report.jobs.find((j) => j.id === ids.cut)).toMatchObject({ outcome: 'kept', reason: expect.stringContaining('still running') as string });
    await eventually(() => ([ids.unknown, ids.closed, ids.finished].every((id) => state(id) === 'DELETED') ? true : undefined), 'the orphans to be deleted');
    expect([ids.running, ids.cut, ids.foreign].map(state)).toEqual(['ACTIVE', 'ACTIVE', 'ACTIVE']);
    expect(standIn.stats.rejected).toBe(0);
  });
});

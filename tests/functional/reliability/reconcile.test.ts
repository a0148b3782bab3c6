// The janitor's reconciler on a real dev server: an upload whose event is lost (the file lands in the
// source bucket, no event is delivered) is found and transcoded; an object with a completed run and one
// with a job.json for its eTag but no run (its history deleted, as retention does) are left alone.
// Locally through the Temporal Schedule (each bounded sweep goes on where the schedule's previous one
// stopped) and `janitor --once --dry-run`; on OCI with `janitor --once` through the stand-in's Object Storage.
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { WorkflowNotFoundError } from '@temporalio/common';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requestFor, workflowIdFor } from '../../../src/domain/events.js';
import type { JobRecord, SourceRef } from '../../../src/domain/types.js';
import type { JanitorResult } from '../../../src/janitor/reconcile.js';
import { JANITOR_SCHEDULE_ID } from '../../../src/janitor/temporal.js';
import { createObjectEvent } from '../../../src/stack/object-event.js';
import { handleEvent, startTranscode } from '../../../src/starter-fn/handler.js';
import { createTemporalStarter } from '../../../src/starter-fn/temporal-starter.js';
import type { TranscodeResult } from '../../../src/workflows/definitions.js';
import { makeClip } from '../../helpers/clips.js';
import { DEST_BUCKET, SOURCE_BUCKET, startStack, startTemporal, workflowBundle, type TestStack } from '../../helpers/temporal.js';
import { ECHO_IMAGE } from '../../oci-stand-in/images.js';
import { startOciStandIn, type OciStandIn } from '../../oci-stand-in/server.js';
import { oci } from './cli.js';

let env: TestWorkflowEnvironment;
let stack: TestStack;
let temporalEnv: Record<string, string>;

async function eventually<T>(check: () => Promise<T | undefined> | T | undefined, what: string, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

const runExists = (workflowId: string): Promise<boolean> =>
  env.client.workflow.getHandle(workflowId).describe().then(
    () => true,
    (error: unknown) => {
      if (error instanceof WorkflowNotFoundError) return false;
      throw error;
    },
  );

beforeAll(async () => {
  [env] = await Promise.all([startTemporal(), workflowBundle()]);
  // The schedule's sweeps look at two objects each: the third sweep's work shows that each one goes on
  // where the previous stopped. No grace period: the test's uploads are seconds old.
  stack = await startStack(env, { config: { reconcile: { maxObjects: 2, maxStarts: 20, graceSec: 0 } } });
  temporalEnv = { TEMPORAL_ADDRESS: env.address, TEMPORAL_NAMESPACE: 'default', OCI_TRANSCODE_TASK_QUEUE: stack.config.taskQueue, OCI_TRANSCODE_RECONCILE_GRACE_SEC: '0' };
});
afterAll(async () => {
  await oci(['janitor', '--remove'], temporalEnv).catch(() => undefined);
  await stack?.close();
  await env?.teardown();
});

describe('reconciler on the local stack', () => {
  it('transcodes the upload whose event was dropped, once, and leaves the completed and the recorded ones alone', async () => {
    const clip = await makeClip('landscape', { width: 320, height: 180, seconds: 2 });
    const config = stack.config;
    const starter = createTemporalStarter(env.client, config);
    const sourceOf = (object: string, etag: string): SourceRef => ({ namespace: config.namespace, bucket: SOURCE_BUCKET, object, etag });

    // done.mp4: its event arrived, its run completed.
    const doneEtag = await stack.upload(clip, 'done.mp4');
    const delivered = createObjectEvent({ namespace: config.namespace, bucket: SOURCE_BUCKET, object: 'done.mp4', etag: doneEtag, eventID: 'd-1', eventTime: new Date() });
    expect(await handleEvent(delivered, { starter, config })).toMatchObject({ outcome: 'started' });
    // expired.mp4: transcoded, then its run deleted, as the namespace's retention deletes old histories.
    const expiredEtag = await stack.upload(clip, 'expired.mp4');
    const expiredId = workflowIdFor(sourceOf('expired.mp4', expiredEtag));
    expect(await startTranscode(requestFor(sourceOf('expired.mp4', expiredEtag), config), { starter, config })).toMatchObject({ outcome: 'started' });
    await Promise.all([env.client.workflow.getHandle(workflowIdFor(sourceOf('done.mp4', doneEtag))).result(), env.client.workflow.getHandle(expiredId).result()]);
    await env.client.workflowService.deleteWorkflowExecution({ namespace: 'default', workflowExecution: { workflowId: expiredId } });
    await eventually(async () => ((await runExists(expiredId)) ? undefined : true), 'the expired run to be deleted');
    const record = JSON.parse(await readFile(stack.store.objectPath(DEST_BUCKET, 'expired.mp4/job.json'), 'utf8')) as JobRecord;
    expect(record.source.etag).toBe(expiredEtag);
    // dropped.mp4: the file lands in the source bucket, its event never arrives (this stack has no watcher).
    const droppedEtag = await stack.upload(clip, 'dropped.mp4');
    const droppedId = workflowIdFor(sourceOf('dropped.mp4', droppedEtag));

    // A dry run from the CLI (its own bound: every object) names it and starts nothing.
    const dry = await oci(['janitor', '--once', '--dry-run', '--json'], { ...temporalEnv, OCI_TRANSCODE_DATA_DIR: stack.dataDir });
    expect(dry.stderr).toBe('');
    const preview = (JSON.parse(dry.stdout) as JanitorResult).reconciled;
    expect(preview).toMatchObject({ dryRun: true, examined: 3, current: 2, skipped: 0, started: 0, wouldStart: 1, errors: 0 });
    expect(preview.objects).toEqual([
      { bucket: SOURCE_BUCKET, object: 'dropped.mp4', etag: droppedEtag, outcome: 'would-start', reason: `no run and no job.json for eTag ${droppedEtag}`, workflowId: droppedId },
    ]);
    expect(await runExists(droppedId)).toBe(false);
    const text = await oci(['janitor', '--once', '--dry-run'], { ...temporalEnv, OCI_TRANSCODE_DATA_DIR: stack.dataDir });
    expect(text.stdout).toContain(`would-start  ${SOURCE_BUCKET}/dropped.mp4  no run and no job.json for eTag ${droppedEtag}`);
    expect(text.stdout).toContain('dry run: 1 would be started, 2 current, 0 skipped, 0 error(s); reached the end of every source bucket');

    // The schedule's first sweep (done.mp4, dropped.mp4) starts the dropped upload as its event would have.
    expect((await oci(['janitor', '--install'], temporalEnv)).code).toBe(0);
    const schedule = env.client.schedule.getHandle(JANITOR_SCHEDULE_ID);
    let sweeps = 0;
    const sweep = async (): Promise<JanitorResult['reconciled']> => {
      await schedule.trigger();
      sweeps += 1;
      const action = await eventually(async () => (await schedule.describe()).info.recentActions[sweeps - 1], `sweep ${sweeps} to start`);
      const result = (await env.client.workflow.getHandle(action.action.workflow.workflowId).result()) as JanitorResult;
      // Overlap SKIP: a trigger while the schedule still sees the previous run open starts nothing.
      await eventually(async () => ((await schedule.describe()).info.runningActions.length === 0 ? true : undefined), `sweep ${sweeps} to be seen closed`);
      return result.reconciled;
    };
    const first = await sweep();
    expect(first).toMatchObject({ examined: 2, current: 1, started: 1, errors: 0, stoppedBy: 'max-objects', next: { bucket: SOURCE_BUCKET, start: 'expired.mp4' } });
    expect(first.objects).toEqual([expect.objectContaining({ object: 'dropped.mp4', outcome: 'started', workflowId: droppedId })]);
    const run = env.client.workflow.getHandle(droppedId);
    const done = (await run.result()) as TranscodeResult;
    expect(done).toMatchObject({ source: `${SOURCE_BUCKET}/dropped.mp4`, etag: droppedEtag });
    expect((await run.describe()).memo).toMatchObject({ source: `${SOURCE_BUCKET}/dropped.mp4`, etag: droppedEtag });
    const published = JSON.parse(await readFile(stack.store.objectPath(DEST_BUCKET, 'dropped.mp4/job.json'), 'utf8')) as JobRecord;
    expect(published).toMatchObject({ outcome: 'succeeded', source: { object: 'dropped.mp4', etag: droppedEtag } });

    // The second goes on at expired.mp4 (its job.json is enough), the third starts over: nothing new.
    expect(await sweep()).toMatchObject({ examined: 1, current: 1, started: 0, errors: 0, objects: [] });
    const third = await sweep();
    expect(third).toMatchObject({ examined: 2, current: 2, started: 0, errors: 0, objects: [], next: { bucket: SOURCE_BUCKET, start: 'expired.mp4' } });
    expect(await runExists(expiredId)).toBe(false);
    expect((await env.client.workflow.count(`WorkflowId = '${droppedId}'`)).count).toBe(1);
  });
});

describe('reconciler on Object Storage (stand-in), with --once', () => {
  let standIn: OciStandIn;
  beforeAll(async () => {
    standIn = await startOciStandIn({ buckets: [SOURCE_BUCKET, DEST_BUCKET] });
  });
  afterAll(async () => {
    await standIn?.stop();
  });

  it('lists the source bucket through the signed SDK, reads job.json there, and starts only the dropped upload', async () => {
    const parked = `parked-${randomBytes(3).toString('hex')}`;
    const ns = standIn.namespace;
    const os = standIn.objectStorage;
    const put = (object: string): string => os.store(SOURCE_BUCKET, object, Buffer.from(`media ${object}`), 'video/mp4').etag;
    const sourceOf = (object: string, etag: string): SourceRef => ({ namespace: ns, bucket: SOURCE_BUCKET, object, etag });
    // No worker polls `parked`: the runs it starts wait there, and answer `pending` after a second.
    const config = { sourceBuckets: [SOURCE_BUCKET], destBucket: DEST_BUCKET, destPrefix: '', taskQueue: parked, starterAnswerSec: 1 };
    const starter = createTemporalStarter(env.client, config);

    // done/talk.mp4: a run with its eTag, closed. expired.mp4: only its job.json. dropped.mp4: nothing.
    const doneEtag = put('done/talk.mp4');
    const doneId = workflowIdFor(sourceOf('done/talk.mp4', doneEtag));
    expect(await startTranscode(requestFor(sourceOf('done/talk.mp4', doneEtag), config), { starter, config })).toMatchObject({ outcome: 'pending' });
    await env.client.workflow.getHandle(doneId).terminate('test: a closed run');
    const expiredEtag = put('expired.mp4');
    os.store(DEST_BUCKET, 'expired.mp4/job.json', Buffer.from(JSON.stringify({ schema: 1, outcome: 'succeeded', source: sourceOf('expired.mp4', expiredEtag) })), 'application/json');
    const droppedEtag = put('dropped.mp4');
    const droppedId = workflowIdFor(sourceOf('dropped.mp4', droppedEtag));

    const cliEnv = { ...standIn.workerEnv(standIn.createApiKey()), ...temporalEnv, OCI_TRANSCODE_MODE: 'oci', OCI_TRANSCODE_OCI_IMAGE: ECHO_IMAGE, OCI_TRANSCODE_TASK_QUEUE: parked, OCI_TRANSCODE_STARTER_ANSWER_SEC: '1' };
    const [listed, read] = [standIn.count('ListObjects'), standIn.count('GetObject')];
    const once = await oci(['janitor', '--once', '--json'], cliEnv);
    expect(once.stderr).toBe('');
    const report = (JSON.parse(once.stdout) as JanitorResult).reconciled;
    expect(report).toMatchObject({ examined: 3, current: 2, started: 1, errors: 0 });
    expect(report.next).toBeUndefined();
    expect(report.objects).toEqual([expect.objectContaining({ object: 'dropped.mp4', etag: droppedEtag, outcome: 'pending', workflowId: droppedId })]);
    // One page of the source bucket; job.json looked for by listing (expired.mp4, dropped.mp4) and read
    // only where it exists, so no object is ever asked for that is not there.
    expect(standIn.count('ListObjects')).toBe(listed + 3);
    expect(standIn.count('GetObject')).toBe(read + 1);
    const run = await env.client.workflow.getHandle(droppedId).describe();
    expect(run.status.name).toBe('RUNNING');
    expect(run.taskQueue).toBe(parked);
    expect(run.memo).toMatchObject({ source: `${SOURCE_BUCKET}/dropped.mp4`, etag: droppedEtag });

    // Again: the run it started (still open, no worker on its queue) has the eTag; nothing new.
    const again = JSON.parse((await oci(['janitor', '--once', '--json'], cliEnv)).stdout) as JanitorResult;
    expect(again.reconciled).toMatchObject({ examined: 3, current: 3, started: 0, errors: 0, objects: [] });
    expect((await env.client.workflow.count(`WorkflowId = '${droppedId}'`)).count).toBe(1);
    expect(standIn.stats.rejected).toBe(0);
    await env.client.workflow.getHandle(droppedId).terminate('test done');
  });
});

// Failure paths of the transcode workflow on a real dev server, with real local jobs; the fault
// runner only decides which launches misbehave. Every test ends with no job left behind.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { WorkflowFailedError } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { JobOutcome } from '../../../src/activities/index.js';
import { readJson } from '../../../src/store-io.js';
import { JOB_RECORD, MASTER_PLAYLIST, streamPrefix } from '../../../src/domain/layout.js';
import type { JobRecord } from '../../../src/domain/types.js';
import { findTemporalBin } from '../../../src/stack/temporal-bin.js';
import type { Progress } from '../../../src/workflows/definitions.js';
import { progressQuery } from '../../../src/workflows/definitions.js';
import { makeBadInput, makeClip } from '../../helpers/clips.js';
import { createFaultRunner, type Fault, type FaultRunner } from '../../helpers/fault-runner.js';
import { activityResults, DEST_BUCKET, startStack, startTemporal, workflowBundle, type TestStack } from '../../helpers/temporal.js';

const run = promisify(execFile);
let env: TestWorkflowEnvironment;
let stack: TestStack | undefined;
let faults: FaultRunner;

beforeAll(async () => {
  [env] = await Promise.all([startTemporal(), workflowBundle(), makeClip('landscape'), makeClip('landscape', { width: 320, height: 180, seconds: 2 })]);
});
afterAll(async () => {
  await env?.teardown();
});
afterEach(async () => {
  await stack?.close();
  stack = undefined;
});

/** A stack whose attempt N of each job misbehaves as `plan[N-1]` says (undefined: the real transcoder). */
async function stackWith(plan: (Fault | undefined)[], job: Partial<TestStack['config']['job']> = {}): Promise<TestStack> {
  stack = await startStack(env, {
    job,
    jobs: (local, paths) => (faults = createFaultRunner(local, paths, (launch) => plan[Number(launch.tags.attempt) - 1])),
  });
  return stack;
}

async function failureOf(promise: Promise<unknown>): Promise<{ type?: string | null; message: string }> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(WorkflowFailedError);
  const cause = (error as WorkflowFailedError).cause as { type?: string | null; message: string };
  return cause;
}

async function expectNoJobLeft(s: TestStack): Promise<void> {
  expect(await s.local.list({})).toEqual([]);
  for (const { handle } of faults.created.values()) expect(await s.local.pid(handle)).toBeUndefined();
}

describe('transcode workflow failures', () => {
  it('bad input fails at inspect, non-retryably, before any job exists', async () => {
    const s = await stackWith([]);
    await s.upload(await makeBadInput('text'), 'notes.mp4');
    const handle = await s.start({ object: 'notes.mp4' });
    const started = Date.now();
    const failure = await failureOf(handle.result());
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(failure.type).toBe('BadInput');
    expect(failure.message).toBe('oci://local/media-in/notes.mp4: not a media file: it contains text, not audio or video');
    expect(faults.starts).toHaveLength(0);
    const progress = await s.waitForProgress(handle, (p) => p.stage === 'failed');
    expect(progress.error).toContain('not a media file');
    const description = await handle.describe();
    expect(description.searchAttributes.TranscodeStage).toEqual(['failed']);
    expect(description.searchAttributes.TranscodeSource).toEqual(['media-in/notes.mp4']);
    // The uploader finds the reason beside where the stream would have been.
    const record = await readJson<JobRecord>(s.store, DEST_BUCKET, `notes.mp4/${JOB_RECORD}`);
    expect(record).toMatchObject({ outcome: 'failed', error: failure.message, source: { object: 'notes.mp4' } });
    expect(record?.plan).toBeUndefined();
  });

  it('a missing source fails with SourceNotFound', async () => {
    const s = await stackWith([]);
    const failure = await failureOf((await s.start({ object: 'never-uploaded.mp4' })).result());
    expect(failure).toMatchObject({ type: 'SourceNotFound', message: 'oci://local/media-in/never-uploaded.mp4: no such object' });
    expect(faults.starts).toHaveLength(0);
  });

  it("exit 65 fails the run at once with the transcoder's own error lines, and deletes the job", async () => {
    const s = await stackWith(['bad-input', 'bad-input', 'bad-input']);
    await s.upload(await makeClip('landscape'), 'rejected.mp4');
    const handle = await s.start({ object: 'rejected.mp4' });
    const failure = await failureOf(handle.result());
    expect(failure.type).toBe('BadInput');
    expect(failure.message).toContain('The transcoder rejected the source');
    expect(failure.message).toContain('simulated: no decodable video or audio stream');
    expect(faults.created.size).toBe(1); // never retried
    expect(faults.deletes).toHaveLength(1);
    await expectNoJobLeft(s);
    const record = await readJson<JobRecord>(s.store, DEST_BUCKET, streamPrefix({ bucket: DEST_BUCKET }, 'rejected.mp4') + JOB_RECORD);
    expect(record).toMatchObject({ outcome: 'failed', workflow: { id: handle.workflowId } });
    expect(record?.error).toContain('simulated: no decodable video or audio stream');
    expect(await s.store.head(DEST_BUCKET, `rejected.mp4/${MASTER_PLAYLIST}`)).toBeUndefined();
  });

  it('a crashed job is deleted and retried on a fresh job, which completes the run', async () => {
    const s = await stackWith(['crash', undefined]);
    await s.upload(await makeClip('landscape', { width: 320, height: 180, seconds: 2 }), 'crashy.mp4');
    const handle = await s.start({ object: 'crashy.mp4' });
    const done = await handle.result();
    expect(done.attempts).toEqual({ all: 2 });
    const [crashed, fresh] = [...faults.created.values()];
    expect(crashed?.fault).toBe('crash');
    expect(fresh?.fault).toBeUndefined();
    expect(fresh?.handle.id).not.toBe(crashed?.handle.id);
    // The crashed job was deleted before the retry started; the good one at cleanup.
    expect(faults.deletes).toEqual([crashed?.handle.id, fresh?.handle.id]);
    await expectNoJobLeft(s);
    expect((await s.store.head(DEST_BUCKET, `crashy.mp4/${MASTER_PLAYLIST}`))?.size).toBeGreaterThan(0);
    const record = await readJson<JobRecord>(s.store, DEST_BUCKET, `crashy.mp4/${JOB_RECORD}`);
    expect(record).toMatchObject({ outcome: 'succeeded', plan: { jobs: [{ id: 'all', attempts: 2 }] } });
  });

  it('gives up after maxAttempts fresh jobs, each failed one deleted, with the last error lines', async () => {
    const s = await stackWith(['crash', 'vanish', 'transient'], { maxAttempts: 3 });
    await s.upload(await makeClip('landscape'), 'doomed.mp4');
    const handle = await s.start({ object: 'doomed.mp4' });
    const failure = await failureOf(handle.result());
    expect(failure.type).toBe('JobFailed');
    expect(failure.message).toMatch(/^Job \S+ failed on 3 fresh instance\(s\); the last one exited with code 75 \(transient\):\nsimulated: object storage unreachable$/);
    // What awaitJob saw of each attempt, from the run's history: a crash, a vanished instance, exit 75.
    const outcomes = await activityResults<JobOutcome>(handle, 'awaitJob');
    expect(outcomes.map((o) => [o.phase, o.exitCode])).toEqual([['failed', 1], ['gone', undefined], ['failed', 75]]);
    expect(outcomes[0]?.errorLines).toEqual(['simulated crash: segmentation fault in encoder']);
    // Three distinct jobs with attempt-scoped idempotency keys, each deleted.
    const keys = [...faults.created.keys()];
    expect(keys).toHaveLength(3);
    expect(keys.map((k) => k.split('/').slice(0, 2).join('/'))).toEqual(Array(3).fill(`${handle.workflowId}/${(await handle.describe()).runId}`));
    expect(keys.map((k) => k.split('/').at(-1))).toEqual(['1', '2', '3']);
    expect(new Set(faults.deletes)).toEqual(new Set([...faults.created.values()].map((c) => c.handle.id)));
    await expectNoJobLeft(s);
  });

  it('cancel mid-transcode stops and deletes the job, publishes nothing, and records canceled', async () => {
    const s = await stackWith(['hang']);
    await s.upload(await makeClip('landscape'), 'cancel-me.mp4');
    const handle = await s.start({ object: 'cancel-me.mp4' });
    // The progress query sees the job running and its percent moving (heartbeat-driven signals).
    const running = await s.waitForProgress(handle, (p) => p.stage === 'transcoding' && (p.jobs[0]?.percent ?? 0) >= 20);
    expect(running.jobs).toHaveLength(1);
    expect(running.jobs[0]).toMatchObject({ attempt: 1, state: 'running' });
    expect(running.percent).toBeGreaterThan(5);
    const job = [...faults.created.values()][0]?.handle;
    expect(job && (await s.local.pid(job))).toBeGreaterThan(0);

    // Operators get the same answer from the Temporal CLI.
    const { stdout } = await run(findTemporalBin(), [
      'workflow', 'query', '--address', env.address, '--namespace', env.namespace ?? 'default',
      '--workflow-id', handle.workflowId, '--name', 'progress', '--output', 'json',
    ]);
    const viaCli = (JSON.parse(stdout) as { queryResult?: Progress[] }).queryResult?.[0];
    expect(viaCli).toMatchObject({ stage: 'transcoding', jobs: [{ id: running.jobs[0]?.id, attempt: 1, state: 'running', handle: job?.id }] });

    await handle.cancel();
    const error = await handle.result().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WorkflowFailedError);
    expect((error as WorkflowFailedError).cause?.name).toBe('CancelledFailure');
    expect((await handle.describe()).status.name).toBe('CANCELLED');
    await expectNoJobLeft(s);
    const prefix = streamPrefix({ bucket: DEST_BUCKET }, 'cancel-me.mp4');
    expect(await readJson<JobRecord>(s.store, DEST_BUCKET, prefix + JOB_RECORD)).toMatchObject({ outcome: 'canceled', error: 'canceled' });
    expect(await s.store.head(DEST_BUCKET, prefix + MASTER_PLAYLIST)).toBeUndefined();
    expect(await handle.query(progressQuery)).toMatchObject({ stage: 'canceled' });
  });
});

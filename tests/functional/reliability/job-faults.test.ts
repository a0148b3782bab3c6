// Faults around one run on a real dev server with real transcoder jobs: a job killed like an OOM-killed
// container (exit 137) is retried on a fresh one and the old one deleted; and a cancel at each stage,
// landed exactly there by a freeze point: nothing left running, nothing half published, job.json says
// canceled. Publishing is the commit point: a cancel that arrives during it lets it finish whole.
// (A cancel mid-transcode is tests/functional/workflow/failures.test.ts.)
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import type { WorkflowHandle } from '@temporalio/client';
import { WorkflowFailedError } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobOutcome } from '../../../src/activities/index.js';
import { listAll, readJson } from '../../../src/store-io.js';
import { DASH_MANIFEST, JOB_RECORD, MASTER_PLAYLIST } from '../../../src/domain/layout.js';
import type { JobRecord } from '../../../src/domain/types.js';
import type { TranscodeResult } from '../../../src/workflows/definitions.js';
import { makeClip } from '../../helpers/clips.js';
import { createFaultRunner, type FaultRunner } from '../../helpers/fault-runner.js';
import { activityResults, DEST_BUCKET, startStack, startTemporal, workflowBundle, type TestStack } from '../../helpers/temporal.js';
import { hlsReferences } from '../transcoder/harness.js';
import { installFreezes, type FreezeControl } from './freeze.js';

const CLIP = { width: 320, height: 180, seconds: 2 } as const;
let env: TestWorkflowEnvironment;
let s: TestStack;
let faults: FaultRunner;
let storeFreezes: FreezeControl;
let jobFreezes: FreezeControl;

const idOf = (object: string): string => `transcode/local/media-in/${object}`;

function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  return Promise.race([promise, new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`${what}: not within ${ms} ms`)), ms))]);
}

async function startRun(object: string): ReturnType<TestStack['start']> {
  await s.upload(await makeClip('landscape', CLIP), object);
  return s.start({ object }, idOf(object));
}

/** The run ends cancelled; afterwards nothing of it runs, no master exists, and job.json says canceled. */
async function expectCanceledCleanly(handle: WorkflowHandle, object: string): Promise<JobRecord> {
  const error = await within(handle.result().then(() => undefined, (e: unknown) => e), 60_000, `${object} result`);
  expect(error).toBeInstanceOf(WorkflowFailedError);
  expect((await handle.describe()).status.name).toBe('CANCELLED');
  for (const [key, { handle: job }] of faults.created) if (key.startsWith(`${handle.workflowId}/`)) expect(await s.local.pid(job)).toBeUndefined();
  expect((await s.local.list({ workflowId: handle.workflowId })).map((j) => j.id)).toEqual([]);
  for (const master of [MASTER_PLAYLIST, DASH_MANIFEST]) expect(await s.store.head(DEST_BUCKET, `${object}/${master}`)).toBeUndefined();
  // Only the record remains: no half-written media of the canceled version.
  expect((await listAll(s.store, DEST_BUCKET, `${object}/`)).map((o) => o.name)).toEqual([`${object}/${JOB_RECORD}`]);
  const record = await readJson<JobRecord>(s.store, DEST_BUCKET, `${object}/${JOB_RECORD}`);
  expect(record).toMatchObject({ outcome: 'canceled', workflow: { id: handle.workflowId } });
  return record!;
}

/** The transcoder process a job's shim started (the container's main process). */
function childOf(pid: number): number | undefined {
  try {
    const children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
    return children[0];
  } catch {
    return undefined;
  }
}

beforeAll(async () => {
  [env] = await Promise.all([startTemporal(), workflowBundle(), makeClip('landscape', CLIP)]);
  s = await startStack(env, { jobs: (local, paths) => (faults = createFaultRunner(local, paths, () => undefined)) });
  // The worker's activities use these very objects: freeze points patched onto them take effect.
  storeFreezes = installFreezes(s.store, [
    { name: 'inspecting', method: 'readUrl', activity: 'inspect', workflowId: idOf('cancel-inspecting.mp4') },
    { name: 'verifying', method: 'list', activity: 'verify', workflowId: idOf('cancel-verifying.mp4') },
    // Between the two masters: the DASH manifest is written, the HLS master (always last) not yet.
    { name: 'publishing', method: 'put', activity: 'publish', workflowId: idOf('cancel-publishing.mp4'), nameEndsWith: MASTER_PLAYLIST },
  ]);
  jobFreezes = installFreezes(faults, [{ name: 'starting', method: 'start', activity: 'startJob', workflowId: idOf('cancel-starting.mp4'), after: true }]);
});
afterAll(async () => {
  await s?.close();
  await env?.teardown();
});

describe('a job killed like an OOM-killed container', () => {
  it('exit 137 is retried on a fresh job, the killed one deleted, and the run completes', async () => {
    const handle = await startRun('oom.mp4');
    let killed: number | undefined;
    const runId = (await handle.describe()).runId;
    const deadline = Date.now() + 60_000;
    while (killed === undefined) {
      if (Date.now() > deadline) throw new Error('the first job never started its transcoder');
      const first = faults.created.get(`${handle.workflowId}/${runId}/all/1`);
      const shim = first && (await s.local.pid(first.handle));
      const transcoder = shim && childOf(shim);
      if (transcoder) {
        process.kill(transcoder, 'SIGKILL');
        killed = transcoder;
      } else await new Promise((r) => setTimeout(r, 20));
    }
    const result = await within<TranscodeResult>(handle.result(), 90_000, 'oom.mp4 result');
    expect(result.attempts).toEqual({ all: 2 });
    const outcomes = await activityResults<JobOutcome>(handle, 'awaitJob');
    expect(outcomes.map((o) => [o.phase, o.exitCode])).toEqual([['failed', 137], ['succeeded', 0]]);
    const mine = [...faults.created.entries()].filter(([key]) => key.startsWith(`${handle.workflowId}/`));
    expect(mine.map(([key]) => key.split('/').at(-1))).toEqual(['1', '2']);
    for (const [, { handle: job }] of mine) {
      expect(faults.deletes).toContain(job.id);
      expect(await s.local.pid(job)).toBeUndefined();
    }
    expect(() => process.kill(killed, 0)).toThrow();
    expect(await s.local.list({ workflowId: handle.workflowId })).toEqual([]);
    for (const file of await hlsReferences(s.store.objectPath(DEST_BUCKET, result.hls!))) expect(readFileSync(file).length, file).toBeGreaterThan(0);
  });
});

describe('cancellation at each stage', () => {
  it('while inspecting: no job ever starts, nothing is written but the canceled record', async () => {
    const handle = await startRun('cancel-inspecting.mp4');
    await within(storeFreezes.reached('inspecting'), 60_000, 'inspect freeze');
    await handle.cancel();
    const record = await expectCanceledCleanly(handle, 'cancel-inspecting.mp4');
    expect(record.plan).toBeUndefined();
    expect(faults.starts.filter((l) => l.tags.workflowId === handle.workflowId)).toEqual([]);
  });

  it('while its job is being created: the created job is still found and deleted', async () => {
    const handle = await startRun('cancel-starting.mp4');
    await within(jobFreezes.reached('starting'), 60_000, 'startJob freeze');
    const [created] = [...faults.created.entries()].filter(([key]) => key.startsWith(`${handle.workflowId}/`));
    expect(created).toBeDefined();
    await handle.cancel();
    // Creating a job is never abandoned half-way: the start finishes, hands over its job, then cleanup deletes it.
    jobFreezes.release('starting');
    await expectCanceledCleanly(handle, 'cancel-starting.mp4');
    expect(faults.deletes).toContain(created![1].handle.id);
  });

  it('while verifying: the finished job and the unpublished media are removed', async () => {
    const handle = await startRun('cancel-verifying.mp4');
    await within(storeFreezes.reached('verifying'), 90_000, 'verify freeze');
    expect((await listAll(s.store, DEST_BUCKET, 'cancel-verifying.mp4/')).length).toBeGreaterThan(5);
    await handle.cancel();
    const record = await expectCanceledCleanly(handle, 'cancel-verifying.mp4');
    expect(record.plan?.version).toMatch(/^v-[0-9a-f]{8}$/);
  });

  it('while publishing: publishing completes whole (the commit point), so the run completes', async () => {
    const handle = await startRun('cancel-publishing.mp4');
    await within(storeFreezes.reached('publishing'), 90_000, 'publish freeze');
    expect(await s.store.head(DEST_BUCKET, `cancel-publishing.mp4/${DASH_MANIFEST}`)).toBeDefined();
    expect(await s.store.head(DEST_BUCKET, `cancel-publishing.mp4/${MASTER_PLAYLIST}`)).toBeUndefined();
    await handle.cancel();
    storeFreezes.release('publishing');
    const result = await within<TranscodeResult>(handle.result(), 60_000, 'cancel-publishing.mp4 result');
    expect((await handle.describe()).status.name).toBe('COMPLETED');
    for (const file of await hlsReferences(s.store.objectPath(DEST_BUCKET, result.hls!))) expect(readFileSync(file).length, file).toBeGreaterThan(0);
    expect(await s.store.head(DEST_BUCKET, result.dash!)).toBeDefined();
    const record = JSON.parse(await readFile(s.store.objectPath(DEST_BUCKET, result.record), 'utf8')) as JobRecord;
    expect(record.outcome).toBe('succeeded');
    expect(await s.local.list({ workflowId: handle.workflowId })).toEqual([]);
  });
});

// The starter's event path against a real Temporal dev server and the real `transcode` workflow (storage
// stubbed, tests/helpers/stub-world.ts): the event JSON OCI delivers becomes one run with its memo and
// search attributes, redeliveries and other buckets' events start nothing, and the latency of one answer.
// The orderings of uploads (newer, stale, concurrent) are in tests/functional/workflow/uploads.test.ts.
import { readFileSync } from 'node:fs';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { workflowIdFor } from '../../../src/domain/events.js';
import { handleEvent, type StarterResult, type WorkflowStarter } from '../../../src/starter-fn/handler.js';
import { createTemporalStarter } from '../../../src/starter-fn/temporal-starter.js';
import { SEARCH_ATTRIBUTES, type TranscodeMemo, type TranscodeResult } from '../../../src/workflows/definitions.js';
import { BUCKET, NAMESPACE, startStubStack, type StubStack } from '../../helpers/stub-world.js';
import { startTemporal } from '../../helpers/temporal.js';

const raw = readFileSync(new URL('../../fixtures/events/sample-createobject.json', import.meta.url), 'utf8');

let env: TestWorkflowEnvironment;
let stack: StubStack;
let starter: WorkflowStarter;

function event(object: string, etag: string, o: { eventID?: string; bucket?: string; type?: string } = {}): unknown {
  const e = JSON.parse(raw) as { eventID: string; eventType: string; data: { resourceName: string; resourceId: string; additionalDetails: { eTag: string; bucketName: string; namespace: string } } };
  const bucket = o.bucket ?? BUCKET;
  e.eventID = o.eventID ?? `${object}:${etag}`;
  if (o.type) e.eventType = o.type;
  e.data.resourceName = object;
  e.data.resourceId = `/n/${NAMESPACE}/b/${bucket}/o/${encodeURIComponent(object)}`;
  e.data.additionalDetails.eTag = etag;
  e.data.additionalDetails.bucketName = bucket;
  e.data.additionalDetails.namespace = NAMESPACE;
  return e;
}

const deliver = (e: unknown): Promise<StarterResult> => handleEvent(e, { starter, config: stack.config });
const percentile = (values: number[], q: number): number => [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor(q * values.length))] ?? 0;
const idOf = (object: string): string => workflowIdFor({ namespace: NAMESPACE, bucket: BUCKET, object });
const runIdOf = (a: StarterResult): string => ('runId' in a ? a.runId : '');

beforeAll(async () => {
  env = await startTemporal();
  stack = await startStubStack(env);
  starter = createTemporalStarter(env.client, stack.config);
});

afterAll(async () => {
  await stack?.stop();
  await env?.teardown();
});

describe('starter on a real Temporal server', () => {
  it('starts one run with memo and search attributes from the event JSON; redeliveries answer duplicate', async () => {
    const object = 'films/redelivered.mp4';
    const etag = stack.world.upload(object);
    const first = await deliver(event(object, etag, { eventID: 'delivery-a' }));
    expect(first).toMatchObject({ outcome: 'started', workflowId: idOf(object) });
    expect(await deliver(event(object, etag, { eventID: 'delivery-b' }))).toMatchObject({ outcome: 'duplicate', runId: runIdOf(first) });
    const handle = env.client.workflow.getHandle(idOf(object));
    const d = await handle.describe();
    expect(d.runId).toBe(runIdOf(first));
    expect(d.memo).toMatchObject({ source: `${BUCKET}/${object}`, etag, preset: 'default' } satisfies Partial<TranscodeMemo>);
    expect(d.typedSearchAttributes.get(SEARCH_ATTRIBUTES.source)).toBe(`${BUCKET}/${object}`);
    expect(await handle.result()).toMatchObject({ outcome: 'published', etag } satisfies Partial<TranscodeResult>);
    // After completion: a late redelivery starts nothing, and an updateobject of the same bytes neither.
    expect(await deliver(event(object, etag, { eventID: 'delivery-c' }))).toMatchObject({ outcome: 'duplicate' });
    expect(await deliver(event(object, etag, { eventID: 'delivery-d', type: 'com.oraclecloud.objectstorage.updateobject' }))).toMatchObject({ outcome: 'duplicate' });
    expect((await handle.describe()).runId).toBe(runIdOf(first));
  });

  it('ignores events of buckets it does not watch and deletions, with the reason', async () => {
    expect(await deliver(event('x.mp4', 'e1', { bucket: 'other-bucket' }))).toMatchObject({ outcome: 'ignored', reason: expect.stringContaining('other-bucket') as string });
    expect(await deliver(event('x.mp4', 'e1', { type: 'com.oraclecloud.objectstorage.deleteobject' }))).toMatchObject({ outcome: 'ignored' });
    await expect(env.client.workflow.getHandle(idOf('x.mp4')).describe()).rejects.toThrow(/not found/i);
  });

  it('answers pending when no worker answers in time: the run exists and holds the upload', async () => {
    const object = 'nobody-home.mp4';
    const etag = stack.world.upload(object);
    const idle = createTemporalStarter(env.client, { taskQueue: 'no-worker-polls-this', starterAnswerSec: 1 });
    const t0 = performance.now();
    const answer = await handleEvent(event(object, etag), { starter: idle, config: stack.config });
    expect(performance.now() - t0).toBeLessThan(10_000);
    expect(answer).toMatchObject({ outcome: 'pending', workflowId: idOf(object), reason: expect.stringContaining('no-worker-polls-this') as string });
    const d = await env.client.workflow.getHandle(idOf(object)).describe();
    expect(d).toMatchObject({ status: { name: 'RUNNING' }, taskQueue: 'no-worker-polls-this', runId: runIdOf(answer) });
    // A redelivery while it waits: the same run, pending again, no second run.
    expect(await handleEvent(event(object, etag, { eventID: 'again' }), { starter: idle, config: stack.config })).toMatchObject({ outcome: 'pending', runId: runIdOf(answer) });
    await env.client.workflow.getHandle(idOf(object)).terminate('test: no worker');
  });

  it('answers well under a second', async () => {
    stack.world.runner.autoFinishMs = undefined; // runs stay open: the duplicate answer comes from a live run
    const starts: number[] = [];
    const duplicates: number[] = [];
    const timed = async (into: number[], e: unknown, outcome: StarterResult['outcome']): Promise<void> => {
      const t0 = performance.now();
      expect((await deliver(e)).outcome).toBe(outcome);
      into.push(performance.now() - t0);
    };
    const objects = Array.from({ length: 20 }, (_, i) => `latency-${i}.mp4`);
    for (const object of objects) {
      const etag = stack.world.upload(object);
      await timed(starts, event(object, etag), 'started');
      await timed(duplicates, event(object, etag, { eventID: 'redelivery' }), 'duplicate');
    }
    const ms = (v: number): string => `${v.toFixed(1)} ms`;
    console.log(`starter latency: started p50 ${ms(percentile(starts, 0.5))} p99 ${ms(percentile(starts, 0.99))}; ` +
      `duplicate p50 ${ms(percentile(duplicates, 0.5))} p99 ${ms(percentile(duplicates, 0.99))}`);
    expect(percentile(starts, 0.5)).toBeLessThan(1000);
    expect(percentile(duplicates, 0.5)).toBeLessThan(1000);
    stack.world.runner.autoFinishMs = 50;
    for (const job of stack.world.runner.live()) stack.world.runner.finish(job.id);
    await Promise.all(objects.map((o) => env.client.workflow.getHandle(idOf(o)).result()));
  });
});

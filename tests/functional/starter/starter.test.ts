// The starter against a real Temporal dev server, with a stand-in `transcode` workflow: dedupe of
// redeliveries, one run for 50 concurrent deliveries, supersede of an open run, a new run after
// completion, and the latency of one answer.
import { readFileSync } from 'node:fs';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { DefaultLogger, Runtime, Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findTemporalBin } from '../../../src/stack/temporal-bin.js';
import { handleEvent, type StarterConfig, type StarterResult, type WorkflowStarter } from '../../../src/starter-fn/handler.js';
import { createTemporalStarter } from '../../../src/starter-fn/temporal-starter.js';
import { SEARCH_ATTRIBUTES, type TranscodeMemo } from '../../../src/workflows/definitions.js';
import type { StandInResult } from './stand-in-workflow.js';

const taskQueue = 'starter-test';
const config: StarterConfig = { sourceBuckets: ['media-in'], destBucket: 'media-out', destPrefix: '' };
const raw = readFileSync(new URL('../../fixtures/events/sample-createobject.json', import.meta.url), 'utf8');

let env: TestWorkflowEnvironment;
let worker: Worker;
let running: Promise<void>;
let starter: WorkflowStarter;
/** signalWithStart calls per workflow id: each must land in the one run of that id. */
const signalled = new Map<string, number>();

function event(object: string, etag: string, eventID = `${object}:${etag}`): unknown {
  const e = JSON.parse(raw) as { eventID: string; data: { resourceName: string; resourceId: string; additionalDetails: { eTag: string } } };
  e.eventID = eventID;
  e.data.resourceName = object;
  e.data.resourceId = `/n/axexamplens/b/media-in/o/${encodeURIComponent(object)}`;
  e.data.additionalDetails.eTag = etag;
  return e;
}

const deliver = (e: unknown): Promise<StarterResult> => handleEvent(e, { starter, config });

const percentile = (values: number[], q: number): number => [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor(q * values.length))] ?? 0;

const idOf = (object: string): string => `transcode/axexamplens/media-in/${object}`;
const runIdOf = (a: StarterResult): string => ('runId' in a ? a.runId : '');

beforeAll(async () => {
  Runtime.install({ logger: new DefaultLogger('WARN') });
  env = await TestWorkflowEnvironment.createLocal({
    server: {
      executable: { type: 'existing-path', path: findTemporalBin() },
      ip: '127.0.0.1',
      searchAttributes: [SEARCH_ATTRIBUTES.source, SEARCH_ATTRIBUTES.stage],
      log: { format: 'pretty', level: 'error' },
    },
  });
  worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue,
    workflowsPath: new URL('./stand-in-workflow.ts', import.meta.url).pathname,
  });
  running = worker.run();
  const real = createTemporalStarter(env.client, { taskQueue });
  starter = {
    describe: (id) => real.describe(id),
    signalWithStart: (id, request, memo) => {
      signalled.set(id, (signalled.get(id) ?? 0) + 1);
      return real.signalWithStart(id, request, memo);
    },
  };
});

afterAll(async () => {
  if (worker?.getState() === 'RUNNING') worker.shutdown();
  await running;
  await env?.teardown();
});

describe('starter on a real Temporal server', () => {
  it('starts a run with memo and search attributes, and answers duplicate to redeliveries', async () => {
    const first = await deliver(event('redelivered.mp4', 'e1', 'delivery-a'));
    expect(first).toMatchObject({ outcome: 'started', workflowId: idOf('redelivered.mp4') });
    const again = await deliver(event('redelivered.mp4', 'e1', 'delivery-b'));
    expect(again).toMatchObject({ outcome: 'duplicate', workflowId: idOf('redelivered.mp4') });
    const handle = env.client.workflow.getHandle(idOf('redelivered.mp4'));
    const d = await handle.describe();
    expect(d.runId).toBe(runIdOf(first));
    expect(d.memo).toMatchObject({ source: 'media-in/redelivered.mp4', etag: 'e1', preset: 'default' } satisfies Partial<TranscodeMemo>);
    expect(d.typedSearchAttributes.get(SEARCH_ATTRIBUTES.source)).toBe('media-in/redelivered.mp4');
    await handle.signal('done');
    expect(await handle.result()).toEqual({ etag: 'e1', signals: ['e1'] } satisfies StandInResult);
    // Also after completion: a late redelivery starts nothing.
    expect(await deliver(event('redelivered.mp4', 'e1', 'delivery-c'))).toMatchObject({ outcome: 'duplicate', reason: expect.stringContaining('(completed)') as unknown });
    expect((await handle.describe()).runId).toBe(runIdOf(first));
  });

  it('ends 50 concurrent deliveries of one event in exactly one run', async () => {
    const object = 'flood.mp4';
    const t0 = performance.now();
    const answers = await Promise.all(Array.from({ length: 50 }, () => deliver(event(object, 'f1', 'same-delivery'))));
    console.log(`starter: 50 concurrent deliveries answered in ${(performance.now() - t0).toFixed(0)} ms`);
    const outcomes = answers.map((a) => a.outcome);
    expect(outcomes.filter((o) => o === 'started')).toHaveLength(1);
    expect(outcomes.filter((o) => o === 'duplicate')).toHaveLength(49);
    const handle = env.client.workflow.getHandle(idOf(object));
    const d = await handle.describe();
    expect(d.runId).toBe(runIdOf(answers.find((a) => a.outcome === 'started')!));
    await handle.signal('done');
    const result = (await handle.result()) as StandInResult;
    // The run that completed is the first of its chain: nothing continued or restarted it.
    expect((await handle.describe()).runId).toBe(d.runId);
    expect(result.etag).toBe('f1');
    // Every delivery that got past describe signalled this one run (the creator's signal included).
    expect(result.signals).toEqual(Array.from({ length: signalled.get(idOf(object)) ?? -1 }, () => 'f1'));
    expect(result.signals.length).toBeGreaterThanOrEqual(1);
  });

  it('signals the open run when a newer upload arrives, and the chain continues with it', async () => {
    const object = 'replaced.mp4';
    const first = await deliver(event(object, 'old'));
    expect(first.outcome).toBe('started');
    const newer = await deliver(event(object, 'new'));
    expect(newer).toEqual({ outcome: 'superseding', workflowId: idOf(object), runId: runIdOf(first) });
    const oldRun = env.client.workflow.getHandle(idOf(object), runIdOf(first));
    await expect.poll(async () => (await oldRun.describe()).status.name, { timeout: 10_000 }).toBe('CONTINUED_AS_NEW');
    const latest = env.client.workflow.getHandle(idOf(object));
    await expect.poll(async () => (await latest.describe()).memo?.etag, { timeout: 10_000 }).toBe('new');
    // The newer event redelivered: the continued run already works on it.
    expect(await deliver(event(object, 'new', 'again'))).toMatchObject({ outcome: 'duplicate' });
    await latest.signal('done');
    expect(await latest.result()).toEqual({ etag: 'new', signals: [] } satisfies StandInResult);
  });

  it('starts a new run for a newer upload after the previous run completed', async () => {
    const object = 'reuploaded.mp4';
    const first = await deliver(event(object, 'v1'));
    const handle = env.client.workflow.getHandle(idOf(object));
    await handle.signal('done');
    await handle.result();
    const second = await deliver(event(object, 'v2'));
    expect(second).toMatchObject({ outcome: 'started', workflowId: idOf(object) });
    expect(runIdOf(second)).not.toBe(runIdOf(first));
    expect((await handle.describe()).memo?.etag).toBe('v2');
    await handle.signal('done');
    expect(await handle.result()).toEqual({ etag: 'v2', signals: ['v2'] } satisfies StandInResult);
  });

  it('answers well under a second', async () => {
    const starts: number[] = [];
    const duplicates: number[] = [];
    const timed = async (into: number[], e: unknown, outcome: StarterResult['outcome']): Promise<void> => {
      const t0 = performance.now();
      expect((await deliver(e)).outcome).toBe(outcome);
      into.push(performance.now() - t0);
    };
    for (let i = 0; i < 20; i++) {
      await timed(starts, event(`latency-${i}.mp4`, 'l1'), 'started');
      await timed(duplicates, event(`latency-${i}.mp4`, 'l1', 'redelivery'), 'duplicate');
    }
    const ms = (v: number): string => `${v.toFixed(1)} ms`;
    console.log(`starter latency: started p50 ${ms(percentile(starts, 0.5))} p99 ${ms(percentile(starts, 0.99))}; ` +
      `duplicate p50 ${ms(percentile(duplicates, 0.5))} p99 ${ms(percentile(duplicates, 0.99))}`);
    expect(percentile(starts, 0.5)).toBeLessThan(500);
    expect(percentile(duplicates, 0.5)).toBeLessThan(500);
    await Promise.all(Array.from({ length: 20 }, async (_, i) => {
      const handle = env.client.workflow.getHandle(idOf(`latency-${i}.mp4`));
      await handle.signal('done');
      await handle.result();
    }));
  });
});

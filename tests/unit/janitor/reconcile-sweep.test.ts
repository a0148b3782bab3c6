// The reconcile sweep over an in-memory bucket listing (real paging semantics: byte order, `start`
// inclusive, `next` the first name of the next page) and the in-memory WorkflowStarter: what it starts,
// what it leaves, how its bounds split a big bucket over several sweeps, and that failures stay local.
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { requestFor, workflowIdFor } from '../../../src/domain/events.js';
import type { ReconcileReport, ReconcileSettings } from '../../../src/janitor/reconcile.js';
import { reconcileSources, type ReconcileDeps } from '../../../src/janitor/reconcile-sweep.js';
import { NotFoundError, type ListPage, type ObjectStore } from '../../../src/ports.js';
import type { StarterConfig } from '../../../src/starter-fn/handler.js';
import { defaultDest, streamPrefix } from '../../../src/domain/layout.js';
import { MemoryStarter } from '../starter-fn/memory-starter.js';

const NS = 'ns';
const NOW = Date.parse('2030-06-01T12:00:00Z');
const OLD = new Date(NOW - 86_400_000).toISOString();

interface Stored {
  etag: string;
  modified?: string;
  archivalState?: string;
  body?: string;
}

class MemoryBuckets {
  readonly namespace = NS;
  readonly buckets = new Map<string, Map<string, Stored>>();
  readonly listCalls: { bucket: string; start?: string; limit?: number }[] = [];
  failList = new Set<string>();

  put(bucket: string, name: string, value: Partial<Stored> = {}): Stored {
    const stored = { etag: `etag-${name}`, modified: OLD, ...value };
    if (!this.buckets.has(bucket)) this.buckets.set(bucket, new Map());
    this.buckets.get(bucket)!.set(name, stored);
    return stored;
  }

  list(bucket: string, prefix: string, options: { start?: string; limit?: number } = {}): Promise<ListPage> {
    this.listCalls.push({ bucket, ...options });
    if (this.failList.has(bucket)) return Promise.reject(new Error('503 ServiceUnavailable'));
    const names = [...(this.buckets.get(bucket)?.keys() ?? [])]
      .filter((n) => n.startsWith(prefix) && (options.start === undefined || Buffer.compare(Buffer.from(n), Buffer.from(options.start)) >= 0))
      .sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
    const limit = options.limit ?? 1000;
    const objects = names.slice(0, limit).map((name) => {
      const { etag, modified, archivalState } = this.buckets.get(bucket)!.get(name)!;
      return { name, size: 1, etag, ...(modified ? { modified } : {}), ...(archivalState ? { archivalState } : {}) };
    });
    const next = names[limit];
    return Promise.resolve(next === undefined ? { objects } : { objects, next });
  }

  get(bucket: string, name: string): Promise<Readable> {
    const body = this.buckets.get(bucket)?.get(name)?.body;
    return body === undefined ? Promise.reject(new NotFoundError(`${bucket}/${name}`)) : Promise.resolve(Readable.from([body]));
  }

  /** A job.json as the workflow writes it, for a source at an eTag, at that source's stream prefix (or `at`'s). */
  record(dest: string, object: string, source: Record<string, string>, outcome = 'succeeded', at = source.bucket ?? 'media-in'): void {
    const prefix = streamPrefix(defaultDest(config(), at), object);
    this.put(dest, `${prefix}job.json`, { body: JSON.stringify({ schema: 1, outcome, workflow: { id: 'x', runId: 'y' }, source }) });
  }
}

const settings: ReconcileSettings = { maxObjects: 1000, maxStarts: 20, graceSec: 0 };
const config = (r: Partial<ReconcileSettings> = {}): StarterConfig & { reconcile: ReconcileSettings } => ({
  sourceBuckets: ['media-in', 'more-in'],
  destBucket: 'media-out',
  destPrefix: '',
  preset: 'seed',
  reconcile: { ...settings, ...r },
});
const source = (object: string, bucket = 'media-in', etag = `etag-${object}`) => ({ namespace: NS, bucket, object, etag });
const idOf = (object: string, bucket = 'media-in'): string => workflowIdFor(source(object, bucket));

function sweep(store: MemoryBuckets, starter: MemoryStarter, extra: Partial<ReconcileDeps> & { reconcile?: Partial<ReconcileSettings> } = {}): Promise<ReconcileReport> {
  const { reconcile, ...rest } = extra;
  return reconcileSources({ store: store as unknown as ObjectStore, starter, config: config(reconcile), now: () => NOW, ...rest });
}

/** Plants a run as the starter would have made it for an object at an eTag. */
function plantRun(starter: MemoryStarter, object: string, etag: string, status: 'RUNNING' | 'COMPLETED' | 'FAILED' = 'COMPLETED'): void {
  const run = starter.start(idOf(object), requestFor(source(object, 'media-in', etag), config()), { source: `media-in/${object}`, etag, preset: 'seed' });
  run.status = status;
}

const outcomes = (r: ReconcileReport): Record<string, string> => Object.fromEntries(r.objects.map((l) => [`${l.bucket}/${l.object ?? ''}`, l.outcome]));

describe('reconcileSources', () => {
  it('starts exactly the objects with neither a run nor a job.json for their eTag, once', async () => {
    const store = new MemoryBuckets();
    const starter = new MemoryStarter();
    for (const name of ['dropped.mp4', 'done.mp4', 'expired.mp4', 'failed.mp4', 'replaced.mp4', 'busy.mp4', 'trips/']) store.put('media-in', name);
    store.put('media-in', 'vault.mp4', { archivalState: 'Archived' });
    plantRun(starter, 'done.mp4', 'etag-done.mp4');
    store.record('media-out', 'expired.mp4', source('expired.mp4'));
    store.record('media-out', 'failed.mp4', source('failed.mp4'), 'failed');
    plantRun(starter, 'replaced.mp4', 'etag-old'); // overwritten since, and the update event was lost
    plantRun(starter, 'busy.mp4', 'etag-old', 'RUNNING');

    const first = await sweep(store, starter);
    expect(first).toMatchObject({ dryRun: false, examined: 8, skipped: 2, current: 3, started: 3, wouldStart: 0, errors: 0 });
    expect(first.next).toBeUndefined();
    expect(outcomes(first)).toEqual({ 'media-in/dropped.mp4': 'started', 'media-in/replaced.mp4': 'started', 'media-in/busy.mp4': 'superseding' });
    expect(first.objects.find((l) => l.object === 'dropped.mp4')).toMatchObject({ reason: 'no run and no job.json for eTag etag-dropped.mp4', workflowId: idOf('dropped.mp4'), runId: expect.any(String) as string });
    // The run got the request and memo an event would have given it (settings included).
    const run = starter.latest(idOf('dropped.mp4'))!;
    expect(run.request).toEqual({ ...requestFor(source('dropped.mp4'), config()), preset: 'seed' });
    expect(run.memo).toEqual({ source: 'media-in/dropped.mp4', etag: 'etag-dropped.mp4', preset: 'seed' });
    expect(starter.latest(idOf('busy.mp4'))?.etag).toBe('etag-busy.mp4');
    expect(starter.latest(idOf('expired.mp4'))).toBeUndefined();

    const calls = { ...starter.calls };
    const second = await sweep(store, starter);
    expect(second).toMatchObject({ examined: 8, skipped: 2, current: 6, started: 0, errors: 0, objects: [] });
    expect(starter.calls.announce).toBe(calls.announce);
  });

  it('in a dry run starts nothing and names what it would start, within the start bound', async () => {
    const store = new MemoryBuckets();
    const starter = new MemoryStarter();
    for (const name of ['a.mp4', 'b.mp4', 'c.mp4']) store.put('media-in', name);
    const report = await sweep(store, starter, { dryRun: true, reconcile: { maxStarts: 2 } });
    expect(report).toMatchObject({ dryRun: true, examined: 2, started: 0, wouldStart: 2, stoppedBy: 'max-starts', next: { bucket: 'media-in', start: 'c.mp4' } });
    expect(report.objects.map((l) => [l.object, l.outcome])).toEqual([['a.mp4', 'would-start'], ['b.mp4', 'would-start']]);
    expect(starter.calls.announce).toBe(0);
    expect(starter.runs.size).toBe(0);
  });

  it('spreads a big listing over sweeps by maxObjects, pages no further than its budget, and covers every object once', async () => {
    const store = new MemoryBuckets();
    const starter = new MemoryStarter();
    for (const name of ['a', 'b', 'c', 'd', 'e']) store.put('media-in', `${name}.mp4`);
    for (const name of ['x', 'y']) store.put('more-in', `${name}.mp4`);
    const reports: ReconcileReport[] = [];
    let resume: unknown;
    do {
      const r = await sweep(store, starter, { resume, reconcile: { maxObjects: 3 } });
      reports.push(r);
      resume = r.next;
    } while (resume !== undefined && reports.length < 10);
    expect(reports.map((r) => [r.examined, r.started, r.stoppedBy, r.next])).toEqual([
      [3, 3, 'max-objects', { bucket: 'media-in', start: 'd.mp4' }],
      [3, 3, 'max-objects', { bucket: 'more-in', start: 'y.mp4' }],
      [1, 1, undefined, undefined],
    ]);
    expect(store.listCalls.every((c) => (c.limit ?? Infinity) <= 3)).toBe(true);
    expect(starter.runs.size).toBe(7);
    expect([...starter.runs.values()].every((runs) => runs.length === 1)).toBe(true);
    // The pass is complete: the next sweep starts over at the first bucket and finds nothing to do.
    const again = await sweep(store, starter, { resume: undefined, reconcile: { maxObjects: 3 } });
    expect(again).toMatchObject({ examined: 3, current: 3, started: 0 });
    expect(store.listCalls.at(-1)).toEqual({ bucket: 'media-in', limit: 3 });
  });

  it('stops at maxStarts before the next object and goes on from it', async () => {
    const store = new MemoryBuckets();
    const starter = new MemoryStarter();
    for (const name of ['a', 'b', 'c', 'd']) store.put('media-in', `${name}.mp4`);
    const first = await sweep(store, starter, { reconcile: { maxStarts: 2 } });
    expect(first).toMatchObject({ examined: 2, started: 2, stoppedBy: 'max-starts', next: { bucket: 'media-in', start: 'c.mp4' } });
    const second = await sweep(store, starter, { resume: first.next, reconcile: { maxStarts: 2 } });
    expect(second).toMatchObject({ examined: 2, started: 2 });
    expect(second.next).toBeUndefined();
    expect(starter.runs.size).toBe(4);
  });

  it('leaves objects younger than the grace period to their event', async () => {
    const store = new MemoryBuckets();
    const starter = new MemoryStarter();
    store.put('media-in', 'fresh.mp4', { modified: new Date(NOW - 60_000).toISOString() });
    store.put('media-in', 'stale.mp4');
    const described: string[] = [];
    const describe = starter.describe.bind(starter);
    starter.describe = (id) => (described.push(id), describe(id));
    const report = await sweep(store, starter, { reconcile: { graceSec: 600 } });
    expect(report).toMatchObject({ examined: 2, skipped: 1, started: 1 });
    expect(outcomes(report)).toEqual({ 'media-in/stale.mp4': 'started' });
    // fresh.mp4 is not even looked up; stale.mp4 once (the run itself judges the start).
    expect(described).toEqual([idOf('stale.mp4')]);
    // Ten minutes on, it is the reconciler's.
    const later = await sweep(store, starter, { reconcile: { graceSec: 600 }, now: () => NOW + 600_000 });
    expect(outcomes(later)).toEqual({ 'media-in/fresh.mp4': 'started' });
  });

  it('gives each source bucket a stream prefix of its own, and does not start a name whose prefix holds another source', async () => {
    const store = new MemoryBuckets();
    const starter = new MemoryStarter();
    store.put('media-in', 'talk.mp4');
    store.put('more-in', 'talk.mp4');
    // Equal names in two buckets: separate streams, both started.
    const both = await sweep(store, starter);
    expect(both).toMatchObject({ examined: 2, started: 2 });
    expect(starter.latest(idOf('talk.mp4', 'more-in'))?.request.dest).toEqual({ bucket: 'media-out', prefix: 'more-in/' });
    // A record at media-in's prefix naming another source (left by a hand-made request): not overwritten.
    const other = new MemoryBuckets();
    other.put('media-in', 'talk.mp4');
    other.record('media-out', 'talk.mp4', source('talk.mp4', 'more-in'), 'succeeded', 'media-in');
    const report = await sweep(other, new MemoryStarter());
    expect(report).toMatchObject({ examined: 1, skipped: 1, started: 0 });
    expect(report.objects).toEqual([expect.objectContaining({ bucket: 'media-in', object: 'talk.mp4', outcome: 'conflict', reason: 'its stream prefix holds the outputs of ns/more-in/talk.mp4: not started' })]);
  });

  it('counts an event that won the race to start as current, without a second run', async () => {
    const store = new MemoryBuckets();
    const starter = new MemoryStarter();
    store.put('media-in', 'late.mp4');
    // The event's run appeared between the reconciler's look and its start: the run answers duplicate.
    starter.answer = () => {
      starter.answer = undefined;
      const run = starter.start(idOf('late.mp4'), requestFor(source('late.mp4'), config()), { source: 'media-in/late.mp4', etag: 'etag-late.mp4', preset: 'seed' });
      return { outcome: 'duplicate', runId: run.runId, etag: 'etag-late.mp4', reason: `run ${run.runId} already transcodes eTag etag-late.mp4` };
    };
    const report = await sweep(store, starter);
    expect(report).toMatchObject({ current: 1, started: 0 });
    expect(report.objects[0]).toMatchObject({ outcome: 'duplicate', reason: expect.stringMatching(/^the run answered: run run-1 already transcodes/) as string });
    expect(starter.runs.get(idOf('late.mp4'))).toHaveLength(1);
  });

  it('counts a failure on one object or one bucket and goes on with the rest', async () => {
    const store = new MemoryBuckets();
    const starter = new MemoryStarter();
    for (const name of ['a.mp4', 'b.mp4', 'c.mp4']) store.put('media-in', name);
    store.put('more-in', 'x.mp4');
    store.put('media-out', 'media-in/c.mp4/job.json', { body: '{ not json' });
    const describe = starter.describe.bind(starter);
    starter.describe = (id) => (id === idOf('a.mp4') ? Promise.reject(new Error('14 UNAVAILABLE: connection refused')) : describe(id));
    store.failList.add('more-in');
    const report = await sweep(store, starter);
    expect(report).toMatchObject({ examined: 3, started: 1, errors: 3 });
    expect(report.objects.map((l) => [l.bucket, l.object, l.outcome, l.reason])).toEqual([
      ['media-in', 'a.mp4', 'error', 'could not look up its run: 14 UNAVAILABLE: connection refused'],
      ['media-in', 'b.mp4', 'started', 'no run and no job.json for eTag etag-b.mp4'],
      ['media-in', 'c.mp4', 'error', expect.stringMatching(/^could not read job\.json: media-out\/media-in\/c\.mp4\/job\.json is not valid JSON/) as string],
      ['more-in', undefined, 'error', 'could not list the bucket: 503 ServiceUnavailable'],
    ]);
  });

  it('ends the sweep after five failures in a row, to go on from the first of them next time', async () => {
    const store = new MemoryBuckets();
    const starter = new MemoryStarter();
    for (const name of ['a', 'b', 'c', 'd', 'e', 'f', 'g']) store.put('media-in', `${name}.mp4`);
    starter.describe = () => Promise.reject(new Error('14 UNAVAILABLE'));
    const report = await sweep(store, starter);
    expect(report).toMatchObject({ examined: 5, errors: 5, stoppedBy: 'errors', next: { bucket: 'media-in', start: 'f.mp4' } });
  });

  it('ends itself when its time budget is spent', async () => {
    const store = new MemoryBuckets();
    const starter = new MemoryStarter();
    for (const name of ['a', 'b', 'c', 'd']) store.put('media-in', `${name}.mp4`);
    let clock = NOW;
    const report = await sweep(store, starter, { now: () => (clock += 60_000), budgetMs: 3 * 60_000 });
    expect(report.stoppedBy).toBe('time');
    expect(report.next?.bucket).toBe('media-in');
    expect(report.examined).toBeGreaterThan(0);
    expect(report.examined).toBeLessThan(4);
  });

  it('lets a retried attempt go on from its last heartbeat with the counts it had there', async () => {
    const store = new MemoryBuckets();
    const starter = new MemoryStarter();
    for (const name of ['a', 'b', 'c', 'd']) store.put('media-in', `${name}.mp4`);
    store.put('media-in', 'z/');
    const beats: unknown[] = [];
    const whole = await sweep(store, starter, { dryRun: true, onProgress: (p) => beats.push(JSON.parse(JSON.stringify(p))) });
    expect(beats).toHaveLength(5);
    expect(beats[2]).toMatchObject({ at: { bucket: 'media-in', start: 'c.mp4' }, report: { examined: 2, wouldStart: 2 } });
    const listed = store.listCalls.length;
    const resumed = await sweep(store, starter, { dryRun: true, progress: beats[2] });
    expect(resumed).toEqual(whole);
    expect(store.listCalls[listed]).toMatchObject({ bucket: 'media-in', start: 'c.mp4' });
  });

  it('is off, listing nothing, when maxObjects is 0', async () => {
    const store = new MemoryBuckets();
    store.put('media-in', 'a.mp4');
    const report = await sweep(store, new MemoryStarter(), { reconcile: { maxObjects: 0 } });
    expect(report).toMatchObject({ off: true, examined: 0, started: 0 });
    expect(store.listCalls).toEqual([]);
  });
});

// The reconciler's pure decisions: which listed objects are skipped, which are current, which start.
import { describe, expect, it } from 'vitest';
import {
  byRecord,
  byRun,
  emptyReconcileReport,
  reconcileSummary,
  recordOutcome,
  REPORT_OBJECT_LINES,
  resumeCursor,
  resumeProgress,
  screen,
  startsLeft,
} from '../../../src/janitor/reconcile.js';

const config = { sourceBuckets: ['media-in', 'shared'], destBucket: 'shared', destPrefix: 'out/' };
// A fixed instant: nothing here reads the clock.
const NOW = Date.parse('2030-06-01T12:00:00Z');
const ago = (sec: number): string => new Date(NOW - sec * 1000).toISOString();

describe('screen', () => {
  const object = (name: string, extra: Partial<{ etag: string; modified: string; archivalState: string }> = {}) => ({ name, etag: 'e1', modified: ago(3600), ...extra });

  it('passes an ordinary upload on to the lookups', () => {
    expect(screen('media-in', object('talk.mp4'), config, 600, NOW)).toBeUndefined();
    expect(screen('shared', object('raw/talk.mp4'), config, 600, NOW)).toBeUndefined();
  });

  it('skips what the starter would ignore: folder markers, own outputs in a shared bucket, archived objects', () => {
    expect(screen('media-in', object('trips/'), config, 600, NOW)).toEqual({ action: 'skip', reason: 'trips/ is a folder marker' });
    // Two source buckets: each one's outputs live under <prefix><source bucket>/ in the destination.
    expect(screen('shared', object('out/media-in/talk.mp4/master.m3u8'), config, 600, NOW)?.reason).toBe('out/media-in/talk.mp4/master.m3u8 is a master.m3u8 the pipeline writes');
    expect(screen('shared', object('out/shared/thumbnails/talk.mp4_thumb.png'), config, 600, NOW)?.reason).toMatch(/thumbnail the pipeline writes/);
    expect(screen('shared', object('out/shared/talk.mp4/v-0a1b2c3d/720p/seg_00001.m4s'), config, 600, NOW)?.reason).toMatch(/version folder/);
    expect(screen('media-in', object('old.mp4', { archivalState: 'Archived' }), config, 600, NOW)?.reason).toMatch(/old.mp4 is archived/);
    // The same names in a bucket that is not the destination are uploads like any other.
    expect(screen('media-in', object('out/talk.mp4/master.m3u8'), config, 600, NOW)).toBeUndefined();
  });

  it('leaves objects younger than the grace period to their event, and none when the period is 0', () => {
    expect(screen('media-in', object('new.mp4', { modified: ago(599) }), config, 600, NOW)).toEqual({
      action: 'skip',
      reason: 'modified 599 s ago, within the 600 s grace period: its event may still be on its way',
    });
    expect(screen('media-in', object('new.mp4', { modified: ago(600) }), config, 600, NOW)).toBeUndefined();
    expect(screen('media-in', object('new.mp4', { modified: ago(0) }), config, 0, NOW)).toBeUndefined();
    // A clock ahead of the store's: still young.
    expect(screen('media-in', object('new.mp4', { modified: ago(-30) }), config, 600, NOW)?.reason).toMatch(/^modified 0 s ago/);
  });

  it('takes an object without a time as old, and skips one without an eTag', () => {
    expect(screen('media-in', { name: 'a.mp4', etag: 'e1' }, config, 600, NOW)).toBeUndefined();
    expect(screen('media-in', { name: 'a.mp4', etag: 'e1', modified: 'not a date' }, config, 600, NOW)).toBeUndefined();
    expect(screen('media-in', { name: 'a.mp4', etag: '' }, config, 600, NOW)?.reason).toMatch(/no eTag/);
  });
});

describe('byRun', () => {
  it('is current when the latest run, open or closed, has the eTag; else it decides nothing', () => {
    expect(byRun('e1', { runId: 'r1', status: 'COMPLETED', etag: 'e1' })).toEqual({ action: 'current', reason: 'run r1 (completed) has eTag e1' });
    expect(byRun('e1', { runId: 'r1', status: 'RUNNING', etag: 'e1' })?.action).toBe('current');
    expect(byRun('e1', { runId: 'r1', status: 'FAILED', etag: 'e1' })?.action).toBe('current');
    expect(byRun('e2', { runId: 'r1', status: 'COMPLETED', etag: 'e1' })).toBeUndefined();
    expect(byRun('e1', { runId: 'r1', status: 'RUNNING' })).toBeUndefined();
    expect(byRun('e1', undefined)).toBeUndefined();
  });
});

describe('byRecord', () => {
  const source = { namespace: 'ns', bucket: 'media-in', object: 'talk.mp4', etag: 'e2' };
  const record = (s: Record<string, unknown>, outcome = 'succeeded') => ({ schema: 1, outcome, source: s });

  it('starts when there is no job.json, or one for another eTag (an overwrite whose event was lost)', () => {
    expect(byRecord(source, undefined)).toEqual({ action: 'start', reason: 'no run and no job.json for eTag e2' });
    expect(byRecord(source, record({ ...source, etag: 'e1' }))).toEqual({ action: 'start', reason: 'no run for eTag e2; job.json records eTag e1' });
    expect(byRecord(source, record({ namespace: 'ns', bucket: 'media-in', object: 'talk.mp4' })).reason).toBe('no run for eTag e2; job.json records no eTag');
    expect(byRecord(source, { schema: 1 }).action).toBe('start');
    expect(byRecord(source, 'garbage').action).toBe('start');
  });

  it('is current when job.json records this source at this eTag, whatever the outcome', () => {
    expect(byRecord(source, record(source))).toEqual({ action: 'current', reason: 'job.json (succeeded) records eTag e2; its run is no longer in Temporal' });
    // A failed or cancelled run is not retried by the reconciler: that needs a new upload or an operator.
    expect(byRecord(source, record(source, 'failed')).action).toBe('current');
    expect(byRecord(source, record(source, 'canceled')).action).toBe('current');
  });

  it('reports a conflict when the stream prefix holds the outputs of the same name in another source bucket', () => {
    expect(byRecord(source, record({ ...source, bucket: 'shared', etag: 'x' }))).toEqual({
      action: 'conflict',
      reason: 'its stream prefix holds the outputs of ns/shared/talk.mp4: not started',
    });
    expect(byRecord(source, record({ ...source, bucket: 'shared' })).action).toBe('conflict');
    expect(byRecord(source, record({ ...source, namespace: 'other' })).action).toBe('conflict');
  });
});

describe('resumeCursor and resumeProgress', () => {
  const buckets = ['media-in', 'shared'];

  it('goes on from a cursor into a configured bucket; anything else starts over', () => {
    expect(resumeCursor({ bucket: 'shared', start: 'm.mp4' }, buckets)).toEqual({ bucket: 'shared', start: 'm.mp4' });
    expect(resumeCursor({ bucket: 'shared' }, buckets)).toEqual({ bucket: 'shared' });
    expect(resumeCursor({ bucket: 'gone', start: 'a' }, buckets)).toBeUndefined();
    expect(resumeCursor(undefined, buckets)).toBeUndefined();
    expect(resumeCursor({ bucket: 7 }, buckets)).toBeUndefined();
    expect(resumeCursor({ bucket: 'shared', start: '' }, buckets)).toBeUndefined();
  });

  it('takes a heartbeat of the same kind of sweep only', () => {
    const report = emptyReconcileReport(false);
    report.examined = 3;
    report.started = 1;
    const beat = JSON.parse(JSON.stringify({ report, at: { bucket: 'media-in', start: 'c.mp4' } })) as unknown;
    expect(resumeProgress(beat, buckets, false)).toEqual({ report, at: { bucket: 'media-in', start: 'c.mp4' } });
    expect(resumeProgress(beat, buckets, true)).toBeUndefined();
    expect(resumeProgress(beat, ['other'], false)).toBeUndefined();
    expect(resumeProgress({ examined: 3 }, buckets, false)).toBeUndefined();
    expect(resumeProgress(undefined, buckets, false)).toBeUndefined();
  });
});

describe('the report', () => {
  it('counts every outcome, keeps lines only for what an operator acts on, and caps them', () => {
    const r = emptyReconcileReport(false);
    const line = { bucket: 'b', object: 'o', reason: 'r' };
    recordOutcome(r, 'skipped', line);
    recordOutcome(r, 'current', line);
    recordOutcome(r, 'duplicate', line);
    recordOutcome(r, 'conflict', line);
    recordOutcome(r, 'started', line);
    recordOutcome(r, 'superseding', line);
    recordOutcome(r, 'error', line);
    expect(r).toMatchObject({ skipped: 2, current: 2, started: 2, wouldStart: 0, errors: 1 });
    expect(r.objects.map((l) => l.outcome)).toEqual(['duplicate', 'conflict', 'started', 'superseding', 'error']);
    for (let i = 0; i < 100; i++) recordOutcome(r, 'started', line);
    expect(r.started).toBe(102);
    expect(r.objects).toHaveLength(REPORT_OBJECT_LINES);
  });

  it('counts would-starts against the start bound, so a dry run previews a real sweep', () => {
    const r = emptyReconcileReport(true);
    recordOutcome(r, 'would-start', { bucket: 'b', object: 'o', reason: 'r' });
    expect(startsLeft(r, { maxObjects: 10, maxStarts: 3, graceSec: 0 })).toBe(2);
  });

  it('says in one line what happened and where the next sweep goes on', () => {
    const r = { ...emptyReconcileReport(false), examined: 5, started: 1, current: 3, skipped: 1 };
    expect(reconcileSummary(r)).toBe('reconciler examined 5 object(s): 1 started, 3 current, 1 skipped, 0 error(s); reached the end of every source bucket');
    expect(reconcileSummary({ ...r, dryRun: true, started: 0, wouldStart: 2, next: { bucket: 'b', start: 'k.mp4' }, stoppedBy: 'max-starts' })).toBe(
      'reconciler examined 5 object(s): dry run: 2 would be started, 3 current, 1 skipped, 0 error(s); stopped (max-starts); the next sweep goes on at b/k.mp4',
    );
    expect(reconcileSummary({ ...emptyReconcileReport(false), off: true })).toMatch(/off/);
  });
});

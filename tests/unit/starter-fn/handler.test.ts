import { readFileSync } from 'node:fs';
import { beforeEach, describe, expect, it } from 'vitest';
import { requestFor } from '../../../src/domain/events.js';
import { handleEvent, InvalidEventError, startTranscode, type StarterConfig } from '../../../src/starter-fn/handler.js';
import { MemoryStarter } from './memory-starter.js';

const raw = readFileSync(new URL('../../fixtures/events/sample-createobject.json', import.meta.url), 'utf8');
const WID = 'transcode/axexamplens/media-in/uploads/Holiday clip (final).mp4';
const config: StarterConfig = { sourceBuckets: ['media-in'], destBucket: 'media-out', destPrefix: 'streams', preset: 'seed', formats: ['hls'], parallelism: 'per-rendition', segmentFormat: 'cmaf' };

function event(etag = 'etag-1', eventID = 'delivery-1'): unknown {
  const e = JSON.parse(raw) as { eventID: string; data: { additionalDetails: { eTag: string } } };
  e.eventID = eventID;
  e.data.additionalDetails.eTag = etag;
  return e;
}

describe('handleEvent', () => {
  let starter: MemoryStarter;
  const handle = (e: unknown) => handleEvent(e, { starter, config });
  beforeEach(() => {
    starter = new MemoryStarter();
  });

  it('starts one run per object with the request, memo and settings', async () => {
    expect(await handle(event())).toEqual({ outcome: 'started', workflowId: WID, runId: 'run-1' });
    const run = starter.latest(WID);
    expect(run?.request).toEqual({
      source: { namespace: 'axexamplens', bucket: 'media-in', object: 'uploads/Holiday clip (final).mp4', etag: 'etag-1' },
      dest: { bucket: 'media-out', prefix: 'streams/' },
      preset: 'seed', formats: ['hls'], parallelism: 'per-rendition', segmentFormat: 'cmaf',
    });
    expect(run?.memo).toEqual({ source: 'media-in/uploads/Holiday clip (final).mp4', etag: 'etag-1', preset: 'seed' });
  });

  it('answers duplicate to a redelivery, while running and after completion, without signalling', async () => {
    await handle(event());
    expect(await handle(event('etag-1', 'delivery-2'))).toEqual({ outcome: 'duplicate', workflowId: WID, reason: 'run run-1 (running) already has eTag etag-1' });
    starter.complete(WID);
    expect(await handle(event())).toMatchObject({ outcome: 'duplicate', reason: 'run run-1 (completed) already has eTag etag-1' });
    expect(starter.calls.signalWithStart).toBe(1);
    expect(starter.runs.get(WID)).toHaveLength(1);
  });

  it('supersedes an open run when a newer upload of the name arrives', async () => {
    await handle(event('etag-1'));
    expect(await handle(event('etag-2'))).toEqual({ outcome: 'superseding', workflowId: WID, runId: 'run-1' });
    expect(starter.runs.get(WID)?.map((r) => [r.status, r.etag])).toEqual([['CONTINUED_AS_NEW', 'etag-1'], ['RUNNING', 'etag-2']]);
    // The newer event redelivered: the continued run already has its etag.
    expect(await handle(event('etag-2'))).toMatchObject({ outcome: 'duplicate' });
  });

  it('starts a fresh run for a newer upload after the old run closed, failed or not', async () => {
    await handle(event('etag-1'));
    starter.complete(WID, 'FAILED');
    expect(await handle(event('etag-2'))).toEqual({ outcome: 'started', workflowId: WID, runId: 'run-2' });
  });

  it('answers duplicate when a concurrent delivery of the same upload won the start', async () => {
    starter.beforeSignalWithStart = (id) => {
      starter.beforeSignalWithStart = undefined;
      starter.start(id, { source: { namespace: 'n', bucket: 'b', object: 'o', etag: 'etag-1' } }, { source: 'b/o', etag: 'etag-1', preset: 'seed' });
    };
    expect(await handle(event('etag-1'))).toEqual({ outcome: 'duplicate', workflowId: WID, reason: 'a concurrent delivery started run run-1 for eTag etag-1' });
    expect(starter.runs.get(WID)).toHaveLength(1);
  });

  it('answers superseding when another upload\'s run appeared meanwhile', async () => {
    starter.beforeSignalWithStart = (id) => {
      starter.beforeSignalWithStart = undefined;
      starter.start(id, { source: { namespace: 'n', bucket: 'b', object: 'o', etag: 'etag-0' } }, { source: 'b/o', etag: 'etag-0', preset: 'seed' });
    };
    expect(await handle(event('etag-1'))).toEqual({ outcome: 'superseding', workflowId: WID, runId: 'run-1' });
  });

  it('ends 50 concurrent deliveries of one event in one run, one started answer', async () => {
    const answers = await Promise.all(Array.from({ length: 50 }, (_, i) => handle(event('etag-1', `delivery-${i}`))));
    expect(answers.filter((a) => a.outcome === 'started')).toHaveLength(1);
    expect(answers.filter((a) => a.outcome === 'duplicate')).toHaveLength(49);
    expect(starter.runs.get(WID)).toHaveLength(1);
  });

  it('ignores what is not ours without touching Temporal', async () => {
    const e = event() as { data: { resourceName: string } };
    e.data.resourceName = 'uploads/';
    expect(await handle(e)).toEqual({ outcome: 'ignored', reason: 'uploads/ is a folder marker' });
    expect(starter.calls).toEqual({ describe: 0, signalWithStart: 0 });
  });

  it('takes an overwrite delivered as updateobject like a newer upload: started after the old run closed, superseding while open', async () => {
    const update = (etag: string): unknown => ({ ...(event(etag, `u-${etag}`) as object), eventType: 'com.oraclecloud.objectstorage.updateobject' });
    await handle(event('etag-1'));
    expect(await handle(update('etag-2'))).toEqual({ outcome: 'superseding', workflowId: WID, runId: 'run-1' });
    starter.complete(WID);
    expect(await handle(update('etag-3'))).toEqual({ outcome: 'started', workflowId: WID, runId: 'run-3' });
    // A create and an update of one upload (both may be delivered) end in one run.
    expect(await handle(event('etag-3'))).toMatchObject({ outcome: 'duplicate' });
  });

  it('ignores a deleteobject without touching Temporal', async () => {
    const deleted = { ...(event() as object), eventType: 'com.oraclecloud.objectstorage.deleteobject' };
    expect(await handle(deleted)).toMatchObject({ outcome: 'ignored', reason: expect.stringMatching(/^deleteobject of media-in\/uploads/) as string });
    expect(starter.calls).toEqual({ describe: 0, signalWithStart: 0 });
  });

  it('startTranscode is the same start path for a request the reconciler builds: settings, memo, dedupe', async () => {
    const source = { namespace: 'axexamplens', bucket: 'media-in', object: 'uploads/Holiday clip (final).mp4', etag: 'etag-1' };
    expect(await startTranscode(requestFor(source, config), { starter, config })).toEqual({ outcome: 'started', workflowId: WID, runId: 'run-1' });
    expect(starter.latest(WID)?.request).toMatchObject({ dest: { bucket: 'media-out', prefix: 'streams/' }, preset: 'seed', formats: ['hls'], parallelism: 'per-rendition' });
    // The event arriving late is a duplicate of the run the reconciler started, and the reverse.
    expect(await handle(event('etag-1'))).toMatchObject({ outcome: 'duplicate' });
    expect(await startTranscode(requestFor(source, config), { starter, config })).toMatchObject({ outcome: 'duplicate' });
    expect(starter.runs.get(WID)).toHaveLength(1);
  });

  it('throws InvalidEventError for malformed events', async () => {
    await expect(handle({ eventType: 'com.oraclecloud.objectstorage.createobject' })).rejects.toBeInstanceOf(InvalidEventError);
    await expect(handle('not json')).rejects.toThrow(/not valid JSON/);
    expect(starter.calls.describe).toBe(0);
  });
});

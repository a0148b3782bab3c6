// The starter's own part: one event -> the request (configured settings applied), the memo and the
// notice it announces to the object's run, and the run's answer passed back; events that are not ours
// never reach Temporal. What the run answers is the workflow's decision (tests/functional/workflow).
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
    starter.answer = () => ({ outcome: 'started', runId: 'run-1', reason: 'this run transcodes it' });
  });

  it('announces the upload to its object run with the request, memo and settings, and returns the answer', async () => {
    expect(await handle(event())).toEqual({ outcome: 'started', workflowId: WID, runId: 'run-1', reason: 'this run transcodes it' });
    expect(starter.announced).toEqual([
      {
        workflowId: WID,
        request: {
          source: { namespace: 'axexamplens', bucket: 'media-in', object: 'uploads/Holiday clip (final).mp4', etag: 'etag-1' },
          dest: { bucket: 'media-out', prefix: 'streams/' },
          preset: 'seed', formats: ['hls'], parallelism: 'per-rendition', segmentFormat: 'cmaf',
        },
        memo: { source: 'media-in/uploads/Holiday clip (final).mp4', etag: 'etag-1', preset: 'seed' },
        notice: { etag: 'etag-1' },
      },
    ]);
  });

  it("passes every answer of the run on: superseding, duplicate, stale", async () => {
    for (const outcome of ['superseding', 'duplicate', 'stale'] as const) {
      starter.answer = () => ({ outcome, runId: 'run-7', reason: `because ${outcome}` });
      expect(await handle(event())).toEqual({ outcome, workflowId: WID, runId: 'run-7', reason: `because ${outcome}` });
    }
  });

  it('takes an overwrite delivered as updateobject like any upload: the same notice', async () => {
    const update = { ...(event('etag-2', 'u-1') as object), eventType: 'com.oraclecloud.objectstorage.updateobject' };
    await handle(update);
    expect(starter.announced.map((a) => a.notice)).toEqual([{ etag: 'etag-2' }]);
  });

  it('ignores what is not ours without touching Temporal', async () => {
    const e = event() as { data: { resourceName: string } };
    e.data.resourceName = 'uploads/';
    expect(await handle(e)).toEqual({ outcome: 'ignored', reason: 'uploads/ is a folder marker' });
    const deleted = { ...(event() as object), eventType: 'com.oraclecloud.objectstorage.deleteobject' };
    expect(await handle(deleted)).toMatchObject({ outcome: 'ignored', reason: expect.stringMatching(/^deleteobject of media-in\/uploads/) as string });
    expect(starter.announced).toEqual([]);
  });

  it('startTranscode is the same start path for a request the reconciler builds', async () => {
    const source = { namespace: 'axexamplens', bucket: 'media-in', object: 'uploads/Holiday clip (final).mp4', etag: 'etag-1' };
    await startTranscode(requestFor(source, config), { starter, config });
    await handle(event('etag-1'));
    const [fromReconciler, fromEvent] = starter.announced;
    expect(fromReconciler).toEqual(fromEvent);
  });

  it('a sidecar upload starts its captions run (never a transcode), with the id of that upload', async () => {
    const e = event('etag-s') as { data: { resourceName: string; resourceId?: string } };
    e.data.resourceName = 'uploads/Holiday clip (final).mp4.en.srt';
    delete e.data.resourceId;
    const calls: [string, unknown][] = [];
    starter.startCaptions = (workflowId, request) => {
      calls.push([workflowId, request]);
      return Promise.resolve({ runId: 'cap-1', started: calls.length === 1 });
    };
    expect(await handle(e)).toMatchObject({ outcome: 'started', runId: 'cap-1', workflowId: expect.stringMatching(/^captions\/axexamplens\/media-in\/uploads\/Holiday clip \(final\)\.mp4\.en\.srt@/) as string });
    expect(await handle(e)).toMatchObject({ outcome: 'duplicate' });
    expect(calls[0]?.[1]).toEqual({ sidecar: { namespace: 'axexamplens', bucket: 'media-in', object: 'uploads/Holiday clip (final).mp4.en.srt', etag: 'etag-s' }, dest: { bucket: 'media-out', prefix: 'streams/' } });
    expect(starter.announced).toEqual([]);
  });

  it('throws InvalidEventError for malformed events', async () => {
    await expect(handle({ eventType: 'com.oraclecloud.objectstorage.createobject' })).rejects.toBeInstanceOf(InvalidEventError);
    await expect(handle('not json')).rejects.toThrow(/not valid JSON/);
    expect(starter.announced).toEqual([]);
  });
});

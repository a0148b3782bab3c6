import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { InvalidEventError, ignoredObjectReason, ownOutputReason, parseObjectEvent, requestFor, workflowIdFor } from '../../../src/domain/events.js';
import { versionFolder, outputsOf, mediaPlaylist, renditionsFile, posterPng } from '../../../src/domain/layout.js';
import { createObjectEvent } from '../../../src/stack/object-event.js';

const raw = readFileSync(new URL('../../fixtures/events/sample-createobject.json', import.meta.url), 'utf8');
const fixture = (name: string): unknown => JSON.parse(readFileSync(new URL(`../../fixtures/events/${name}`, import.meta.url), 'utf8'));
type Sample = { data: { resourceName?: string; resourceId?: string; additionalDetails: Record<string, unknown> } } & Record<string, unknown>;
const sample = (): Sample => JSON.parse(raw) as Sample;
const config = { sourceBuckets: ['media-in', 'shared'], destBucket: 'media-out', destPrefix: '' };

const ignoreReason = (event: unknown, cfg = config): string => {
  const parsed = parseObjectEvent(event, cfg);
  if (parsed.kind !== 'ignore') throw new Error(`expected ignore, got ${JSON.stringify(parsed)}`);
  return parsed.reason;
};

describe('parseObjectEvent: valid events', () => {
  it('turns the OCI sample into a request keyed by the delivery id', () => {
    expect(parseObjectEvent(sample(), config)).toEqual({
      kind: 'request',
      eventId: '2c9b5c1e-6a0f-4b8e-9a55-0d4c2f6b8e11',
      request: {
        source: { namespace: 'axexamplens', bucket: 'media-in', object: 'uploads/Holiday clip (final).mp4', etag: '4c1f6a0e-3b2d-4e5f-8a9b-0c1d2e3f4a5b' },
        // Two source buckets: each writes under a folder of its own, so equal names never share a stream.
        dest: { bucket: 'media-out', prefix: 'media-in/' },
      },
    });
    const single = parseObjectEvent(sample(), { ...config, sourceBuckets: ['media-in'] });
    expect(single.kind === 'request' && single.request.dest).toEqual({ bucket: 'media-out', prefix: '' });
  });

  it('accepts updateobject, the type an overwrite may arrive as, with the same data shape', () => {
    expect(parseObjectEvent(fixture('sample-updateobject.json'), config)).toEqual({
      kind: 'request',
      eventId: '9d3a7e21-58c4-4f0b-b1d2-6e8f0a1c2b3d',
      request: {
        source: { namespace: 'axexamplens', bucket: 'media-in', object: 'uploads/Holiday clip (final).mp4', etag: 'b7e2c9d4-1f3a-4c5b-9d6e-7f8a9b0c1d2e' },
        dest: { bucket: 'media-out', prefix: 'media-in/' },
      },
    });
    // An update is read with the same rules: an archived or foreign object is still ignored.
    const archived = fixture('sample-updateobject.json') as Sample;
    archived.data.additionalDetails.archivalState = 'Restoring';
    expect(ignoreReason(archived)).toMatch(/is restoring: restore it/);
  });

  it('builds the same request the reconciler builds for a listed object', () => {
    const parsed = parseObjectEvent(sample(), { ...config, destPrefix: 'streams' });
    const source = { namespace: 'axexamplens', bucket: 'media-in', object: 'uploads/Holiday clip (final).mp4', etag: '4c1f6a0e-3b2d-4e5f-8a9b-0c1d2e3f4a5b' };
    expect(parsed.kind === 'request' && parsed.request).toEqual(requestFor(source, { ...config, destPrefix: 'streams' }));
  });

  it('reads JSON text and bytes as an Fn body may arrive', () => {
    expect(parseObjectEvent(raw, config).kind).toBe('request');
    expect(parseObjectEvent(new TextEncoder().encode(raw), config).kind).toBe('request');
  });

  it('accepts the event the local watcher emits', () => {
    const event = createObjectEvent({ namespace: 'local', bucket: 'media-in', object: 'a b.mp4', etag: 'e1', eventID: 'id-1', eventTime: new Date(0) });
    const parsed = parseObjectEvent(event, { ...config, destPrefix: 'out' });
    expect(parsed).toMatchObject({ kind: 'request', request: { source: { object: 'a b.mp4', etag: 'e1' }, dest: { prefix: 'out/media-in/' } } });
  });

  it.each([
    'with spaces and ünïcödé 映画.mp4',
    `quotes "double" and 'single'.mp4`,
    '$(rm -rf ~) `id`.mp4',
    '100% #1 ?.mp4',
    '../../etc/passwd.mp4',
    '/leading-slash.mp4',
    'x'.repeat(1000) + '.mp4',
  ])('keeps hostile but legal names byte for byte: %s', (name) => {
    const e = sample();
    e.data.resourceName = name;
    e.data.resourceId = `/n/axexamplens/b/media-in/o/${encodeURIComponent(name)}`;
    const parsed = parseObjectEvent(e, config);
    expect(parsed.kind === 'request' && parsed.request.source.object).toBe(name);
  });

  it('decodes the name from resourceId when resourceName is absent', () => {
    const e = sample();
    delete e.data.resourceName;
    const parsed = parseObjectEvent(e, config);
    expect(parsed.kind === 'request' && parsed.request.source.object).toBe('uploads/Holiday clip (final).mp4');
  });
});

describe('parseObjectEvent: valid but not ours', () => {
  it('ignores buckets that are not sources', () => {
    const e = sample();
    e.data.additionalDetails.bucketName = 'elsewhere';
    e.data.resourceId = '/n/axexamplens/b/elsewhere/o/x.mp4';
    expect(ignoreReason(e)).toBe('bucket elsewhere is not a configured source (media-in, shared)');
  });

  it('ignores deleteobject with the object named, even without an eTag: outputs stay published', () => {
    expect(ignoreReason(fixture('sample-deleteobject.json'))).toBe(
      'deleteobject of media-in/uploads/Holiday clip (final).mp4 starts nothing: a deleted source keeps its published outputs',
    );
  });

  it('ignores the other Object Storage events a broad rule matches', () => {
    const bucketEvent = { eventType: 'com.oraclecloud.objectstorage.createbucket', data: { resourceName: 'media-in' } };
    expect(ignoreReason(bucketEvent)).toBe('createbucket starts nothing: only createobject and updateobject do');
    const huge = sample();
    huge.eventType = 'com.oraclecloud.objectstorage.deleteobject';
    huge.data.resourceName = 'x'.repeat(5000);
    expect(ignoreReason(huge)).toBe('deleteobject starts nothing: a deleted source keeps its published outputs');
  });

  it('gives events and listed objects the same reasons', () => {
    expect(ignoredObjectReason({ bucket: 'media-in', object: 'a/' }, config)).toBe('a/ is a folder marker');
    expect(ignoredObjectReason({ bucket: 'media-in', object: 'a.mp4', archivalState: 'Archived' }, config)).toMatch(/a.mp4 is archived/);
    expect(ignoredObjectReason({ bucket: 'media-in', object: 'a.mp4', archivalState: 'Restored' }, config)).toBeUndefined();
    expect(ignoredObjectReason({ bucket: 'media-in', object: 'a.mp4' }, config)).toBeUndefined();
  });

  it('ignores folder markers and archived objects', () => {
    const folder = sample();
    folder.data.resourceName = 'uploads/';
    expect(ignoreReason(folder)).toBe('uploads/ is a folder marker');
    const archived = sample();
    archived.data.additionalDetails.archivalState = 'Archived';
    expect(ignoreReason(archived)).toMatch(/is archived: restore it/);
  });

  describe('when the destination bucket is the source bucket', () => {
    const same = { sourceBuckets: ['shared'], destBucket: 'shared', destPrefix: 'out/' };
    const dest = { bucket: 'shared', prefix: 'out/' };
    const { streamPrefix, thumbnail } = outputsOf(dest, { object: 'clip.mp4' });
    const v = versionFolder('etag-1');
    const event = (name: string): Sample => {
      const e = sample();
      e.data.additionalDetails.bucketName = 'shared';
      e.data.resourceName = name;
      e.data.resourceId = `/n/axexamplens/b/shared/o/${name}`;
      return e;
    };

    it.each([
      thumbnail,
      `${streamPrefix}master.m3u8`,
      `${streamPrefix}manifest.mpd`,
      `${streamPrefix}job.json`,
      `${streamPrefix}${mediaPlaylist(v, '720p')}`,
      `${streamPrefix}${v}/720p/seg_00001.m4s`,
      `${streamPrefix}${renditionsFile(v, 'job-1')}`,
      `${streamPrefix}${posterPng(v)}`,
    ])('ignores its own output %s', (name) => {
      expect(ignoreReason(event(name), same)).toMatch(/the pipeline writes/);
    });

    it('still starts runs for uploads beside the outputs', () => {
      expect(parseObjectEvent(event('clip.mp4'), same).kind).toBe('request');
      expect(parseObjectEvent(event('out/new.mp4'), same).kind).toBe('request');
      expect(parseObjectEvent(event('v-12345678/x.mp4'), same).kind).toBe('request');
    });

    it('only applies under the destination prefix', () => {
      expect(ownOutputReason('raw/thumbnails/a.mp4', 'out/')).toBeUndefined();
      expect(ownOutputReason('thumbnails/a.mp4', '')).toMatch(/thumbnail/);
      expect(ownOutputReason('master.m3u8', '')).toBeUndefined();
    });
  });
});

describe('parseObjectEvent: malformed events', () => {
  const invalid = (mutate: (e: Sample) => unknown): string => {
    const e = sample();
    const replaced = mutate(e);
    try {
      parseObjectEvent(replaced ?? e, config);
    } catch (error) {
      expect(error).toBeInstanceOf(InvalidEventError);
      return (error as Error).message;
    }
    throw new Error('expected InvalidEventError');
  };

  it('names the missing or mistyped field', () => {
    expect(invalid((e) => void delete e.data.additionalDetails.eTag)).toBe('invalid create-object event: data.additionalDetails.eTag is missing');
    expect(invalid((e) => void (e.data.additionalDetails.bucketName = 42))).toBe('invalid create-object event: data.additionalDetails.bucketName must be a string');
    expect(invalid((e) => void (e.data = 'x' as unknown as Sample['data']))).toBe('invalid create-object event: data must be an object');
    expect(invalid((e) => void delete e.eventID)).toMatch(/eventID is missing/);
    expect(invalid((e) => void (e.eventTime = ''))).toMatch(/eventTime must be a non-empty string/);
    expect(invalid((e) => void (e.data.additionalDetails.namespace = ''))).toMatch(/data.additionalDetails.namespace must be a non-empty string/);
    expect(invalid((e) => void delete e.eventType)).toMatch(/eventType is missing/);
  });

  it('names the event type it read in the message', () => {
    expect(invalid((e) => { e.eventType = 'com.oraclecloud.objectstorage.updateobject'; delete e.data.additionalDetails.eTag; })).toBe(
      'invalid update-object event: data.additionalDetails.eTag is missing',
    );
  });

  it('lists every problem at once', () => {
    expect(invalid(() => ({ eventType: 'com.oraclecloud.objectstorage.createobject', data: { additionalDetails: {} } }))).toMatch(
      /cloudEventsVersion is missing; .*eventID is missing; .*bucketName is missing/,
    );
  });

  it('refuses event types of other services, non-objects and bad JSON', () => {
    expect(invalid((e) => void (e.eventType = 'com.oraclecloud.computeapi.launchinstance.end'))).toBe(
      'unknown eventType "com.oraclecloud.computeapi.launchinstance.end": only com.oraclecloud.objectstorage.createobject and com.oraclecloud.objectstorage.updateobject start a run',
    );
    expect(invalid(() => '{"eventType": ')).toMatch(/^event is not valid JSON: /);
    expect(invalid(() => [1])).toBe('event must be a JSON object');
    expect(() => parseObjectEvent(null, config)).toThrow('event must be a JSON object');
  });

  it('refuses names an object store cannot hold and inconsistent ids', () => {
    expect(invalid((e) => void (e.data.resourceName = 'a\nb.mp4'))).toBe('data.resourceName contains control character U+000A');
    expect(invalid((e) => void (e.data.resourceName = 'é'.repeat(513)))).toBe('data.resourceName is 1026 bytes; object names are at most 1024');
    expect(invalid((e) => void (e.data.resourceId = '/n/other/b/media-in/o/x'))).toMatch(/does not name bucket media-in in namespace axexamplens/);
    expect(invalid((e) => { delete e.data.resourceName; e.data.resourceId = '/n/axexamplens/b/media-in/o/%E0%A4%A'; })).toMatch(/malformed percent-encoding/);
    expect(invalid((e) => { delete e.data.resourceName; delete e.data.resourceId; })).toMatch(/resourceName is missing/);
  });
});

describe('workflowIdFor', () => {
  const source = { namespace: 'ns', bucket: 'media-in', object: 'a/b c.mp4', etag: 'e1' };

  it('is one id per object, whatever the etag', () => {
    expect(workflowIdFor(source)).toBe('transcode/ns/media-in/a/b c.mp4');
    expect(workflowIdFor({ ...source, etag: 'e2' })).toBe(workflowIdFor(source));
  });

  it('shortens long names deterministically, under Temporal\'s 1000-byte limit, without collisions', () => {
    const long = { ...source, object: '映'.repeat(400) };
    const a = workflowIdFor(long);
    const bytes = new TextEncoder().encode(a).length;
    expect(bytes).toBeGreaterThan(900);
    expect(bytes).toBeLessThanOrEqual(1000);
    expect(a).toBe(workflowIdFor({ ...long }));
    expect(a).toMatch(/^transcode\/ns\/media-in\/映+#[0-9a-f]{16}$/);
    expect(workflowIdFor({ ...source, object: `${'映'.repeat(400)}x` })).not.toBe(a);
    expect(workflowIdFor({ ...source, object: 'x'.repeat(878) })).toHaveLength(900);
  });
});

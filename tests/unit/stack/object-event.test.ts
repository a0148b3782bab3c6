import { describe, expect, it } from 'vitest';
import { parseObjectEvent } from '../../../src/domain/events.js';
import { createObjectEvent, CREATE_OBJECT_EVENT_TYPE, UPDATE_OBJECT_EVENT_TYPE } from '../../../src/stack/object-event.js';

describe('createObjectEvent', () => {
  const event = createObjectEvent({
    namespace: 'local',
    bucket: 'media-in',
    object: 'trips/my clip #1.mp4',
    etag: 'etag-123',
    eventID: 'delivery-1',
    eventTime: new Date('2025-01-02T03:04:05.678Z'),
  });

  it('has the CloudEvents 0.1 envelope OCI Events delivers', () => {
    expect(event).toMatchObject({
      eventType: CREATE_OBJECT_EVENT_TYPE,
      cloudEventsVersion: '0.1',
      eventTypeVersion: '2.0',
      source: 'ObjectStorage',
      eventTime: '2025-01-02T03:04:05.678Z',
      eventID: 'delivery-1',
    });
  });

  it('names the object, bucket, namespace and eTag where the starter reads them', () => {
    expect(event.data.resourceName).toBe('trips/my clip #1.mp4');
    expect(event.data.resourceId).toBe('/n/local/b/media-in/o/trips/my clip #1.mp4');
    expect(event.data.additionalDetails).toMatchObject({ bucketName: 'media-in', namespace: 'local', eTag: 'etag-123' });
  });

  it('is an updateobject, with the same data, for an upload over a name that exists', () => {
    const update = createObjectEvent({ namespace: 'local', bucket: 'media-in', object: 'a.mp4', etag: 'e2', eventID: 'd-2', eventTime: new Date(0), eventType: UPDATE_OBJECT_EVENT_TYPE });
    expect(update.eventType).toBe('com.oraclecloud.objectstorage.updateobject');
    expect(event.eventType).toBe('com.oraclecloud.objectstorage.createobject');
    expect(parseObjectEvent(update, { sourceBuckets: ['media-in'], destBucket: 'media-out', destPrefix: '' })).toMatchObject({ kind: 'request', request: { source: { object: 'a.mp4', etag: 'e2' } } });
  });

  it('round-trips through JSON unchanged (it travels as a request body)', () => {
    expect(JSON.parse(JSON.stringify(event))).toEqual(event);
  });

  it('is read by the starter\'s own parser as a request for that exact upload', () => {
    const parsed = parseObjectEvent(JSON.stringify(event), { sourceBuckets: ['media-in'], destBucket: 'media-out', destPrefix: '' });
    expect(parsed).toEqual({
      kind: 'request',
      eventId: 'delivery-1',
      request: {
        source: { namespace: 'local', bucket: 'media-in', object: 'trips/my clip #1.mp4', etag: 'etag-123' },
        dest: { bucket: 'media-out', prefix: '' },
      },
    });
  });
});

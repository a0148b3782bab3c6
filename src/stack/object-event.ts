// The OCI Object Storage object event (CloudEvents 0.1) the local watcher emits, shaped exactly like the
// one OCI Events delivers to the starter function, so both paths run the same handler: createobject for
// a new name, updateobject for an upload over a name that exists. Pure: the caller supplies id and time.
import { CREATE_OBJECT, UPDATE_OBJECT } from '../domain/events.js';

export const CREATE_OBJECT_EVENT_TYPE = CREATE_OBJECT;
export const UPDATE_OBJECT_EVENT_TYPE = UPDATE_OBJECT;
export type ObjectEventType = typeof CREATE_OBJECT_EVENT_TYPE | typeof UPDATE_OBJECT_EVENT_TYPE;

/** Stand-in OCIDs: local buckets have none, but the real event always carries them. */
export const LOCAL_COMPARTMENT_ID = 'ocid1.compartment.oc1..local';

export interface CreateObjectEvent {
  eventType: ObjectEventType;
  cloudEventsVersion: '0.1';
  eventTypeVersion: '2.0';
  source: 'ObjectStorage';
  eventTime: string;
  contentType: 'application/json';
  /** Unique per delivery: a redelivery of the same upload carries a new one. */
  eventID: string;
  extensions: { compartmentId: string };
  data: {
    compartmentId: string;
    compartmentName: string;
    resourceName: string;
    resourceId: string;
    availabilityDomain: string;
    additionalDetails: {
      bucketName: string;
      bucketId: string;
      namespace: string;
      /** The version-like field: two uploads under one name differ here. */
      eTag: string;
      archivalState: 'Available';
    };
  };
}

export interface CreateObjectFacts {
  namespace: string;
  bucket: string;
  object: string;
  etag: string;
  eventID: string;
  eventTime: Date;
  /** Default createobject. */
  eventType?: ObjectEventType;
}

export function createObjectEvent(f: CreateObjectFacts): CreateObjectEvent {
  return {
    eventType: f.eventType ?? CREATE_OBJECT_EVENT_TYPE,
    cloudEventsVersion: '0.1',
    eventTypeVersion: '2.0',
    source: 'ObjectStorage',
    eventTime: f.eventTime.toISOString(),
    contentType: 'application/json',
    eventID: f.eventID,
    extensions: { compartmentId: LOCAL_COMPARTMENT_ID },
    data: {
      compartmentId: LOCAL_COMPARTMENT_ID,
      compartmentName: 'local',
      resourceName: f.object,
      resourceId: `/n/${f.namespace}/b/${f.bucket}/o/${f.object}`,
      availabilityDomain: 'LOCAL-AD-1',
      additionalDetails: {
        bucketName: f.bucket,
        bucketId: `ocid1.bucket.oc1..local-${f.bucket}`,
        namespace: f.namespace,
        eTag: f.etag,
        archivalState: 'Available',
      },
    },
  };
}

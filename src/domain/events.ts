// OCI Object Storage object events (CloudEvents 0.1) -> a TranscodeRequest, or a reason to ignore it.
// Pure: used by the starter function, the local watcher and the janitor's reconciler; no I/O.
import { z } from 'zod';
import { DASH_MANIFEST, defaultDest, JOB_RECORD, MASTER_PLAYLIST, MAX_OBJECT_NAME_BYTES, THUMBNAIL_FOLDER, fnv1a, normalizePrefix, utf8Bytes } from './layout.js';
import type { SourceRef, TranscodeRequest } from './types.js';
import { parseSidecarName, type CaptionsRequest } from './subtitles.js';

export const CREATE_OBJECT = 'com.oraclecloud.objectstorage.createobject';
export const UPDATE_OBJECT = 'com.oraclecloud.objectstorage.updateobject';
/**
 * The types that start a run. Object Storage emits create, update and delete separately, and which one
 * an overwrite produces is not pinned down: both carry the same data, and the eTag tells uploads apart.
 */
export const OBJECT_EVENT_TYPES: readonly string[] = [CREATE_OBJECT, UPDATE_OBJECT];
const OBJECT_STORAGE = 'com.oraclecloud.objectstorage.';
const DELETE_OBJECT = `${OBJECT_STORAGE}deleteobject`;

/** The event cannot be read: the Fn wrapper answers 400 with this message. */
export class InvalidEventError extends Error {
  override readonly name = 'InvalidEventError';
}

export interface EventConfig {
  sourceBuckets: string[];
  destBucket: string;
  destPrefix: string;
}

export type ParsedEvent =
  | { kind: 'request'; request: TranscodeRequest; eventId: string }
  /** A sidecar text file (domain/subtitles.ts convention): it re-publishes its video's masters (workflows/captions.ts). */
  | { kind: 'captions'; request: CaptionsRequest; eventId: string }
  | { kind: 'ignore'; reason: string };

const text = z.string().min(1, 'must be a non-empty string');
// Only the fields we use are required; the rest are typed when present, and unknown fields pass.
const schema = z.object({
  eventType: text,
  cloudEventsVersion: text,
  eventTypeVersion: text.optional(),
  source: text.optional(),
  eventTime: text,
  eventID: text,
  data: z.object({
    compartmentId: text.optional(),
    resourceName: text.optional(),
    resourceId: text.optional(),
    additionalDetails: z.object({
      bucketName: text,
      namespace: text,
      bucketId: text.optional(),
      eTag: text,
      archivalState: text.optional(),
    }),
  }),
});

function describeIssue(issue: z.core.$ZodIssue): string {
  const path = issue.path.join('.') || 'event';
  if (issue.code === 'invalid_type') {
    // zod does not echo the input; its message ends with what it received.
    return /received undefined$/.test(issue.message) ? `${path} is missing` : `${path} must be ${issue.expected === 'object' ? 'an object' : `a ${issue.expected}`}`;
  }
  return `${path} ${issue.message}`;
}

function decodeJson(event: unknown): unknown {
  const raw = event instanceof Uint8Array ? new TextDecoder().decode(event) : event;
  if (typeof raw !== 'string') return raw;
  try {
    return JSON.parse(raw) as unknown;
  } catch (error) {
    throw new InvalidEventError(`event is not valid JSON: ${(error as Error).message}`);
  }
}

// Names over OCI's own limit (MAX_OBJECT_NAME_BYTES) are refused; control characters cannot be named
// safely anywhere downstream.
function objectName(data: z.infer<typeof schema>['data'], namespace: string, bucket: string): string {
  const prefix = `/n/${namespace}/b/${bucket}/o/`;
  if (data.resourceId !== undefined && !data.resourceId.startsWith(prefix)) {
    throw new InvalidEventError(`data.resourceId "${data.resourceId}" does not name bucket ${bucket} in namespace ${namespace}`);
  }
  let name = data.resourceName;
  if (name === undefined) {
    if (data.resourceId === undefined) throw new InvalidEventError('data.resourceName is missing (and no data.resourceId to read the name from)');
    // resourceId may percent-encode the name; resourceName, when present, never does.
    try {
      name = decodeURIComponent(data.resourceId.slice(prefix.length));
    } catch {
      throw new InvalidEventError(`data.resourceId has a malformed percent-encoding: ${data.resourceId}`);
    }
  }
  const control = [...name].map((c) => c.charCodeAt(0)).find((code) => code < 0x20 || code === 0x7f);
  if (control !== undefined) throw new InvalidEventError(`data.resourceName contains control character U+${control.toString(16).padStart(4, '0').toUpperCase()}`);
  if (name === '') throw new InvalidEventError('data.resourceName is empty');
  const bytes = utf8Bytes(name);
  if (bytes > MAX_OBJECT_NAME_BYTES) throw new InvalidEventError(`data.resourceName is ${bytes} bytes; object names are at most ${MAX_OBJECT_NAME_BYTES}`);
  return name;
}

const VERSION_FOLDER = /^v-[0-9a-f]{8}$/;

/** Why a name is one the pipeline wrote itself (only asked when the bucket is the destination), or undefined. */
export function ownOutputReason(name: string, destPrefix: string): string | undefined {
  const prefix = normalizePrefix(destPrefix);
  if (!name.startsWith(prefix)) return undefined;
  const rest = name.slice(prefix.length);
  if (rest.startsWith(THUMBNAIL_FOLDER)) return `${name} is a thumbnail the pipeline writes`;
  const parts = rest.split('/');
  if (parts.length < 2) return undefined; // our other outputs all live under a stream prefix `<object>/`
  const base = parts[parts.length - 1] ?? '';
  if ([MASTER_PLAYLIST, DASH_MANIFEST, JOB_RECORD].includes(base)) return `${name} is a ${base} the pipeline writes`;
  if (parts.slice(1, -1).some((p) => VERSION_FOLDER.test(p))) return `${name} is inside a version folder the pipeline writes`;
  return undefined;
}

/** Why an object is not the pipeline's to transcode, or undefined. Events and the reconciler ask the same. */
export function ignoredObjectReason(o: { bucket: string; object: string; archivalState?: string | undefined }, config: EventConfig): string | undefined {
  const reason = notOursReason(o, config);
  if (reason !== undefined) return reason;
  const sidecar = parseSidecarName(o.object);
  return sidecar ? `${o.object} is a sidecar text file of ${sidecar.video}: it is added to that video's masters, not transcoded` : undefined;
}

function notOursReason(o: { bucket: string; object: string; archivalState?: string | undefined }, config: EventConfig): string | undefined {
  const { bucket, object, archivalState } = o;
  if (!config.sourceBuckets.includes(bucket)) return `bucket ${bucket} is not a configured source (${config.sourceBuckets.join(', ') || 'none'})`;
  if (object.endsWith('/')) return `${object} is a folder marker`;
  if (bucket === config.destBucket) {
    // Outputs of every source bucket land in the destination, each under its own default prefix.
    for (const source of config.sourceBuckets) {
      const own = ownOutputReason(object, defaultDest(config, source).prefix ?? '');
      if (own) return own;
    }
  }
  if (archivalState && /^(archived|restoring)$/i.test(archivalState)) {
    return `${object} is ${archivalState.toLowerCase()}: restore it, then upload again to transcode`;
  }
  return undefined;
}

/** The request for one source object, whoever noticed it: its event or the reconciler. */
export function requestFor(source: SourceRef, config: EventConfig): TranscodeRequest {
  return { source: { ...source }, dest: defaultDest(config, source.bucket) };
}

// Other Object Storage events (deleteobject, bucket events) are valid deliveries of a rule that matches
// more than it needs to: ignored with a reason, so they do not show as failed invocations. A type of
// another service means the rule points at the wrong function: refused.
function otherObjectStorageEvent(type: string, json: object): string {
  const data = (json as { data?: { resourceName?: unknown; additionalDetails?: { bucketName?: unknown } } }).data;
  const [bucket, name] = [data?.additionalDetails?.bucketName, data?.resourceName];
  // Named only when both look like names: the event is not validated further, and reasons get logged.
  const named = (v: unknown): v is string => typeof v === 'string' && utf8Bytes(v) <= MAX_OBJECT_NAME_BYTES;
  const what = named(bucket) && named(name) ? ` of ${bucket}/${name}` : '';
  const short = type.slice(OBJECT_STORAGE.length);
  if (type === DELETE_OBJECT) return `${short}${what} starts nothing: a deleted source keeps its published outputs`;
  return `${short}${what} starts nothing: only createobject and updateobject do`;
}

/** Reads one delivery. Throws InvalidEventError for malformed events; 'ignore' for valid ones that are not ours. */
export function parseObjectEvent(event: unknown, config: EventConfig): ParsedEvent {
  const json = decodeJson(event);
  if (json === null || typeof json !== 'object' || Array.isArray(json)) throw new InvalidEventError('event must be a JSON object');
  const type = (json as { eventType?: unknown }).eventType;
  if (typeof type === 'string' && !OBJECT_EVENT_TYPES.includes(type)) {
    if (!type.startsWith(OBJECT_STORAGE)) throw new InvalidEventError(`unknown eventType "${type}": only ${CREATE_OBJECT} and ${UPDATE_OBJECT} start a run`);
    return { kind: 'ignore', reason: otherObjectStorageEvent(type, json) };
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    const what = type === UPDATE_OBJECT ? 'update-object' : 'create-object';
    throw new InvalidEventError(`invalid ${what} event: ${parsed.error.issues.map(describeIssue).join('; ')}`);
  }
  const { data, eventID } = parsed.data;
  const { bucketName: bucket, namespace, eTag: etag, archivalState } = data.additionalDetails;
  const object = objectName(data, namespace, bucket);
  const reason = notOursReason({ bucket, object, archivalState }, config);
  if (reason !== undefined) return { kind: 'ignore', reason };
  if (parseSidecarName(object)) return { kind: 'captions', request: { sidecar: { namespace, bucket, object, etag }, dest: defaultDest(config, bucket) }, eventId: eventID };
  return { kind: 'request', request: requestFor({ namespace, bucket, object, etag }, config), eventId: eventID };
}

// Temporal caps workflow ids at 1000 bytes. Ids up to 900 bytes are kept whole; longer ones keep a
// readable head plus a 64-bit hash of the whole id, so they stay unique, and always exceed 900 bytes,
// so a shortened id can never equal a whole one.
const MAX_WHOLE_ID_BYTES = 900;

/** One captions run per sidecar upload (its eTag in the id): redeliveries of the event start nothing more. */
export function captionsWorkflowIdFor(sidecar: SourceRef): string {
  return `captions/${workflowIdFor(sidecar).slice('transcode/'.length)}@${fnv1a(sidecar.etag ?? '')}`;
}

/** One workflow id per object (not per etag): a newer upload of the name supersedes the older run. */
export function workflowIdFor(source: SourceRef): string {
  const id = `transcode/${source.namespace}/${source.bucket}/${source.object}`;
  const encoder = new TextEncoder();
  if (encoder.encode(id).length <= MAX_WHOLE_ID_BYTES) return id;
  let head = '';
  let bytes = 0;
  for (const char of id) {
    const size = encoder.encode(char).length;
    if (bytes + size > MAX_WHOLE_ID_BYTES) break;
    head += char;
    bytes += size;
  }
  return `${head}#${fnv1a(id)}${fnv1a(`salt:${id}`)}`;
}

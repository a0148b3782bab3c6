// OCI Notifications' data plane as the pipeline calls it: PublishMessage
// (POST /20181201/topics/{topicId}/messages, body {title?, body}). Topics are created by tests (the
// control plane is not served); every accepted message is kept per topic, with the principal that signed
// it, so a test reads what subscribers would get. Enforced as the API reference states: a body is required,
// a message is at most 64 KB, and a topic takes 60 messages a minute (429 beyond).
// Assumed, not checked: the error codes of an oversized message (400 InvalidParameter) and of a
// messageType JSON body without a "default" key (400 InvalidParameter).
import { randomBytes } from 'node:crypto';
import { ApiError, badRequest, notFound, parseJson, sendJson, type Call } from './http.js';
import { ocid } from './keys.js';

export const MAX_MESSAGE_BYTES = 64 * 1024;
export const MESSAGES_PER_MINUTE = 60;

export interface PublishedMessage {
  messageId: string;
  topicId: string;
  title?: string;
  body: string;
  /** The messageType header as sent (absent: raw text). */
  messageType?: string;
  /** ISO time it was accepted. */
  at: string;
}

interface Topic {
  name: string;
  compartmentId: string;
  messages: PublishedMessage[];
  /** Acceptance times (ms) within the last minute, for the rate limit. */
  recent: number[];
}

export type NotificationsRoute = { operation: string; run(call: Call): void };

export class NotificationsService {
  readonly topics = new Map<string, Topic>();

  constructor(private readonly region: string) {}

  /** A topic in `compartmentId`; returns its OCID. */
  createTopic(name: string, compartmentId: string): string {
    const id = ocid('onstopic', this.region);
    this.topics.set(id, { name, compartmentId, messages: [], recent: [] });
    return id;
  }

  messages(topicId: string): PublishedMessage[] {
    return this.topics.get(topicId)?.messages ?? [];
  }

  route(method: string, segments: string[]): NotificationsRoute | undefined {
    const [collection, topicId, leaf, more] = segments;
    if (collection !== 'topics' || !topicId || leaf !== 'messages' || more !== undefined || method !== 'POST') return undefined;
    return { operation: 'PublishMessage', run: (call) => this.publish(call, topicId) };
  }

  private publish(call: Call, topicId: string): void {
    const topic = this.topics.get(topicId);
    if (!topic) throw notFound(`Topic ${topicId}`);
    const details = parseJson<{ title?: unknown; body?: unknown }>(call);
    if (typeof details.body !== 'string' || details.body === '') throw badRequest('body is required');
    if (details.title !== undefined && typeof details.title !== 'string') throw badRequest('title must be a string');
    if (call.body.length > MAX_MESSAGE_BYTES) throw badRequest(`The message size ${call.body.length} exceeds the limit of ${MAX_MESSAGE_BYTES} bytes`);
    const messageType = call.req.headers.messagetype;
    const type = Array.isArray(messageType) ? messageType[0] : messageType;
    if (type !== undefined && type !== 'JSON' && type !== 'RAW_TEXT') throw badRequest(`messageType ${type} is not JSON or RAW_TEXT`);
    if (type === 'JSON' && !hasDefaultKey(details.body)) throw badRequest('A message of type JSON needs a "default" key');
    const now = Date.now();
    topic.recent = topic.recent.filter((t) => now - t < 60_000);
    if (topic.recent.length >= MESSAGES_PER_MINUTE) throw new ApiError(429, 'TooManyRequests', `Topic ${topicId} takes ${MESSAGES_PER_MINUTE} messages per minute`);
    topic.recent.push(now);
    const message: PublishedMessage = { messageId: randomBytes(16).toString('hex'), topicId, body: details.body, at: new Date(now).toISOString() };
    if (typeof details.title === 'string') message.title = details.title;
    if (type !== undefined) message.messageType = type;
    topic.messages.push(message);
    sendJson(call, 200, { messageId: message.messageId, timeStamp: message.at });
  }
}

function hasDefaultKey(body: string): boolean {
  try {
    const value: unknown = JSON.parse(body);
    return typeof value === 'object' && value !== null && 'default' in value;
  } catch {
    return false;
  }
}

// Publishing a notification to an OCI Notifications topic through a TopicPublisher (the OCI adapter,
// src/adapters/oci/notifications.ts, in a worker): what its answer means for a retry. A TransientError
// (throttling, 5xx, the network) is worth another try; anything else (404: no such topic or no grant,
// a 400) is a refusal.
import { TransientError } from '../ports.js';
import type { Delivery } from './delivery.js';

/** PublishMessage's limit per message (Oracle's API reference: 64 KB). */
export const ONS_MAX_MESSAGE_BYTES = 64 * 1024;

export interface TopicPublisher {
  publish(topicId: string, message: { title: string; body: string }): Promise<{ messageId: string }>;
  close?(): void;
}

export async function publishToTopic(publisher: TopicPublisher, topicId: string, message: { title: string; body: string }): Promise<Delivery> {
  const bytes = Buffer.byteLength(message.body) + Buffer.byteLength(message.title);
  if (bytes > ONS_MAX_MESSAGE_BYTES) {
    return { kind: 'refused', message: `publish to topic ${topicId}: the message is ${bytes} bytes, above OCI Notifications' limit of ${ONS_MAX_MESSAGE_BYTES}` };
  }
  try {
    const { messageId } = await publisher.publish(topicId, message);
    return { kind: 'delivered', messageId };
  } catch (error) {
    const text = error instanceof Error ? error.message : String(error);
    return error instanceof TransientError ? { kind: 'retryable', message: text } : { kind: 'refused', message: text };
  }
}

// OCI Notifications: PublishMessage to a topic (oci-ons' NotificationDataPlaneClient), the client opened
// once through openClient with the configured identity and the OCI_TRANSCODE_OCI_ENDPOINT_NOTIFICATIONS
// override. Failures come out as port errors (TransientError: worth another try), with the opc-request-id.
// The body goes as raw text: the JSON message type is deprecated, and a JSON body is sent as text anyway.
// PublishMessage takes no retry token, so a retry after a lost answer may publish twice.
import { NotificationDataPlaneClient } from 'oci-ons';
import { loadOciConfig, type OciConfig } from '../../config-oci.js';
import { openClient } from './clients.js';
import { toPortError } from './errors.js';

export interface OciTopicPublisher {
  publish(topicId: string, message: { title: string; body: string }): Promise<{ messageId: string }>;
  close(): void;
}

export function createOciTopicPublisher(
  config: OciConfig = loadOciConfig(process.env),
  env: Record<string, string | undefined> = process.env,
): OciTopicPublisher {
  let client: Promise<NotificationDataPlaneClient> | undefined;
  const open = (): Promise<NotificationDataPlaneClient> =>
    (client ??= openClient(NotificationDataPlaneClient, config, config.endpoints.notifications, env).catch((error: unknown) => {
      client = undefined;
      throw error;
    }));
  return {
    async publish(topicId, message) {
      const ons = await open();
      try {
        const { publishResult } = await ons.publishMessage({ topicId, messageDetails: { title: message.title, body: message.body } });
        return { messageId: publishResult.messageId };
      } catch (error) {
        throw toPortError(error, `publish to topic ${topicId}`);
      }
    },
    close() {
      void client?.then((c) => c.close()).catch(() => undefined);
    },
  };
}

// Completion notifications: the payload (payload.ts), signed webhooks (signature.ts, webhook.ts), OCI
// Notifications topics (topics.ts; the SDK client is the OCI adapter's), targets (domain/notify-targets.ts)
// and the webhook secret (secret.ts). The activity that sends one notification to one target is
// src/activities/notify.ts; notifySenders() builds what it sends with, once per worker.
import { ConfigError, ENV_NAMES, type Config } from '../config.js';
import { loadOciConfig, OCI_ENV_NAMES, type OciConfig } from '../config-oci.js';
import { webhookSecretSource, type SecretSource } from './secret.js';
import type { TopicPublisher } from './topics.js';

export * from './payload.js';
export * from './signature.js';
export * from '../domain/notify-targets.js';
export { sendWebhook, DEFAULT_WEBHOOK_TIMEOUT_MS, type WebhookRequest } from './webhook.js';
export { publishToTopic, ONS_MAX_MESSAGE_BYTES, type TopicPublisher } from './topics.js';
export type { Delivery } from './delivery.js';
export type { SecretSource } from './secret.js';

export interface NotifySenders {
  webhookSecret: SecretSource;
  /** The OCI Notifications publisher, opened on first use (a worker without ons: targets never opens it). */
  topics(): TopicPublisher;
  /** Job-chosen targets may be loopback http and private hosts (local mode: receivers on this machine). */
  allowLocalTargets: boolean;
  close(): void;
}

/**
 * What the notify activity sends with. `openTopics` opens the OCI Notifications publisher (in a worker:
 * createOciTopicPublisher from src/adapters/oci/notifications.ts); without it an ons: target is refused.
 * Throws ConfigError when configured webhooks could not be signed (no secret), so a worker refuses to
 * start rather than fail every delivery.
 */
export function notifySenders(
  config: Pick<Config, 'notify' | 'mode'>,
  env: Record<string, string | undefined> = process.env,
  openTopics?: (oci: OciConfig) => TopicPublisher,
): NotifySenders {
  const oci = loadOciConfig(env);
  const webhookSecret = webhookSecretSource(config, oci, env);
  const hasSecret = config.notify.webhookSecret !== undefined || oci.webhookSecretId !== undefined;
  if (!hasSecret && config.notify.targets?.some((t) => t.kind === 'webhook')) {
    throw new ConfigError(`${ENV_NAMES['notify.targets']} names webhooks: set ${ENV_NAMES['notify.webhookSecret']} or ${OCI_ENV_NAMES.webhookSecretId} to sign them`);
  }
  let publisher: TopicPublisher | undefined;
  const none: TopicPublisher = {
    publish: () => Promise.reject(new ConfigError('ons: targets need the OCI Notifications publisher, which this process was not given')),
  };
  return {
    webhookSecret,
    topics: () => (publisher ??= openTopics ? openTopics(oci) : none),
    allowLocalTargets: config.mode === 'local',
    close: () => publisher?.close?.(),
  };
}

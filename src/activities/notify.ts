// notify: one completion notification to one target (a signed webhook or an OCI Notifications topic).
// Delivered: returns. A failure worth another try (5xx, 408, 429, timeout, no connection): throws a
// retryable ApplicationFailure 'NotificationFailed' (with the receiver's Retry-After as the next delay),
// and the workflow's retry policy bounds how long it keeps trying. A refusal (another 4xx, a redirect,
// a bad target, no secret): throws a non-retryable 'NotificationRefused'. Either way the run's outcome
// stays what it was: the workflow records an undelivered notification, it does not fail the run.
// The payload is built here from the summary, so every attempt sends the same body and event id.
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type { Delivery } from '../notify/delivery.js';
import type { NotifySenders } from '../notify/index.js';
import { publishToTopic } from '../notify/topics.js';
import { buildNotification, notificationTitle, runSummarySchema, type RunSummary } from '../notify/payload.js';
import { parseTarget, type NotifyTarget } from '../domain/notify-targets.js';
import { sendWebhook } from '../notify/webhook.js';

export const NOTIFICATION_REFUSED = 'NotificationRefused';
export const NOTIFICATION_FAILED = 'NotificationFailed';
/** The longest Retry-After honoured; a longer one is left to the retry policy. */
const MAX_RETRY_AFTER_SEC = 600;

export interface NotifyInput {
  /** `webhook:<url>` or `ons:<topic OCID>`. */
  target: string;
  /** config: the operator's OCI_TRANSCODE_NOTIFY; request: chosen per job (stricter: https to public hosts only, outside local mode). */
  from: 'config' | 'request';
  summary: RunSummary;
}

export interface NotifyResult {
  target: string;
  eventId: string;
  /** HTTP status of a webhook's answer. */
  status?: number;
  /** OCI Notifications' message id. */
  messageId?: string;
}

export interface NotifyDeps extends Pick<NotifySenders, 'webhookSecret' | 'topics' | 'allowLocalTargets'> {
  /** Per-attempt timeout of a webhook POST (default 10 s); keep the activity's start-to-close above it. */
  timeoutMs?: number;
  /** Unix seconds for signatures (tests). */
  now?: () => number;
  fetch?: typeof fetch;
}

const refused = (message: string): ApplicationFailure => ApplicationFailure.create({ message, type: NOTIFICATION_REFUSED, nonRetryable: true });

export function createNotifyActivities(deps: NotifyDeps) {
  async function deliver(target: NotifyTarget, body: string, eventId: string, eventType: string, title: string): Promise<Delivery> {
    if (target.kind === 'ons') return publishToTopic(deps.topics(), target.topicId, { title, body });
    const secret = await deps.webhookSecret();
    if (!secret) return { kind: 'refused', message: `no webhook secret to sign ${target.url} with (OCI_TRANSCODE_WEBHOOK_SECRET or OCI_TRANSCODE_OCI_WEBHOOK_SECRET)` };
    return sendWebhook({
      url: target.url,
      body,
      eventId,
      eventType,
      secret,
      ...(deps.timeoutMs === undefined ? {} : { timeoutMs: deps.timeoutMs }),
      ...(deps.now ? { now: deps.now } : {}),
      ...(deps.fetch ? { fetch: deps.fetch } : {}),
    });
  }

  async function notify(input: NotifyInput): Promise<NotifyResult> {
    const { log } = Context.current();
    const summary = runSummarySchema.safeParse(input.summary);
    if (!summary.success) {
      throw refused(`invalid run summary: ${summary.error.issues.map((i) => `${i.path.join('.') || 'summary'}: ${i.message}`).join('; ')}`);
    }
    const local = input.from === 'config' || deps.allowLocalTargets;
    const target = parseTarget(input.target, { allowLoopbackHttp: local, allowPrivateHosts: local });
    if ('problem' in target) throw refused(`target ${target.problem}`);
    const notification = buildNotification(summary.data);
    const body = JSON.stringify(notification);

    let delivery: Delivery;
    try {
      delivery = await deliver(target, body, notification.id, notification.type, notificationTitle(notification));
    } catch (error) {
      // Configuration (auth, region) is not fixed by retrying; anything else (a Vault read) may be.
      const message = `notify ${input.target}: ${error instanceof Error ? error.message : String(error)}`;
      if (error instanceof Error && error.name === 'ConfigError') throw refused(message);
      throw ApplicationFailure.create({ message, type: NOTIFICATION_FAILED });
    }
    const fields = { target: input.target, eventId: notification.id, outcome: notification.outcome };
    if (delivery.kind === 'delivered') {
      log.info('notification delivered', { ...fields, status: delivery.status, messageId: delivery.messageId });
      const result: NotifyResult = { target: input.target, eventId: notification.id };
      if (delivery.status !== undefined) result.status = delivery.status;
      if (delivery.messageId !== undefined) result.messageId = delivery.messageId;
      return result;
    }
    log.warn(`notification ${delivery.kind}`, { ...fields, status: delivery.status, error: delivery.message });
    if (delivery.kind === 'refused') throw refused(delivery.message);
    const wait = delivery.retryAfterSec;
    throw ApplicationFailure.create({
      message: delivery.message,
      type: NOTIFICATION_FAILED,
      details: [{ status: delivery.status ?? null }],
      ...(wait !== undefined && wait > 0 && wait <= MAX_RETRY_AFTER_SEC ? { nextRetryDelay: `${wait}s` } : {}),
    });
  }

  return { notify };
}

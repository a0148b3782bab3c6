// One signed webhook POST with a per-attempt timeout, and what its answer means for a retry:
// 2xx delivered; 408, 429 and 5xx, a timeout or no connection: retryable; a redirect or any other 4xx:
// refused (a wrong URL or a receiver that rejects the event; redirects are not followed, since a signed
// POST should reach the URL that was configured, not one a response names).
import { redactTarget } from '../domain/notify-targets.js';
import { retryAfterSec, type Delivery } from './delivery.js';
import { EVENT_ID_HEADER, EVENT_TYPE_HEADER, SIGNATURE_HEADER, signatureHeader, type Secret } from './signature.js';

export const DEFAULT_WEBHOOK_TIMEOUT_MS = 10_000;
export const USER_AGENT = 'oci-transcode-webhook/1';

export interface WebhookRequest {
  url: string;
  /** The exact bytes to sign and send. */
  body: string;
  eventId: string;
  eventType: string;
  secret: Secret;
  timeoutMs?: number;
  /** Unix seconds used as the signature's timestamp (default: the clock). */
  now?: () => number;
  fetch?: typeof fetch;
}

const excerpt = (text: string): string => {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length > 200 ? `${line.slice(0, 199)}…` : line;
};

function networkReason(error: unknown, timeoutMs: number): string {
  const e = error as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (e.name === 'TimeoutError' || e.name === 'AbortError') return `no answer within ${timeoutMs / 1000} s`;
  const cause = e.cause?.code ?? e.cause?.message;
  return cause ? `${e.message ?? 'fetch failed'} (${cause})` : (e.message ?? String(error));
}

export async function sendWebhook(r: WebhookRequest): Promise<Delivery> {
  const timeoutMs = r.timeoutMs ?? DEFAULT_WEBHOOK_TIMEOUT_MS;
  const timestamp = r.now ? r.now() : Math.floor(Date.now() / 1000);
  const send = r.fetch ?? fetch;
  // Messages end up in logs, the run history and job.json: a token in the query string stays out of them.
  const shown = redactTarget(r.url);
  let response: Response;
  let text: string;
  try {
    response = await send(r.url, {
      method: 'POST',
      redirect: 'manual',
      signal: AbortSignal.timeout(timeoutMs),
      headers: {
        'content-type': 'application/json',
        'user-agent': USER_AGENT,
        [EVENT_ID_HEADER]: r.eventId,
        [EVENT_TYPE_HEADER]: r.eventType,
        [SIGNATURE_HEADER]: signatureHeader(r.secret, timestamp, r.body),
      },
      body: r.body,
    });
    text = await response.text();
  } catch (error) {
    return { kind: 'retryable', message: `POST ${shown}: ${networkReason(error, timeoutMs)}` };
  }
  const { status } = response;
  const said = text ? `: ${excerpt(text)}` : '';
  if (status >= 200 && status < 300) return { kind: 'delivered', status };
  if (status === 408 || status === 429 || status >= 500) {
    const after = retryAfterSec(response.headers.get('retry-after'), timestamp * 1000);
    return { kind: 'retryable', status, message: `POST ${shown} answered ${status}${said}`, ...(after === undefined ? {} : { retryAfterSec: after }) };
  }
  if (status >= 300 && status < 400) {
    return { kind: 'refused', status, message: `POST ${shown} answered ${status} (redirect to ${response.headers.get('location') ?? '?'}): webhooks do not follow redirects, configure the final URL` };
  }
  return { kind: 'refused', status, message: `POST ${shown} answered ${status}${said}` };
}

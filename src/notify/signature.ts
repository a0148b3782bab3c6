// Webhook signatures, in the style of Stripe's and Standard Webhooks': an HMAC-SHA256 over
// `<timestamp>.<raw body>` with a shared secret, sent as
//
//   OCI-Transcode-Signature: t=<unix seconds>,v1=<hex HMAC>
//   OCI-Transcode-Event-Id:  evt_…            (also in the signed body as "id")
//   OCI-Transcode-Event-Type: transcode.completed
//
// A receiver recomputes the HMAC over the exact bytes it received, compares in constant time, and refuses a
// timestamp outside its tolerance window (default 5 minutes), so a captured request cannot be replayed
// later. Several v1= entries may appear (one per secret while a secret is rotated); one match is enough.
// Pure apart from the clock default: the sender and verifyWebhook share this file.
import { createHmac, timingSafeEqual } from 'node:crypto';

export const SIGNATURE_HEADER = 'oci-transcode-signature';
export const EVENT_ID_HEADER = 'oci-transcode-event-id';
export const EVENT_TYPE_HEADER = 'oci-transcode-event-type';
export const DEFAULT_TOLERANCE_SEC = 300;

export type Secret = string | readonly string[];

const secretsOf = (secret: Secret): string[] => (typeof secret === 'string' ? [secret] : [...secret]).filter((s) => s.length > 0);

/** Hex HMAC-SHA256 of `<timestamp>.<body>`. */
export function computeSignature(secret: string, timestampSec: number, body: string | Buffer): string {
  return createHmac('sha256', secret).update(`${timestampSec}.`).update(body).digest('hex');
}

/** The signature header's value for one body at one time, with one v1= per secret. */
export function signatureHeader(secret: Secret, timestampSec: number, body: string | Buffer): string {
  const secrets = secretsOf(secret);
  if (secrets.length === 0) throw new Error('webhook signing needs a secret');
  return [`t=${timestampSec}`, ...secrets.map((s) => `v1=${computeSignature(s, timestampSec, body)}`)].join(',');
}

export type HeaderBag = Headers | Record<string, string | string[] | undefined>;

function header(headers: HeaderBag, name: string): string | undefined {
  if (typeof (headers as Headers).get === 'function') return (headers as Headers).get(name) ?? undefined;
  const bag = headers as Record<string, string | string[] | undefined>;
  const key = Object.keys(bag).find((k) => k.toLowerCase() === name);
  const value = key === undefined ? undefined : bag[key];
  return Array.isArray(value) ? value.join(',') : value;
}

export type Verification = { ok: true; timestamp: number; eventId?: string } | { ok: false; reason: string };

export interface VerifyOptions {
  /** Largest accepted distance between the signature's timestamp and now, in seconds (default 300). */
  toleranceSec?: number;
  /** Now, in Unix seconds (default: the clock). */
  now?: number;
}

const HEX64 = /^[0-9a-f]{64}$/;

/**
 * Checks a delivery: `body` must be the raw bytes as received (not re-serialised JSON). Constant-time
 * comparison; ok only when one v1 signature matches one of the secrets and the timestamp is within tolerance.
 */
export function verifyWebhook(secret: Secret, headers: HeaderBag, body: string | Buffer, options: VerifyOptions = {}): Verification {
  const secrets = secretsOf(secret);
  if (secrets.length === 0) return { ok: false, reason: 'no secret to verify with' };
  const value = header(headers, SIGNATURE_HEADER);
  if (!value) return { ok: false, reason: `no ${SIGNATURE_HEADER} header` };
  let timestamp: number | undefined;
  const given: Buffer[] = [];
  for (const part of value.split(',')) {
    const [key, ...rest] = part.trim().split('=');
    const v = rest.join('=');
    if (key === 't' && /^\d{1,12}$/.test(v)) timestamp = Number(v);
    else if (key === 'v1' && HEX64.test(v)) given.push(Buffer.from(v, 'hex'));
  }
  if (timestamp === undefined) return { ok: false, reason: 'the signature header has no t=<unix seconds>' };
  if (given.length === 0) return { ok: false, reason: 'the signature header has no v1=<hex HMAC-SHA256>' };
  const now = options.now ?? Math.floor(Date.now() / 1000);
  const tolerance = options.toleranceSec ?? DEFAULT_TOLERANCE_SEC;
  if (Math.abs(now - timestamp) > tolerance) return { ok: false, reason: `timestamp ${timestamp} is more than ${tolerance} s from now (${now}): stale or replayed` };
  // Every comparison runs, so the time taken says nothing about which one matched.
  let matched = false;
  for (const s of secrets) {
    const expected = Buffer.from(computeSignature(s, timestamp, body), 'hex');
    for (const g of given) matched = timingSafeEqual(expected, g) || matched;
  }
  if (!matched) return { ok: false, reason: 'no signature matches: wrong secret, or the body was changed' };
  const eventId = header(headers, EVENT_ID_HEADER);
  return eventId === undefined ? { ok: true, timestamp } : { ok: true, timestamp, eventId };
}

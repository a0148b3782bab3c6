// The webhook signature scheme: HMAC-SHA256 over `<t>.<raw body>`, checked in constant time within a
// tolerance window. A tampered body, a wrong secret and a stale or future timestamp all fail, each
// with its own reason; a rotated secret (two v1= entries) verifies with either.
import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { computeSignature, EVENT_ID_HEADER, SIGNATURE_HEADER, signatureHeader, verifyWebhook } from '../../../src/notify/signature.js';

const SECRET = 'whsec-0123456789abcdef';
const BODY = '{"schema":1,"id":"evt_00000000000000000000000000000001","outcome":"completed"}';
const T = 1_900_000_000; // a fixed clock: nothing here reads the time of day

describe('computeSignature', () => {
  it('is the hex HMAC-SHA256 of "<t>.<body>", as a receiver computes it with plain node:crypto', () => {
    const independent = createHmac('sha256', SECRET).update(`${T}.${BODY}`).digest('hex');
    expect(computeSignature(SECRET, T, BODY)).toBe(independent);
    expect(signatureHeader(SECRET, T, BODY)).toBe(`t=${T},v1=${independent}`);
  });
});

describe('verifyWebhook', () => {
  const headers = (value = signatureHeader(SECRET, T, BODY)) => ({ [SIGNATURE_HEADER]: value, [EVENT_ID_HEADER]: 'evt_x' });

  it('accepts the exact bytes that were signed, within the tolerance', () => {
    expect(verifyWebhook(SECRET, headers(), BODY, { now: T + 299 })).toEqual({ ok: true, timestamp: T, eventId: 'evt_x' });
    expect(verifyWebhook(SECRET, headers(), Buffer.from(BODY), { now: T - 10 }).ok).toBe(true);
  });

  it('finds the header whatever its case, in a plain object or a fetch Headers', () => {
    expect(verifyWebhook(SECRET, { 'OCI-Transcode-Signature': signatureHeader(SECRET, T, BODY) }, BODY, { now: T }).ok).toBe(true);
    expect(verifyWebhook(SECRET, new Headers(headers()), BODY, { now: T }).ok).toBe(true);
  });

  it('refuses a tampered body', () => {
    const tampered = BODY.replace('completed', 'failed');
    expect(verifyWebhook(SECRET, headers(), tampered, { now: T })).toEqual({ ok: false, reason: 'no signature matches: wrong secret, or the body was changed' });
    expect(verifyWebhook(SECRET, headers(), `${BODY} `, { now: T }).ok).toBe(false);
  });

  it('refuses a wrong secret and a timestamp moved after signing', () => {
    expect(verifyWebhook('another-secret-0123456', headers(), BODY, { now: T }).ok).toBe(false);
    const moved = signatureHeader(SECRET, T, BODY).replace(`t=${T}`, `t=${T + 5}`);
    expect(verifyWebhook(SECRET, headers(moved), BODY, { now: T + 5 }).ok).toBe(false);
  });

  it('refuses a stale or future timestamp (a replay), with the given tolerance', () => {
    const stale = verifyWebhook(SECRET, headers(), BODY, { now: T + 301 });
    expect(stale.ok).toBe(false);
    expect(!stale.ok && stale.reason).toMatch(/more than 300 s from now.*stale or replayed/);
    expect(verifyWebhook(SECRET, headers(), BODY, { now: T - 301 }).ok).toBe(false);
    expect(verifyWebhook(SECRET, headers(), BODY, { now: T + 3000, toleranceSec: 3600 }).ok).toBe(true);
  });

  it('verifies during a rotation: two secrets sign, either one verifies', () => {
    const both = signatureHeader([SECRET, 'next-secret-0123456789'], T, BODY);
    expect(both.match(/v1=/g)).toHaveLength(2);
    expect(verifyWebhook(SECRET, headers(both), BODY, { now: T }).ok).toBe(true);
    expect(verifyWebhook('next-secret-0123456789', headers(both), BODY, { now: T }).ok).toBe(true);
    expect(verifyWebhook(['old-secret-0123456789', SECRET], headers(), BODY, { now: T }).ok).toBe(true);
  });

  it('names what is missing or malformed', () => {
    const reason = (h: Record<string, string>) => {
      const v = verifyWebhook(SECRET, h, BODY, { now: T });
      return v.ok ? 'ok' : v.reason;
    };
    expect(reason({})).toBe(`no ${SIGNATURE_HEADER} header`);
    expect(reason({ [SIGNATURE_HEADER]: 'v1=abc' })).toMatch(/no t=/);
    expect(reason({ [SIGNATURE_HEADER]: `t=${T},v1=nothex` })).toMatch(/no v1=/);
    expect(verifyWebhook('', headers(), BODY, { now: T })).toEqual({ ok: false, reason: 'no secret to verify with' });
    expect(() => signatureHeader('', T, BODY)).toThrow(/needs a secret/);
  });
});

// The notify activity against a real HTTP receiver on loopback, driven through MockActivityEnvironment
// with the retries done by a small loop here (the workflow's retry policy does the same in production:
// notify-worker.test.ts runs it on a real worker). What is proved: a delivery arrives signed, and the
// documented verification accepts it while a tampered body fails; a receiver that is down, answers 503 or
// hangs gets the event once it recovers; one that stays down is exhausted, one that refuses (410, a
// redirect) ends at once non-retryable; a repeat carries the same event id and body.
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { afterEach, describe, expect, it } from 'vitest';
import { createNotifyActivities, NOTIFICATION_FAILED, NOTIFICATION_REFUSED, type NotifyDeps, type NotifyInput, type NotifyResult } from '../../../src/activities/notify.js';
import { buildNotification, notificationSchema, type RunSummary } from '../../../src/notify/payload.js';
import { EVENT_ID_HEADER, EVENT_TYPE_HEADER, verifyWebhook } from '../../../src/notify/signature.js';
import { freePort } from '../../helpers/net.js';
import { Receiver } from './receiver.js';

const SECRET = 'test-webhook-secret-0123456789';

const summary: RunSummary = {
  workflowId: 'transcode/local/media-in/clip.mp4',
  runId: '11111111-2222-4333-8444-555555555555',
  outcome: 'completed',
  source: { namespace: 'local', bucket: 'media-in', object: 'clip.mp4', etag: 'e1' },
  dest: { bucket: 'media-out', prefix: '' },
  version: 'v-0badf00d',
  outputs: { hls: 'clip.mp4/master.m3u8', dash: 'clip.mp4/manifest.mpd', record: 'clip.mp4/job.json' },
  renditions: [{ id: '360p', kind: 'video', codecs: 'avc1.4d401e', width: 640, height: 360, averageBitrate: 700_000, peakBitrate: 900_000 }],
  durationSec: 4,
  timings: { startedAt: '2026-01-01T00:00:00.000Z', finishedAt: '2026-01-01T00:00:30.000Z', totalSec: 30, stages: {} },
};

/** Activity logs only when something is wrong: the tests print their own story. */
const env = () => new MockActivityEnvironment({}, { logger: new DefaultLogger('ERROR') });

const receivers: Receiver[] = [];
afterEach(async () => {
  for (const r of receivers.splice(0)) await r.stop();
});
const receiver = async (port = 0): Promise<Receiver> => {
  const r = new Receiver(port);
  receivers.push(r);
  return r.start();
};

function activity(overrides: Partial<NotifyDeps> = {}) {
  return createNotifyActivities({
    webhookSecret: () => Promise.resolve(SECRET),
    topics: () => ({ publish: () => Promise.reject(new Error('no topics in this test')) }),
    allowLocalTargets: false,
    timeoutMs: 2000,
    ...overrides,
  }).notify;
}

const input = (url: string, from: NotifyInput['from'] = 'config'): NotifyInput => ({ target: `webhook:${url}`, from, summary });

/** Runs the activity as Temporal would run one attempt; returns its result or the ApplicationFailure it threw. */
async function attempt(notify: ReturnType<typeof activity>, i: NotifyInput) {
  try {
    return { ok: true as const, result: await env().run<[NotifyInput], NotifyResult, typeof notify>(notify, i) };
  } catch (error) {
    expect(error).toBeInstanceOf(ApplicationFailure);
    return { ok: false as const, failure: error as ApplicationFailure };
  }
}

/** The retry loop a retry policy would run: until delivered, refused, or out of attempts. */
async function withRetries(notify: ReturnType<typeof activity>, i: NotifyInput, o: { attempts: number; between?: (n: number) => Promise<void> }) {
  const failures: ApplicationFailure[] = [];
  for (let n = 1; n <= o.attempts; n++) {
    const a = await attempt(notify, i);
    if (a.ok) return { delivered: a.result, failures };
    failures.push(a.failure);
    if (a.failure.nonRetryable) return { failures };
    await o.between?.(n);
  }
  return { failures, exhausted: true };
}

describe('webhook delivery', () => {
  it('arrives signed: the documented verification accepts it, a tampered body or a stale timestamp fails', async () => {
    const r = await receiver();
    const result = await env().run(activity(), input(r.url));
    expect(r.received).toHaveLength(1);
    const [got] = r.received;
    expect(got).toMatchObject({ method: 'POST', path: '/hooks/transcode' });
    expect(got!.headers['content-type']).toBe('application/json');
    const verified = verifyWebhook(SECRET, got!.headers, got!.body);
    expect(verified).toMatchObject({ ok: true });
    const event = notificationSchema.parse(JSON.parse(got!.body));
    expect(event).toEqual(buildNotification(summary));
    expect(got!.headers[EVENT_ID_HEADER]).toBe(event.id);
    expect(got!.headers[EVENT_TYPE_HEADER]).toBe('transcode.completed');
    expect(result).toEqual({ target: `webhook:${r.url}`, eventId: event.id, status: 200 });

    expect(verifyWebhook(SECRET, got!.headers, got!.body.replace('"completed"', '"failed"')).ok).toBe(false);
    expect(verifyWebhook('not-the-secret-0123456789', got!.headers, got!.body).ok).toBe(false);
    const at = verified.ok ? verified.timestamp : 0;
    expect(verifyWebhook(SECRET, got!.headers, got!.body, { now: at + 301 }).ok).toBe(false);
  });

  it('a receiver that is down for a while gets the event when it comes back, exactly once', async () => {
    const port = await freePort();
    const notify = activity();
    let back: Receiver | undefined;
    const outcome = await withRetries(notify, input(`http://127.0.0.1:${port}/hooks/transcode`), {
      attempts: 6,
      between: async (n) => {
        if (n === 2) back = await receiver(port); // down for two attempts, then up
      },
    });
    expect(outcome.failures).toHaveLength(2);
    for (const f of outcome.failures) {
      expect(f.type).toBe(NOTIFICATION_FAILED);
      expect(f.nonRetryable).toBe(false);
      expect(f.message).toMatch(/ECONNREFUSED|fetch failed/);
    }
    expect(outcome.delivered?.status).toBe(200);
    expect(back!.received).toHaveLength(1);
    expect(verifyWebhook(SECRET, back!.received[0]!.headers, back!.received[0]!.body).ok).toBe(true);
  });

  it('503s and a hung receiver are retried; a 429 passes its Retry-After on as the next delay', async () => {
    const r = await receiver();
    r.answers = [503, 'hang', { status: 429, headers: { 'retry-after': '7' } }, 204];
    const outcome = await withRetries(activity({ timeoutMs: 300 }), input(r.url), { attempts: 5 });
    expect(outcome.failures.map((f) => [f.type, f.nonRetryable])).toEqual([
      [NOTIFICATION_FAILED, false],
      [NOTIFICATION_FAILED, false],
      [NOTIFICATION_FAILED, false],
    ]);
    expect(outcome.failures[0]!.message).toMatch(/answered 503/);
    expect(outcome.failures[1]!.message).toMatch(/no answer within 0.3 s/);
    expect(outcome.failures[2]!.nextRetryDelay).toBe('7s');
    expect(outcome.delivered?.status).toBe(204);
    const ids = new Set(r.received.map((x) => x.headers[EVENT_ID_HEADER]));
    expect(r.received).toHaveLength(4);
    expect(ids.size).toBe(1);
  });

  it('a receiver down for good exhausts the attempts, each failure retryable (the workflow then records it undelivered)', async () => {
    const port = await freePort();
    const outcome = await withRetries(activity(), input(`http://127.0.0.1:${port}/x`), { attempts: 4 });
    expect(outcome.exhausted).toBe(true);
    expect(outcome.failures).toHaveLength(4);
    expect(outcome.failures.every((f) => f.type === NOTIFICATION_FAILED && !f.nonRetryable)).toBe(true);
  });

  it('a refusal (410, a redirect) ends at once with a non-retryable NotificationRefused', async () => {
    const r = await receiver();
    r.answers = [410];
    const gone = await withRetries(activity(), input(r.url), { attempts: 5 });
    expect(gone.failures).toHaveLength(1);
    expect(gone.failures[0]).toMatchObject({ type: NOTIFICATION_REFUSED, nonRetryable: true });
    expect(gone.failures[0]!.message).toMatch(/answered 410: answer 410/);
    r.answers = [{ status: 302, headers: { location: 'https://elsewhere.example/' } }];
    const moved = await attempt(activity(), input(r.url));
    expect(!moved.ok && moved.failure.message).toMatch(/302 \(redirect to https:\/\/elsewhere.example\/\): webhooks do not follow redirects/);
    expect(r.received).toHaveLength(2);
  });

  it('a repeat (an answer lost after a 2xx) sends the same event id and the same body', async () => {
    const r = await receiver();
    const notify = activity();
    await env().run(notify, input(r.url));
    await env().run(notify, input(r.url));
    expect(r.received).toHaveLength(2);
    const [a, b] = r.received;
    expect(a!.headers[EVENT_ID_HEADER]).toBe(b!.headers[EVENT_ID_HEADER]);
    expect(a!.body).toBe(b!.body);
    expect(JSON.parse(a!.body)).toMatchObject({ id: a!.headers[EVENT_ID_HEADER] });
  });

  it('refuses what it must not send: no secret, a job-chosen loopback target, a broken summary', async () => {
    const r = await receiver();
    const noSecret = await attempt(activity({ webhookSecret: () => Promise.resolve(undefined) }), input(r.url));
    expect(!noSecret.ok && [noSecret.failure.type, noSecret.failure.message]).toEqual([NOTIFICATION_REFUSED, expect.stringMatching(/no webhook secret/) as string]);
    const jobChosen = await attempt(activity(), input(r.url, 'request'));
    expect(!jobChosen.ok && jobChosen.failure.message).toMatch(/https \(http only to a loopback host\)/);
    const local = await attempt(activity({ allowLocalTargets: true }), input(r.url, 'request'));
    expect(local.ok).toBe(true);
    const broken = await attempt(activity(), { ...input(r.url), summary: { ...summary, outcome: 'succeeded' } as unknown as RunSummary });
    expect(!broken.ok && broken.failure.message).toMatch(/invalid run summary: outcome/);
    expect(r.received).toHaveLength(1); // only the local-mode one was sent
  });
});

// The fast tier (tests/helpers/stub-world.ts): the real `transcode` workflow and the real notify activity
// on a dev server, storage stubbed, webhooks to a real HTTP receiver. Every terminal outcome arrives,
// signed so that the documented verification accepts it and a tampered body fails; a receiver that is
// down for a while gets the event when it recovers; one down for good is recorded as undelivered, and the
// run still completes.
import { randomBytes } from 'node:crypto';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config.js';
import { workflowIdFor } from '../../../src/domain/events.js';
import { parseTarget, type NotifyTarget } from '../../../src/domain/notify-targets.js';
import { notificationSchema, type Notification } from '../../../src/notify/payload.js';
import { verifyWebhook } from '../../../src/notify/signature.js';
import type { TranscodeResult } from '../../../src/workflows/definitions.js';
import { freePort } from '../../helpers/net.js';
import { BUCKET, NAMESPACE, startStubStack, type StubStack } from '../../helpers/stub-world.js';
import { startTemporal } from '../../helpers/temporal.js';
import { Receiver } from '../notify/receiver.js';

const SECRET = 'stub-notify-secret-0123456789abcdef';
/** How long each target is retried: long enough for a receiver that comes back, short for one that does not. */
const RETRY_FOR_SEC = 6;
let env: TestWorkflowEnvironment;
let stack: StubStack;
let receiver: Receiver;

const idOf = (object: string): string => workflowIdFor({ namespace: NAMESPACE, bucket: BUCKET, object });
const name = (what: string): string => `${what}-${randomBytes(3).toString('hex')}.mp4`;
const handleOf = (object: string) => env.client.workflow.getHandle(idOf(object));
const jobsOf = (object: string) => [...stack.world.runner.jobs.values()].filter((j) => j.tags.workflowId === idOf(object) && !j.deleted);

async function until<T>(what: string, check: () => T | undefined | false, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The notifications the receiver got about one object, checked against the documented signature. */
function received(object: string, from = receiver): Notification[] {
  return from.received
    .filter((r) => r.body.includes(JSON.stringify(object)))
    .map((r) => {
      expect(verifyWebhook(SECRET, r.headers, r.body)).toMatchObject({ ok: true });
      return notificationSchema.parse(JSON.parse(r.body));
    });
}

/** A run of this request started as `temporal workflow start` would, with the job's own notify targets. */
async function startWith(object: string, notify: string[]) {
  const etag = stack.world.upload(object);
  return env.client.workflow.start('transcode', { taskQueue: stack.config.taskQueue, workflowId: idOf(object), args: [{ ...stack.world.request(object, etag), notify }] });
}

beforeAll(async () => {
  env = await startTemporal();
  receiver = await new Receiver().start();
  const target = parseTarget(`webhook:${receiver.url}`, { allowLoopbackHttp: true }) as NotifyTarget;
  stack = await startStubStack(env, {
    // One attempt per job: a failed job fails the run at once.
    config: { notify: { targets: [target], webhookSecret: SECRET, retryForSec: RETRY_FOR_SEC }, job: { ...loadConfig({}).job, maxAttempts: 1, pollSec: 0.1, backoffSec: 0.1 } },
  });
});

afterAll(async () => {
  await stack?.stop();
  await receiver?.stop();
  await env?.teardown();
});

describe('completion notifications from the transcode workflow', () => {
  it('completed: signed, with the masters, the renditions and the timings; a tampered body fails verification', async () => {
    const object = name('done');
    const etag = stack.world.upload(object);
    await stack.announce(object, etag);
    expect(await handleOf(object).result()).toMatchObject({ outcome: 'published', etag });
    const [event, ...more] = await until('the notification', () => received(object).length > 0 && received(object));
    expect(more).toEqual([]);
    expect(event).toMatchObject({
      type: 'transcode.completed', outcome: 'completed', source: { bucket: BUCKET, object, etag },
      outputs: { masters: { hls: expect.stringMatching(/^oci:\/\/.*master\.m3u8$/) as string }, thumbnails: { posterJpeg: expect.stringMatching(/poster\.jpg$/) as string } },
    });
    expect(event!.renditions.map((r) => r.id)).toEqual(expect.arrayContaining(['360p']));
    expect(event!.timings?.totalSec).toBeGreaterThan(0);
    const raw = receiver.received.find((r) => r.body.includes(event!.id))!;
    expect(verifyWebhook(SECRET, raw.headers, raw.body.replace('"completed"', '"failed"')).ok).toBe(false);
  });

  it('failed, canceled and superseded each arrive too, with the error or the newer eTag', async () => {
    stack.world.runner.autoFinishMs = undefined;
    try {
      const failed = name('failed');
      await stack.announce(failed, stack.world.upload(failed));
      const [job] = await until('its job', () => jobsOf(failed).length > 0 && jobsOf(failed));
      stack.world.runner.finish(job!.id, 'failed');
      await expect(handleOf(failed).result()).rejects.toThrow();

      const canceled = name('canceled');
      await stack.announce(canceled, stack.world.upload(canceled));
      await until('its job', () => jobsOf(canceled).length > 0);
      await handleOf(canceled).cancel();
      await expect(handleOf(canceled).result()).rejects.toThrow();

      const replaced = name('replaced');
      await stack.announce(replaced, stack.world.upload(replaced));
      await until('its job', () => jobsOf(replaced).length > 0);
      const newer = stack.world.upload(replaced);
      expect(await stack.announce(replaced, newer)).toMatchObject({ outcome: 'superseding' });
      stack.world.runner.autoFinishMs = 50;
      for (const j of jobsOf(replaced)) stack.world.runner.finish(j.id);
      expect((await handleOf(replaced).result()) as TranscodeResult).toMatchObject({ outcome: 'published', etag: newer });

      expect(await until('failed', () => received(failed)[0])).toMatchObject({ outcome: 'failed', error: expect.stringMatching(/\S/) as string });
      expect(await until('canceled', () => received(canceled)[0])).toMatchObject({ outcome: 'canceled' });
      const both = await until('superseded and completed', () => received(replaced).length >= 2 && received(replaced));
      expect(both.map((n) => n.outcome)).toEqual(['superseded', 'completed']);
      expect(both[0]).toMatchObject({ supersededBy: newer });
      expect(new Set(both.map((n) => n.run.runId)).size).toBe(2);
    } finally {
      stack.world.runner.autoFinishMs = 50;
    }
  });

  it('a receiver down for a while gets the event once it is back; one down for good is recorded undelivered and the run completes', async () => {
    const late = new Receiver(await freePort());
    const gone = `http://127.0.0.1:${await freePort()}/hook?token=secret-in-query`;
    const object = name('late');
    const handle = await startWith(object, [`webhook:${late.url}`, `webhook:${gone}`]);
    setTimeout(() => void late.start(), 1500);
    try {
      expect(await handle.result()).toMatchObject({ outcome: 'published' });
      expect(received(object, late).map((n) => n.outcome)).toEqual(['completed']);
      expect(received(object).map((n) => n.outcome)).toEqual(['completed']); // the operator's target too
      const recorded = stack.world.undelivered.find((u) => u.sourceObject === object);
      expect(recorded).toMatchObject({ runId: handle.firstExecutionRunId, undelivered: [{ target: `webhook:${gone.replace(/\?.*$/, '')}`, error: expect.stringMatching(/^not delivered within the 6 s retry bound: POST http:\/\/127\.0\.0\.1:\d+\/hook: /) as string }] });
      expect(JSON.stringify(recorded)).not.toContain('secret-in-query');
    } finally {
      await late.stop();
    }
  });
});

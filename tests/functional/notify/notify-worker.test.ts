// The notify activity on a real worker and a real Temporal dev server, retried by Temporal's own retry
// policy (bounded by schedule-to-close) from the transcode workflow's notification step
// (src/workflows/notify.ts) run alone: a receiver down for a while gets the event when it recovers, once;
// one down for good ends undelivered when the time is up; a refusal ends it after one attempt. The
// workflow itself completes every time: a notification never changes a run's outcome.
import { randomBytes } from 'node:crypto';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createNotifyActivities, type NotifyInput } from '../../../src/activities/notify.js';
import type { RunSummary } from '../../../src/notify/payload.js';
import { verifyWebhook } from '../../../src/notify/signature.js';
import { freePort } from '../../helpers/net.js';
import { startTemporal } from '../../helpers/temporal.js';
import type { notifyStep } from './fixtures/notify-workflow.js';
import { Receiver } from './receiver.js';

const SECRET = 'worker-test-secret-0123456789';
const summary: RunSummary = {
  workflowId: 'transcode/local/media-in/w.mp4',
  runId: '22222222-3333-4444-8555-666666666666',
  outcome: 'canceled',
  source: { namespace: 'local', bucket: 'media-in', object: 'w.mp4', etag: 'e' },
  error: 'canceled',
};

let env: TestWorkflowEnvironment;
let worker: Worker;
let running: Promise<void>;
/** Attempts the worker ran (a retried activity's history shows only its last attempt). */
let calls = 0;
const taskQueue = `notify-${randomBytes(4).toString('hex')}`;

const { notify } = createNotifyActivities({
  webhookSecret: () => Promise.resolve(SECRET),
  topics: () => ({ publish: () => Promise.reject(new Error('unused')) }),
  allowLocalTargets: false,
  timeoutMs: 1000,
});

beforeAll(async () => {
  env = await startTemporal();
  worker = await Worker.create({
    connection: env.nativeConnection,
    namespace: env.namespace ?? 'default',
    taskQueue,
    workflowsPath: new URL('./fixtures/notify-workflow.ts', import.meta.url).pathname,
    activities: {
      notify(input: NotifyInput) {
        calls += 1;
        return notify(input);
      },
    },
  });
  running = worker.run();
}, 120_000);

afterAll(async () => {
  worker?.shutdown();
  await running;
  await env?.teardown();
});

async function step(url: string, retryForSec: number) {
  const input: NotifyInput & { retryForSec: number } = { target: `webhook:${url}`, from: 'config', summary, retryForSec };
  calls = 0;
  const handle = await env.client.workflow.start<typeof notifyStep>('notifyStep', { taskQueue, workflowId: `notify-${randomBytes(6).toString('hex')}`, args: [input] });
  return { result: await handle.result(), attempts: calls };
}

describe('notify on a real worker', () => {
  it('a receiver down for a while gets the event when it recovers, exactly once', async () => {
    const port = await freePort();
    const receiver = new Receiver(port);
    const up = new Promise<void>((done) => setTimeout(() => void receiver.start().then(() => done()), 1500));
    try {
      const { result, attempts } = await step(`http://127.0.0.1:${port}/hook`, 30);
      await up;
      expect(result).toEqual([]);
      expect(attempts).toBeGreaterThan(1);
      expect(receiver.received).toHaveLength(1);
      expect(verifyWebhook(SECRET, receiver.received[0]!.headers, receiver.received[0]!.body).ok).toBe(true);
    } finally {
      await up;
      await receiver.stop();
    }
  });

  it('a receiver down for good: undelivered when schedule-to-close runs out, and the workflow completes', async () => {
    const port = await freePort();
    const { result, attempts } = await step(`http://127.0.0.1:${port}/hook`, 3);
    expect(result).toEqual([{ target: `webhook:http://127.0.0.1:${port}/hook`, error: expect.stringMatching(/^not delivered within the 3 s retry bound/) as string }]);
    expect(attempts).toBeGreaterThanOrEqual(2);
  });

  it('a refusal ends the step after one attempt', async () => {
    const receiver = await new Receiver().start();
    receiver.answers = [400];
    try {
      const { result, attempts } = await step(receiver.url, 30);
      expect(result).toEqual([{ target: expect.any(String) as string, error: expect.stringMatching(/^refused: .*answered 400/) as string }]);
      expect(attempts).toBe(1);
      expect(receiver.received).toHaveLength(1);
    } finally {
      await receiver.stop();
    }
  });
});

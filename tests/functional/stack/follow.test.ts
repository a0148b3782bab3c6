// followRun against a real dev server: progress from the query, continue-as-new followed to the
// run that really ends, and a failure explained by its own message.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { Worker, NativeConnection } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDevServer, type DevServer } from '../../../src/stack/dev-server.js';
import { followRun, waitForRun } from '../../../src/stack/follow.js';
import { findTemporalBin } from '../../../src/stack/temporal-bin.js';
import type { Progress } from '../../../src/workflows/definitions.js';
import { freePort } from '../../helpers/net.js';

let dir: string;
let server: DevServer;
let worker: Worker;
let running: Promise<void>;
let native: NativeConnection;
let connection: Connection;
let client: Client;
const taskQueue = 'follow-test';

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'follow-'));
  server = await startDevServer({ bin: findTemporalBin(), dbFile: join(dir, 't.db'), port: await freePort(), uiPort: await freePort() });
  native = await NativeConnection.connect({ address: server.address });
  worker = await Worker.create({ connection: native, taskQueue, workflowsPath: new URL('./fixtures/follow-workflows.ts', import.meta.url).pathname });
  running = worker.run();
  connection = await Connection.connect({ address: server.address });
  client = new Client({ connection });
});
afterAll(async () => {
  worker?.shutdown();
  await running;
  await native?.close();
  await connection?.close();
  await server?.stop();
  await rm(dir, { recursive: true, force: true });
});

describe('followRun', () => {
  it('reports progress and follows continue-as-new to the run that completes', async () => {
    const first = await client.workflow.start('steps', { taskQueue, workflowId: 'follow-ok', args: [{ hops: 1 }], memo: { etag: 'e1' } });
    expect(await waitForRun(client, 'follow-ok', { etag: 'e1', timeoutMs: 5000 })).toMatchObject({ runId: first.firstExecutionRunId });
    const seen: Progress[] = [];
    const outcome = await followRun(client, 'follow-ok', { pollMs: 50, onProgress: (p) => seen.push(p) });
    expect(outcome.status).toBe('COMPLETED');
    expect(outcome.result).toEqual({ done: true, hops: 0 });
    expect(outcome.runId).not.toBe(first.firstExecutionRunId);
    expect(seen.length).toBeGreaterThan(1);
    expect(seen.every((p) => p.stage === 'transcoding' && p.percent >= 0 && p.percent <= 100)).toBe(true);
  });

  it('explains a failed run with the failure it raised', async () => {
    await client.workflow.start('steps', { taskQueue, workflowId: 'follow-bad', args: [{ hops: 0, fail: 'no video or audio stream in clip.mp4' }] });
    const outcome = await followRun(client, 'follow-bad', { pollMs: 50 });
    expect(outcome).toMatchObject({ status: 'FAILED', reason: 'no video or audio stream in clip.mp4' });
  });

  it('waits for a run of this upload, not an older closed one under the same id', async () => {
    const found = await waitForRun(client, 'follow-ok', { etag: 'a-newer-etag', timeoutMs: 600, pollMs: 100 });
    expect(found).toBeUndefined();
    expect(await waitForRun(client, 'never-started', { timeoutMs: 300, pollMs: 100 })).toBeUndefined();
  });
});

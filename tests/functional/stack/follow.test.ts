// followRun against a real dev server: progress from the query, continue-as-new followed to the
// run that really ends, and a failure explained by its own message. Through a StackLink, following
// goes on when the stack (here a stand-in process named by a real state file) stops and another
// comes back, and gives up with StackLostError when none does.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { Worker, NativeConnection } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDevServer, type DevServer } from '../../../src/stack/dev-server.js';
import { followRun, queryProgress, waitForRun } from '../../../src/stack/follow.js';
import { openStackLink, StackLostError } from '../../../src/stack/link.js';
import { processAlive, processStart, type StackState } from '../../../src/stack/state.js';
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

describe('queryProgress', () => {
  it('gives up within its deadline when no worker is there to answer (the stack that ran it was killed)', async () => {
    const handle = await client.workflow.start('steps', { taskQueue: 'nobody-polls-this', workflowId: 'follow-no-worker', args: [{ hops: 0 }] });
    try {
      const started = Date.now();
      expect(await queryProgress(client, 'follow-no-worker')).toBeUndefined();
      expect(Date.now() - started).toBeLessThan(8000);
    } finally {
      await handle.terminate('test done');
    }
  });
});

describe('followRun through a StackLink', () => {
  const stacks: ChildProcess[] = [];
  afterAll(() => stacks.forEach((p) => p.kill('SIGKILL')));

  /** A live process standing in for `dev`, and the ready state file naming it and the real server. */
  async function fakeStack(): Promise<StackState> {
    const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 120000)']);
    stacks.push(child);
    await new Promise((r) => child.once('spawn', r));
    const state: StackState = {
      schema: 1, pid: child.pid!, pidStart: processStart(child.pid!), ready: true, address: server.address, port: 1, uiPort: 1,
      uiUrl: server.uiUrl, namespace: 'default', taskQueue, dataDir: dir, startedAt: new Date(0).toISOString(),
    };
    await writeFile(join(dir, 'stack.json'), JSON.stringify(state));
    return state;
  }
  const crash = async (state: StackState): Promise<void> => {
    process.kill(state.pid, 'SIGKILL');
    for (let i = 0; i < 100 && processAlive(state.pid, state.pidStart); i++) await new Promise((r) => setTimeout(r, 20));
  };

  it('goes on following when the stack stops and another one comes back', async () => {
    const first = await fakeStack();
    const handle = await client.workflow.start('gate', { taskQueue, workflowId: 'follow-gate' });
    const events: string[] = [];
    const link = await openStackLink(first, {
      reconnectTimeoutMs: 20_000, pollMs: 50, onLost: (s) => events.push(`lost ${s.pid}`), onBack: (s) => events.push(`back ${s.pid}`),
    });
    try {
      let progressed = 0;
      const following = followRun(link, 'follow-gate', { pollMs: 50, onProgress: () => progressed++ });
      await new Promise((r) => setTimeout(r, 300));
      await crash(first);
      await new Promise((r) => setTimeout(r, 300));
      expect(events).toEqual([`lost ${first.pid}`]); // noticed, and waiting: no second stack yet
      const before = progressed;
      const second = await fakeStack();
      await new Promise((r) => setTimeout(r, 300));
      expect(events).toEqual([`lost ${first.pid}`, `back ${second.pid}`]);
      expect(progressed).toBeGreaterThan(before); // progress goes on through the new connection
      await handle.signal('open');
      expect(await following).toMatchObject({ status: 'COMPLETED', result: { done: true } });
      expect(link.state.pid).toBe(second.pid);
    } finally {
      await link.close();
    }
  });

  it('gives up with StackLostError when no stack comes back in time', async () => {
    const only = await fakeStack();
    const handle = await client.workflow.start('gate', { taskQueue, workflowId: 'follow-gate-lost' });
    const link = await openStackLink(only, { reconnectTimeoutMs: 1000, pollMs: 50 });
    try {
      const following = followRun(link, 'follow-gate-lost', { pollMs: 50 });
      await new Promise((r) => setTimeout(r, 200));
      await crash(only);
      const started = Date.now();
      await expect(following).rejects.toThrow(StackLostError);
      await expect(following).rejects.toThrow(`the local stack (pid ${only.pid}) stopped and none came back on ${dir} within 1 s`);
      expect(Date.now() - started).toBeLessThan(5000);
      expect((await handle.describe()).status.name).toBe('RUNNING'); // the run itself is untouched
    } finally {
      await link.close().catch(() => undefined);
      await handle.terminate('test done');
    }
  });
});

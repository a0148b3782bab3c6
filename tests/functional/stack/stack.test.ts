// The whole local stack in this process: the real dev server, worker, watcher and starter. Covers
// what needs the watcher's own event path: a redelivered event (same object, same eTag) starts
// nothing, also when deliveries race. Also the state file's life, a port taken by someone else, and
// the dev server a killed stack left running.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { WorkflowExecutionDescription } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, type Config } from '../../../src/config.js';
import { workflowIdFor } from '../../../src/domain/events.js';
import { portFree, PortInUseError } from '../../../src/stack/dev-server.js';
import { StackAlreadyRunningError, startStack, type RunningStack } from '../../../src/stack/stack.js';
import { processAlive, processStart, readState, type StackState } from '../../../src/stack/state.js';
import { makeClip } from '../../helpers/clips.js';
import { freePort } from '../../helpers/net.js';

let dir: string;
let config: Config;
let stack: RunningStack | undefined;
const lines: string[] = [];

const configFor = async (dataDir: string): Promise<Config> =>
  loadConfig({ OCI_TRANSCODE_DATA_DIR: dataDir, OCI_TRANSCODE_DEV_PORT: String(await freePort()), OCI_TRANSCODE_DEV_UI_PORT: String(await freePort()), OCI_TRANSCODE_DEV_PREVIEW_PORT: String(await freePort()), OCI_TRANSCODE_JOB_POLL_SEC: '0.5' });

async function journal(dataDir: string): Promise<{ object: string; etag: string; outcome: string; eventID: string }[]> {
  const text = await readFile(join(dataDir, 'events.jsonl'), 'utf8').catch(() => '');
  return text.split('\n').filter(Boolean).map((l) => JSON.parse(l) as { object: string; etag: string; outcome: string; eventID: string });
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'stack-'));
  config = await configFor(dir);
  stack = await startStack(config, (line) => lines.push(line));
});
afterAll(async () => {
  await stack?.stop();
  await rm(dir, { recursive: true, force: true });
});

describe('startStack', () => {
  it('writes a ready state file naming its ports, and refuses a second stack on the same data dir', async () => {
    const state = await readState(join(dir, 'stack.json'));
    expect(state).toMatchObject({ ready: true, pid: process.pid, port: config.dev.port, uiPort: config.dev.uiPort, address: `127.0.0.1:${config.dev.port}` });
    expect(processAlive(state!.serverPid!)).toBe(true);
    await expect(startStack(config, () => undefined)).rejects.toThrow(StackAlreadyRunningError);
    // The refused start must not have touched the running stack's file.
    expect((await readState(join(dir, 'stack.json')))?.pid).toBe(process.pid);
  });

  it('starts one run per upload; a redelivered event, even several at once, starts nothing', async () => {
    const object = 'again.mp4';
    const workflowId = workflowIdFor({ namespace: 'local', bucket: 'media-in', object });
    const put = await stack!.store.putFile('media-in', object, await makeClip('landscape'));
    let first: WorkflowExecutionDescription | undefined;
    for (let i = 0; i < 100 && !first; i++) {
      first = await stack!.client.workflow.getHandle(workflowId).describe().catch(() => undefined);
      if (!first) await new Promise((r) => setTimeout(r, 200));
    }
    expect(first).toBeDefined();
    await stack!.client.workflow.getHandle(workflowId).result();

    // The watcher's own event path, as if Object Storage delivered the same upload three more times.
    const redelivered = await Promise.all([1, 2, 3].map(() => stack!.watcher.emit('media-in', object)));
    const ids = new Set(redelivered.map((e) => e!.eventID));
    expect(ids.size).toBe(3);
    expect(redelivered.every((e) => e!.data.additionalDetails.eTag === put.etag)).toBe(true);
    const answers = (await journal(dir)).filter((e) => e.object === object);
    expect(answers.map((e) => e.outcome)).toEqual(['started', 'duplicate', 'duplicate', 'duplicate']);

    const after = await stack!.client.workflow.getHandle(workflowId).describe();
    expect(after.runId).toBe(first?.runId);
    expect(after.status.name).toBe('COMPLETED');
    const { count } = await stack!.client.workflow.count(`WorkflowId = '${workflowId}'`);
    expect(count).toBe(1);
  });

  it('stops the worker, watcher and server, and removes its state file', async () => {
    const serverPid = (await readState(join(dir, 'stack.json')))!.serverPid!;
    await stack!.stop();
    expect(await stack!.stopped).toBeUndefined(); // a requested stop is not a failure
    stack = undefined;
    expect(existsSync(join(dir, 'stack.json'))).toBe(false);
    expect(processAlive(serverPid)).toBe(false);
    expect(await portFree(config.dev.port)).toBe(true);
  });

  it('says which port is taken when another program holds it, and leaves no state file', async () => {
    const other = await mkdtemp(join(tmpdir(), 'stack-busy-'));
    const busy = await configFor(other);
    const holder: Server = createServer();
    await new Promise<void>((r) => holder.listen(busy.dev.port, '127.0.0.1', r));
    try {
      await expect(startStack(busy, () => undefined)).rejects.toThrow(PortInUseError);
      await expect(startStack(busy, () => undefined)).rejects.toThrow(`port ${busy.dev.port}`);
      expect(existsSync(join(other, 'stack.json'))).toBe(false);
    } finally {
      holder.close();
      await rm(other, { recursive: true, force: true });
    }
  });

  // A stand-in for the server a SIGKILLed stack leaves behind (its own process group, holding the
  // gRPC port): like a server draining its connections, it lets go of the port only a while after SIGTERM.
  async function orphanServer(port: number, o: { drainMs: number }): Promise<ChildProcess> {
    const code = `require('node:net').createServer().listen(${port}, '127.0.0.1', () => console.log('up'));
      process.on('SIGTERM', () => setTimeout(() => process.exit(0), ${o.drainMs}));`;
    const child = spawn(process.execPath, ['-e', code], { detached: true, stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise((r) => child.stdout.once('data', r));
    return child;
  }

  /** The state file a stack killed mid-run leaves: its own pid dead, its server's pid recorded. */
  async function leaveCrashedState(dataDir: string, c: Config, server: { pid: number; pidStart: string | undefined }): Promise<void> {
    const gone = spawn(process.execPath, ['-e', '0']);
    await new Promise((r) => gone.once('exit', r));
    const state: StackState = {
      schema: 1, pid: gone.pid!, pidStart: '1', ready: true, address: `127.0.0.1:${c.dev.port}`, port: c.dev.port, uiPort: c.dev.uiPort,
      uiUrl: `http://127.0.0.1:${c.dev.uiPort}`, namespace: 'default', taskQueue: c.taskQueue, dataDir, startedAt: new Date(0).toISOString(),
      serverPid: server.pid, serverPidStart: server.pidStart,
    };
    await writeFile(join(dataDir, 'stack.json'), JSON.stringify(state));
  }

  it('stops the dev server a killed stack left running, waits until it is gone, then starts', async () => {
    const other = await mkdtemp(join(tmpdir(), 'stack-crashed-'));
    const c = await configFor(other);
    const orphan = await orphanServer(c.dev.port, { drainMs: 1500 });
    const seen: string[] = [];
    let restarted: RunningStack | undefined;
    try {
      await leaveCrashedState(other, c, { pid: orphan.pid!, pidStart: processStart(orphan.pid!) });
      restarted = await startStack(c, (line) => seen.push(line));
      expect(seen.join('\n')).toContain(`stopped the Temporal dev server it left running (pid ${orphan.pid})`);
      expect(processAlive(orphan.pid!)).toBe(false);
      expect((await readState(join(other, 'stack.json')))).toMatchObject({ ready: true, pid: process.pid });
    } finally {
      await restarted?.stop();
      orphan.kill('SIGKILL');
      await rm(other, { recursive: true, force: true });
    }
  });

  it('never takes a recycled pid for the crashed stack\'s server: the program on the port is left alone and named', async () => {
    const other = await mkdtemp(join(tmpdir(), 'stack-recycled-'));
    const c = await configFor(other);
    const stranger = await orphanServer(c.dev.port, { drainMs: 0 });
    try {
      // The recorded server pid is now some other program's (its start time differs).
      await leaveCrashedState(other, c, { pid: stranger.pid!, pidStart: '1' });
      await expect(startStack(c, () => undefined)).rejects.toThrow(`port ${c.dev.port} on 127.0.0.1 (Temporal gRPC) is already in use by another program`);
      expect(processAlive(stranger.pid!)).toBe(true);
    } finally {
      stranger.kill('SIGKILL');
      await rm(other, { recursive: true, force: true });
    }
  });
});

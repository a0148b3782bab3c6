// The Temporal dev server killed (SIGKILL, no shutdown) mid-transcode and started again on the same
// database file (--db-filename) and ports: the worker process reconnects by itself, the run picks up
// where its history says, and completes with its one job. Uses the stack's own dev server launcher.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalFolderStore } from '../../../src/adapters/local/object-store.js';
import type { TranscodeRequest } from '../../../src/domain/types.js';
import { startDevServer, type DevServer } from '../../../src/stack/dev-server.js';
import { REPO_ROOT } from '../../../src/stack/paths.js';
import { findTemporalBin } from '../../../src/stack/temporal-bin.js';
import type { Progress, TranscodeResult } from '../../../src/workflows/definitions.js';
import { progressQuery, SEARCH_ATTRIBUTES, WORKFLOW_TYPE } from '../../../src/workflows/definitions.js';
import { makeClip } from '../../helpers/clips.js';
import { freePort } from '../../helpers/net.js';
import { workflowBundle } from '../../helpers/temporal.js';
import { jobRegistry, killLeftoverJobs, liveJobPids } from './jobs-dir.js';

const CLIP = {} as const;
let dir: string;
let dataDir: string;
let server: DevServer | undefined;
let worker: ChildProcess | undefined;
let connection: Connection | undefined;
const output: string[] = [];
const taskQueue = `restart-${randomBytes(3).toString('hex')}`;

async function serve(dbFile: string, port: number, uiPort: number): Promise<DevServer> {
  return startDevServer({
    bin: findTemporalBin(), dbFile, port, uiPort, namespace: 'default',
    searchAttributes: Object.fromEntries(Object.values(SEARCH_ATTRIBUTES).map((key) => [key.name, 'Keyword'])),
  });
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'server-restart-'));
  dataDir = join(dir, 'data');
  const [bundle] = await Promise.all([workflowBundle(), makeClip('landscape', CLIP)]);
  await writeFile(join(dir, 'bundle.js'), bundle.code);
});
afterAll(async () => {
  worker?.kill('SIGKILL');
  await connection?.close().catch(() => undefined);
  await server?.stop();
  if (dataDir) await killLeftoverJobs(dataDir);
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('Temporal dev server restart mid-run', () => {
  it('a run survives a SIGKILLed server restarted on its database file, with one job', async () => {
    const [port, uiPort] = [await freePort(), await freePort()];
    const dbFile = join(dir, 'temporal.db');
    server = await serve(dbFile, port, uiPort);
    worker = spawn(process.execPath, ['--import', 'tsx', 'tests/e2e/faults/worker-entry.ts'], {
      cwd: REPO_ROOT,
      env: {
        PATH: process.env.PATH, HOME: process.env.HOME, TEMPORAL_ADDRESS: server.address, TEMPORAL_NAMESPACE: 'default',
        OCI_TRANSCODE_DATA_DIR: dataDir, OCI_TRANSCODE_TASK_QUEUE: taskQueue, OCI_TRANSCODE_JOB_POLL_SEC: '0.25',
        WORKFLOW_BUNDLE: join(dir, 'bundle.js'),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    worker.stdout?.on('data', (d: Buffer) => output.push(d.toString()));
    worker.stderr?.on('data', (d: Buffer) => output.push(d.toString()));

    connection = await Connection.connect({ address: server.address });
    const client = new Client({ connection, namespace: 'default' });
    const store = new LocalFolderStore(join(dataDir, 'buckets'), 'local');
    const { etag } = await store.putFile('media-in', 'restart.mp4', await makeClip('landscape', CLIP));
    const request: TranscodeRequest = { source: { namespace: 'local', bucket: 'media-in', object: 'restart.mp4', etag }, dest: { bucket: 'media-out' } };
    const handle = await client.workflow.start(WORKFLOW_TYPE, { taskQueue, workflowId: 'transcode/local/media-in/restart.mp4', args: [request] });
    const runId = handle.firstExecutionRunId;

    const deadline = Date.now() + 120_000;
    let progress: Progress | undefined;
    while (!(progress?.stage === 'transcoding' && progress.jobs[0]?.state === 'running')) {
      if (Date.now() > deadline) throw new Error(`the run never reached a running job: ${JSON.stringify(progress)}\n${output.join('')}`);
      progress = await handle.query(progressQuery).catch(() => progress);
      await new Promise((r) => setTimeout(r, 100));
    }

    // A crash, not a shutdown: nothing gets to flush or say goodbye.
    process.kill(server.pid, 'SIGKILL');
    await server.exited;
    await new Promise((r) => setTimeout(r, 1_000));
    server = await serve(dbFile, port, uiPort);

    const result = (await Promise.race([
      handle.result(),
      new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`no result 150 s after the restart\n${output.join('').slice(-3000)}`)), 150_000)),
    ])) as TranscodeResult;
    expect(result.attempts).toEqual({ all: 1 });
    const description = await handle.describe();
    expect(description).toMatchObject({ runId, status: { name: 'COMPLETED' } });
    expect(await jobRegistry(dataDir)).toEqual([`${handle.workflowId}/${runId}/all/1`]);
    expect(await liveJobPids(dataDir)).toEqual([]);
    expect(await store.head('media-out', result.hls!)).toBeDefined();
    worker.kill('SIGTERM');
  });
});

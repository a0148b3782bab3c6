// The worker as its own process (src/worker/main.ts): connection settings from the Temporal
// environment variables (@temporalio/envconfig), local adapters from the config, a real run, its
// Prometheus metrics (the SDK's and the pipeline's), the search-attribute check at start-up, and a
// graceful exit on SIGTERM.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalFolderStore } from '../../../src/adapters/local/object-store.js';
import { METRICS } from '../../../src/domain/metrics.js';
import type { TranscodeRequest } from '../../../src/domain/types.js';
import { findTemporalBin } from '../../../src/stack/temporal-bin.js';
import type { transcode } from '../../../src/workflows/transcode.js';
import { makeClip } from '../../helpers/clips.js';
import { startTemporal } from '../../helpers/temporal.js';

const run = promisify(execFile);
let env: TestWorkflowEnvironment;
let dataDir: string;
let worker: ChildProcess | undefined;

beforeAll(async () => {
  [env, dataDir] = await Promise.all([startTemporal(), mkdtemp(join(tmpdir(), 'worker-process-')), makeClip('landscape', { width: 320, height: 180, seconds: 2 })]);
});
afterAll(async () => {
  worker?.kill('SIGKILL');
  await env?.teardown();
  await rm(dataDir, { recursive: true, force: true });
});

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

function spawnWorker(env2: Record<string, string>): { child: ChildProcess; output: () => string; exited: Promise<number | null> } {
  let output = '';
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/worker/main.ts'], {
    env: { PATH: process.env.PATH, HOME: process.env.HOME, OCI_TRANSCODE_DATA_DIR: dataDir, ...env2 },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, output: () => output, exited };
}

/** One sample's value from a Prometheus text page (the sum over its label sets). */
function sample(page: string, name: string): number {
  const lines = page.split('\n').filter((l) => l.startsWith(`${name}{`) || l.startsWith(`${name} `));
  return lines.reduce((sum, l) => sum + Number(l.slice(l.lastIndexOf(' ') + 1)), 0);
}

describe('worker process', () => {
  it('connects from TEMPORAL_* variables, runs a transcode with local adapters, and exits cleanly on SIGTERM', async () => {
    const taskQueue = `worker-process-${randomBytes(4).toString('hex')}`;
    const metricsAddress = `127.0.0.1:${await freePort()}`;
    const spawned = spawnWorker({
      TEMPORAL_ADDRESS: env.address,
      TEMPORAL_NAMESPACE: env.namespace ?? 'default',
      OCI_TRANSCODE_TASK_QUEUE: taskQueue,
      OCI_TRANSCODE_JOB_POLL_SEC: '0.25',
      OCI_TRANSCODE_METRICS_ADDRESS: metricsAddress,
    });
    worker = spawned.child;
    const { exited } = spawned;

    const store = new LocalFolderStore(join(dataDir, 'buckets'), 'local');
    const { etag } = await store.putFile('media-in', 'clip.mp4', await makeClip('landscape', { width: 320, height: 180, seconds: 2 }));
    const request: TranscodeRequest = { source: { namespace: 'local', bucket: 'media-in', object: 'clip.mp4', etag } };
    const done = await env.client.workflow.execute<typeof transcode>('transcode', { taskQueue, workflowId: `wp-${taskQueue}`, args: [request] });
    // Defaults came from the worker's config: destination bucket media-out at the bucket root.
    expect(done).toMatchObject({ etag, bucket: 'media-out', hls: 'clip.mp4/master.m3u8', dash: 'clip.mp4/manifest.mpd' });
    expect((await store.head('media-out', 'clip.mp4/master.m3u8'))?.size).toBeGreaterThan(0);
    expect(spawned.output()).toContain(`task queues ${taskQueue} + ${taskQueue}-jobs`);

    // The SDK's metrics and ours, on the one endpoint.
    const page = await (await fetch(`http://${metricsAddress}/metrics`)).text();
    expect(sample(page, 'temporal_workflow_completed')).toBeGreaterThanOrEqual(1);
    expect(sample(page, METRICS.jobsStarted.name)).toBe(1);
    expect(sample(page, METRICS.jobsFailed.name)).toBe(0);
    expect(sample(page, METRICS.instanceSeconds.name)).toBeGreaterThan(0);

    worker.kill('SIGTERM');
    expect(await exited).toBe(0);
    worker = undefined;
  });

  it('refuses to start on a namespace without the search attributes, and says how to create them', async () => {
    const namespace = `bare-${randomBytes(3).toString('hex')}`;
    const cli = (...args: string[]) => run(findTemporalBin(), [...args, '--address', env.address]);
    await cli('operator', 'namespace', 'create', '--namespace', namespace);
    const refused = spawnWorker({ TEMPORAL_ADDRESS: env.address, TEMPORAL_NAMESPACE: namespace, OCI_TRANSCODE_TASK_QUEUE: 'preflight' });
    expect(await refused.exited).toBe(1);
    const command = /temporal operator search-attribute create .*/.exec(refused.output())?.[0];
    expect(command, refused.output()).toContain(`--namespace ${namespace}`);
    // The command it printed, run as printed, makes the next start succeed.
    await cli(...command!.split(' ').slice(1));
    const accepted = spawnWorker({ TEMPORAL_ADDRESS: env.address, TEMPORAL_NAMESPACE: namespace, OCI_TRANSCODE_TASK_QUEUE: 'preflight' });
    worker = accepted.child;
    const deadline = Date.now() + 30_000;
    while (!accepted.output().includes('task queues preflight') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect(accepted.output()).toContain('task queues preflight');
    worker.kill('SIGTERM');
    expect(await accepted.exited).toBe(0);
    worker = undefined;
  });
});

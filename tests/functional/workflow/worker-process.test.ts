// The worker as its own process (src/worker/main.ts): connection settings from the Temporal
// environment variables (@temporalio/envconfig), local adapters from the config, a real run, and a
// graceful exit on SIGTERM.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalFolderStore } from '../../../src/adapters/local/object-store.js';
import type { TranscodeRequest } from '../../../src/domain/types.js';
import type { transcode } from '../../../src/workflows/transcode.js';
import { makeClip } from '../../helpers/clips.js';
import { startTemporal } from '../../helpers/temporal.js';

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

describe('worker process', () => {
  it('connects from TEMPORAL_* variables, runs a transcode with local adapters, and exits cleanly on SIGTERM', async () => {
    const taskQueue = `worker-process-${randomBytes(4).toString('hex')}`;
    let output = '';
    worker = spawn(process.execPath, ['--import', 'tsx', 'src/worker/main.ts'], {
      env: {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        TEMPORAL_ADDRESS: env.address,
        TEMPORAL_NAMESPACE: env.namespace ?? 'default',
        OCI_TRANSCODE_DATA_DIR: dataDir,
        OCI_TRANSCODE_TASK_QUEUE: taskQueue,
        OCI_TRANSCODE_JOB_POLL_SEC: '0.25',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    worker.stdout?.on('data', (d: Buffer) => (output += d.toString()));
    worker.stderr?.on('data', (d: Buffer) => (output += d.toString()));
    const exited = new Promise<number | null>((resolve) => worker?.on('exit', (code) => resolve(code)));

    const store = new LocalFolderStore(join(dataDir, 'buckets'), 'local');
    const { etag } = await store.putFile('media-in', 'clip.mp4', await makeClip('landscape', { width: 320, height: 180, seconds: 2 }));
    const request: TranscodeRequest = { source: { namespace: 'local', bucket: 'media-in', object: 'clip.mp4', etag } };
    const done = await env.client.workflow.execute<typeof transcode>('transcode', { taskQueue, workflowId: `wp-${taskQueue}`, args: [request] });
    // Defaults came from the worker's config: destination bucket media-out at the bucket root.
    expect(done).toMatchObject({ etag, bucket: 'media-out', hls: 'clip.mp4/master.m3u8', dash: 'clip.mp4/manifest.mpd' });
    expect((await store.head('media-out', 'clip.mp4/master.m3u8'))?.size).toBeGreaterThan(0);
    expect(output).toContain(`task queue ${taskQueue}`);

    worker.kill('SIGTERM');
    expect(await exited).toBe(0);
    worker = undefined;
  });
});

// The worker process SIGKILLed in the middle of four runs at once, each frozen at a different point:
// right after creating its job (the job exists, the workflow has not heard of it), while polling it,
// while verifying the outputs, and while publishing (DASH manifest written, the HLS master, always
// last, not yet). A new worker process then finishes all four: one job per attempt (the job registry proves it), nothing left
// running, complete outputs. The worker also holds a canary Temporal API key that must never show up.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalFolderStore } from '../../../src/adapters/local/object-store.js';
import { workflowIdFor } from '../../../src/domain/events.js';
import type { JobRecord, TranscodeRequest } from '../../../src/domain/types.js';
import { REPO_ROOT } from '../../../src/stack/paths.js';
import type { TranscodeResult } from '../../../src/workflows/definitions.js';
import { WORKFLOW_TYPE } from '../../../src/workflows/definitions.js';
import { makeClip } from '../../helpers/clips.js';
import { startTemporal, workflowBundle } from '../../helpers/temporal.js';
import { hlsReferences } from '../../functional/transcoder/harness.js';
import type { FreezeRule } from '../../functional/reliability/freeze.js';
import { jobRegistry, killLeftoverJobs, liveJobPids } from './jobs-dir.js';

const CLIP = { width: 320, height: 180, seconds: 2 } as const;
const CANARY = `canary-temporal-key-${randomBytes(6).toString('hex')}`;
const POINTS = ['creating', 'polling', 'verifying', 'publishing'] as const;
type Point = (typeof POINTS)[number];

let env: TestWorkflowEnvironment;
let dir: string;
let dataDir: string;
let bundlePath: string;
const workers: { child: ChildProcess; output: string[]; exited: Promise<NodeJS.Signals | number | null> }[] = [];
const taskQueue = `kill-${randomBytes(3).toString('hex')}`;
const objectOf = (p: Point): string => `kill at ${p}.mp4`;
const idOf = (p: Point): string => workflowIdFor({ namespace: 'local', bucket: 'media-in', object: objectOf(p) });

function rulesFor(): (FreezeRule & { target: 'store' | 'jobs' })[] {
  return [
    { target: 'jobs', name: 'creating', method: 'start', activity: 'startJob', workflowId: idOf('creating'), after: true },
    { target: 'jobs', name: 'polling', method: 'state', activity: 'awaitJob', workflowId: idOf('polling'), after: true, resultPhase: 'running' },
    { target: 'store', name: 'verifying', method: 'list', activity: 'verify', workflowId: idOf('verifying') },
    { target: 'store', name: 'publishing', method: 'put', activity: 'publish', workflowId: idOf('publishing'), nameEndsWith: 'master.m3u8' },
  ];
}

function startWorker(freeze: boolean): (typeof workers)[number] {
  const child = spawn(process.execPath, ['--import', 'tsx', 'tests/e2e/faults/worker-entry.ts'], {
    cwd: REPO_ROOT,
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      TEMPORAL_ADDRESS: env.address,
      TEMPORAL_NAMESPACE: 'default',
      TEMPORAL_API_KEY: CANARY,
      TEMPORAL_TLS: 'false',
      OCI_TRANSCODE_DATA_DIR: dataDir,
      OCI_TRANSCODE_TASK_QUEUE: taskQueue,
      OCI_TRANSCODE_JOB_POLL_SEC: '0.25',
      OCI_TRANSCODE_JOB_BACKOFF_SEC: '0.2',
      WORKFLOW_BUNDLE: bundlePath,
      FREEZE_DIR: dir,
      FREEZE_RULES: freeze ? JSON.stringify(rulesFor()) : '[]',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  child.stdout?.on('data', (d: Buffer) => output.push(d.toString()));
  child.stderr?.on('data', (d: Buffer) => output.push(d.toString()));
  const exited = new Promise<NodeJS.Signals | number | null>((resolve) => child.once('exit', (code, signal) => resolve(signal ?? code)));
  const w = { child, output, exited };
  workers.push(w);
  return w;
}

async function until(check: () => boolean | Promise<boolean>, what: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}\n${workers.map((w) => w.output.join('')).join('\n---\n').slice(-4000)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'worker-kill-'));
  dataDir = join(dir, 'data');
  bundlePath = join(dir, 'workflow-bundle.js');
  const [temporal, bundle] = await Promise.all([startTemporal(), workflowBundle(), makeClip('landscape', CLIP)]);
  env = temporal;
  await writeFile(bundlePath, bundle.code);
});
afterAll(async () => {
  for (const w of workers) if (w.child.exitCode === null && w.child.signalCode === null) w.child.kill('SIGKILL');
  if (dataDir) await killLeftoverJobs(dataDir);
  await env?.teardown();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('worker SIGKILL mid-run', () => {
  it('four runs killed at four points all complete on a new worker, one job per attempt, nothing left', async () => {
    const store = new LocalFolderStore(join(dataDir, 'buckets'), 'local');
    const first = startWorker(true);
    const handles = await Promise.all(
      POINTS.map(async (p) => {
        const { etag } = await store.putFile('media-in', objectOf(p), await makeClip('landscape', CLIP));
        const request: TranscodeRequest = { source: { namespace: 'local', bucket: 'media-in', object: objectOf(p), etag }, dest: { bucket: 'media-out' } };
        return env.client.workflow.start(WORKFLOW_TYPE, { taskQueue, workflowId: idOf(p), args: [request] });
      }),
    );
    await until(() => POINTS.every((p) => existsSync(join(dir, `${p}.frozen`))), 'every run to reach its freeze point', 150_000);
    // At the publishing point the DASH manifest is out and the HLS master is not: the worst moment to die.
    expect(await store.head('media-out', `${objectOf('publishing')}/manifest.mpd`)).toBeDefined();
    expect(await store.head('media-out', `${objectOf('publishing')}/master.m3u8`)).toBeUndefined();
    // Each run has its one job on record (still running or ended, not yet cleaned up), as containers would be.
    expect((await readdir(join(dataDir, 'jobs'))).filter((n) => n.endsWith('.json'))).toHaveLength(4);

    first.child.kill('SIGKILL');
    expect(await first.exited).toBe('SIGKILL');
    startWorker(false);

    const results = (await Promise.race([
      Promise.all(handles.map((h) => h.result() as Promise<TranscodeResult>)),
      new Promise<never>((_, reject) => setTimeout(() => reject(new Error('runs did not complete in 150 s')), 150_000)),
    ]));
    const registry = await jobRegistry(dataDir);
    for (const [i, p] of POINTS.entries()) {
      const handle = handles[i]!;
      const result = results[i]!;
      expect(result.attempts, p).toEqual({ all: 1 });
      // Exactly one job was ever created for this run: attempt 1 of job "all".
      const runId = handle.firstExecutionRunId;
      expect(registry.filter((key) => key.startsWith(`${handle.workflowId}/`)), p).toEqual([`${handle.workflowId}/${runId}/all/1`]);
      // The frozen activity really was cut off and retried by the new worker.
      const activity = { creating: 'startJob', polling: 'awaitJob', verifying: 'verify', publishing: 'publish' }[p];
      const events = (await handle.fetchHistory()).events ?? [];
      const scheduled = new Set(events.filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === activity).map((e) => String(e.eventId)));
      const attempts = events.filter((e) => scheduled.has(String(e.activityTaskStartedEventAttributes?.scheduledEventId))).map((e) => e.activityTaskStartedEventAttributes?.attempt ?? 0);
      expect(Math.max(...attempts), `${p}: ${activity} attempts`).toBeGreaterThanOrEqual(2);
      // Complete and consistent outputs: every file the master names exists; job.json says succeeded.
      const master = store.objectPath('media-out', result.hls!);
      for (const file of await hlsReferences(master)) expect(existsSync(file), file).toBe(true);
      expect(await store.head('media-out', result.dash!)).toBeDefined();
      const record = JSON.parse(await readFile(store.objectPath('media-out', result.record), 'utf8')) as JobRecord;
      expect(record).toMatchObject({ outcome: 'succeeded', workflow: { id: handle.workflowId, runId } });
    }
    expect(await liveJobPids(dataDir)).toEqual([]);
    expect((await readdir(join(dataDir, 'jobs'))).filter((n) => !n.endsWith('.key'))).toEqual([]);

    const last = workers.at(-1)!;
    last.child.kill('SIGTERM');
    expect(await last.exited).toBe(0);
    const output = workers.map((w) => w.output.join('')).join('\n');
    expect(output).toContain('ready on');
    expect(output).not.toContain(CANARY);
  });
});

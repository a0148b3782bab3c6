// The local JobRunner with real detached processes: idempotent start, exit codes, log tail, group
// kill on delete, jobs outliving the process that started them, orphan listing.
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLocalJobRunner, type LocalJobRunner } from '../../../src/adapters/local/job-runner.js';
import type { JobHandle, JobLaunch, JobState } from '../../../src/ports.js';
import { baseJobEnv } from '../../../src/worker/adapters.js';

const run = promisify(execFile);
let dataDir: string;
let runner: LocalJobRunner;

/** Jobs run `node -e <script> <args...>`: the launch args become the script's process.argv. */
const launch = (key: string, script: string, tags: Record<string, string> = {}): JobLaunch => ({
  idempotencyKey: key,
  displayName: `test ${key}`,
  args: [script],
  env: { JOB_SECRET: 'from-launch' },
  tags: { suite: 'job-runner', ...tags },
});

async function until(handle: JobHandle, done: (s: JobState) => boolean, timeoutMs = 10_000): Promise<JobState> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const state = await runner.state(handle);
    if (done(state)) return state;
    if (Date.now() > deadline) throw new Error(`job ${handle.id} stuck in ${JSON.stringify(state)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'job-runner-'));
  runner = createLocalJobRunner({ dataDir, command: [process.execPath, '-e'], env: baseJobEnv() });
});
afterAll(async () => {
  for (const job of await runner.list({})) await runner.delete(job);
  await rm(dataDir, { recursive: true, force: true });
});

describe('local JobRunner', () => {
  it('runs a job to its exit code with combined output and the container-like environment', async () => {
    const handle = await runner.start(
      launch('exit-3', `console.log('{"event":"progress","percent":50}'); console.error('to stderr', process.env.JOB_SECRET, process.env.OCI_TRANSCODE_STORE); setTimeout(() => process.exit(3), 300);`),
    );
    expect((await runner.state(handle)).phase).toMatch(/starting|running/);
    const end = await until(handle, (s) => s.phase === 'failed');
    expect(end.exitCode).toBe(3);
    const tail = await runner.logTail(handle);
    expect(tail).toContain('{"event":"progress","percent":50}');
    expect(tail).toContain(`to stderr from-launch local:${join(dataDir, 'buckets')}`);
  });

  it('reports success as exit 0', async () => {
    const handle = await runner.start(launch('exit-0', `console.log('done')`));
    expect(await until(handle, (s) => s.phase !== 'running' && s.phase !== 'starting')).toEqual({ phase: 'succeeded', exitCode: 0 });
  });

  it('starts one process per idempotency key, however often and concurrently start is called', async () => {
    const script = `require('fs').appendFileSync(${JSON.stringify(join(dataDir, 'ran.txt'))}, 'x'); setTimeout(() => {}, 500);`;
    const handles = await Promise.all(Array.from({ length: 5 }, () => runner.start(launch('once', script))));
    expect(new Set(handles.map((h) => h.id)).size).toBe(1);
    const first = handles[0]!;
    await until(first, (s) => s.phase === 'succeeded');
    expect((await run('cat', [join(dataDir, 'ran.txt')])).stdout).toBe('x');
    // Even after delete, the key never runs again: a retried start finds the tombstone, not a new job.
    await runner.delete(first);
    const again = await runner.start(launch('once', script));
    expect(again.id).toBe(first.id);
    expect((await runner.state(again)).phase).toBe('gone');
    expect((await run('cat', [join(dataDir, 'ran.txt')])).stdout).toBe('x');
  });

  it('keeps only the last 64 KB of a long log, cut at a line boundary', async () => {
    const handle = await runner.start(launch('long-log', `for (let i = 0; i < 5000; i++) console.log('line ' + i + ' ' + 'y'.repeat(40));`));
    await until(handle, (s) => s.phase === 'succeeded');
    const tail = await runner.logTail(handle);
    expect(tail.length).toBeLessThanOrEqual(64 * 1024);
    expect(tail.length).toBeGreaterThan(60 * 1024);
    expect(tail.split('\n')[0]).toMatch(/^line \d+ y{40}$/);
    expect(tail.trimEnd().split('\n').at(-1)).toMatch(/^line 4999 /);
  });

  it('delete stops the whole process group (the command and its children) and forgets the job', async () => {
    // The job spawns a grandchild, as the transcoder spawns ffmpeg; both must die.
    const script = `const c = require('child_process').spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' }); console.log('child ' + c.pid); setInterval(() => {}, 1000);`;
    const handle = await runner.start(launch('group', script, { run: 'r1' }));
    await until(handle, (s) => s.phase === 'running');
    let grandchild = 0;
    for (let i = 0; i < 100 && !grandchild; i++) {
      grandchild = Number(/child (\d+)/.exec(await runner.logTail(handle))?.[1] ?? 0);
      await new Promise((r) => setTimeout(r, 50));
    }
    const pid = await runner.pid(handle);
    expect(pid).toBeGreaterThan(0);
    expect(alive(grandchild)).toBe(true);
    expect((await runner.list({ run: 'r1' })).map((j) => [j.id, j.phase])).toEqual([[handle.id, 'running']]);

    await runner.delete(handle);
    expect(alive(pid!)).toBe(false);
    for (let i = 0; i < 40 && alive(grandchild); i++) await new Promise((r) => setTimeout(r, 50));
    expect(alive(grandchild)).toBe(false);
    expect((await runner.state(handle)).phase).toBe('gone');
    expect(await runner.list({ run: 'r1' })).toEqual([]);
    expect(await runner.logTail(handle)).toBe('');
    await runner.delete(handle); // idempotent
  });

  it('a job outlives the process that started it, and another process can follow and delete it', async () => {
    // A separate Node process starts the job and exits at once, like a worker that crashes.
    const starter = `
      import { createLocalJobRunner } from ${JSON.stringify(new URL('../../../src/adapters/local/job-runner.ts', import.meta.url).href)};
      const r = createLocalJobRunner({ dataDir: ${JSON.stringify(dataDir)}, command: [process.execPath, '-e'], env: { PATH: process.env.PATH } });
      const h = await r.start({ idempotencyKey: 'orphan', displayName: 'o', args: ['setTimeout(() => process.exit(7), 1500)'], env: {}, tags: { suite: 'orphan' } });
      console.log(h.id);
      process.exit(0);`;
    const { stdout } = await run(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', starter]);
    const handle = { id: stdout.trim() };
    expect((await runner.state(handle)).phase).toBe('running');
    expect((await runner.list({ suite: 'orphan' })).map((j) => j.id)).toEqual([handle.id]);
    expect(await until(handle, (s) => s.phase === 'failed')).toMatchObject({ exitCode: 7 });
    await runner.delete(handle);
    expect((await readdir(join(dataDir, 'jobs'))).filter((f) => f.startsWith(handle.id))).toEqual([`${handle.id}.key`]);
  });

  it('reports a missing program as a failed job (exit 127), not a hung one', async () => {
    const broken = createLocalJobRunner({ dataDir, command: ['/nonexistent/transcoder'], env: baseJobEnv() });
    const handle = await broken.start(launch('missing-program', 'x'));
    const end = await until(handle, (s) => s.phase === 'failed');
    expect(end.exitCode).toBe(127);
    expect(await broken.logTail(handle)).toContain('cannot start /nonexistent/transcoder');
  });
});

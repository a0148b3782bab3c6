// Records histories of real runs of the transcode workflow into tests/histories/*.json, exported the
// way an operator would (`temporal workflow show --output json`), for the replay test.
// Run after an intentional, compatible workflow change:   npx tsx scripts/record-histories.ts [name...]
// Each run uses a real dev server, real ffmpeg through the transcoder command, and the fault runner
// only where a scenario needs a crash, a rejection or a hang.
import { execFile } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import type { WorkflowHandle } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { versionFolder } from '../src/domain/layout.js';
import type { Plan } from '../src/domain/types.js';
import type { JobLaunch } from '../src/ports.js';
import { findTemporalBin } from '../src/stack/temporal-bin.js';
import { makeBadInput, makeClip } from '../tests/helpers/clips.js';
import { createFaultRunner, type Fault } from '../tests/helpers/fault-runner.js';
import { startStack, startTemporal, type TestStack } from '../tests/helpers/temporal.js';

const run = promisify(execFile);
const OUT = resolve('tests/histories');

type Choose = (launch: JobLaunch) => Fault | undefined;
interface Scenario {
  /** Returns the handle of the run to record (its first run, for chains). */
  play(s: TestStack, setChoose: (c: Choose) => void): Promise<{ handle: WorkflowHandle; runId: string }>;
}

const firstRun = async (handle: WorkflowHandle): Promise<{ handle: WorkflowHandle; runId: string }> => ({ handle, runId: (await handle.describe()).runId });
const settle = (p: Promise<unknown>): Promise<unknown> => p.catch((e: unknown) => e);
const versionOf = (launch: JobLaunch): string => (JSON.parse(launch.args[launch.args.indexOf('--plan') + 1] ?? '{}') as Plan).version;

const SCENARIOS: Record<string, Scenario> = {
  'single-job': {
    async play(s) {
      // Started the starter's way (update-with-start), so the history holds the upload update too.
      await s.upload(await makeClip('landscape'), 'single.mp4');
      const h = s.env.client.workflow.getHandle((await s.announce('single.mp4')).workflowId);
      await h.result();
      return firstRun(h);
    },
  },
  'per-rendition': {
    async play(s) {
      await s.upload(await makeClip('landscape', { width: 1280, height: 720 }), 'fanout.mp4');
      const h = await s.start({ object: 'fanout.mp4', parallelism: 'per-rendition' });
      await h.result();
      return firstRun(h);
    },
  },
  'retry-after-crash': {
    async play(s, setChoose) {
      setChoose((l) => (l.tags.attempt === '1' ? 'crash' : undefined));
      await s.upload(await makeClip('landscape'), 'crashy.mp4');
      const h = await s.start({ object: 'crashy.mp4' });
      await h.result();
      return firstRun(h);
    },
  },
  'bad-input': {
    async play(s) {
      await s.upload(await makeBadInput('text'), 'notes.mp4');
      const h = await s.start({ object: 'notes.mp4' });
      await settle(h.result());
      return firstRun(h);
    },
  },
  'rejected-by-transcoder': {
    async play(s, setChoose) {
      setChoose(() => 'bad-input');
      await s.upload(await makeClip('landscape'), 'rejected.mp4');
      const h = await s.start({ object: 'rejected.mp4' });
      await settle(h.result());
      return firstRun(h);
    },
  },
  canceled: {
    async play(s, setChoose) {
      setChoose(() => 'hang');
      await s.upload(await makeClip('landscape'), 'cancel.mp4');
      const h = await s.start({ object: 'cancel.mp4' });
      await s.waitForProgress(h, (p) => p.stage === 'transcoding' && (p.jobs[0]?.percent ?? 0) >= 10);
      await h.cancel();
      await settle(h.result());
      return firstRun(h);
    },
  },
  superseded: {
    async play(s, setChoose) {
      const etagA = await s.upload(await makeClip('landscape'), 'show.mp4');
      setChoose((l) => (versionOf(l) === versionFolder(etagA) ? 'hang' : undefined));
      const h = s.env.client.workflow.getHandle((await s.announce('show.mp4')).workflowId);
      const first = await firstRun(h);
      await s.waitForProgress(h, (p) => p.stage === 'transcoding' && p.jobs[0]?.state === 'running');
      const etagB = await s.upload(await makeClip('landscape', { seconds: 3 }), 'show.mp4');
      await s.announce('show.mp4', etagB);
      await h.result();
      return first;
    },
  },
};

async function record(env: TestWorkflowEnvironment, name: string, scenario: Scenario): Promise<void> {
  let choose: Choose = () => undefined;
  const stack = await startStack(env, { jobs: (local, paths) => createFaultRunner(local, paths, (l) => choose(l)) });
  try {
    const { handle, runId } = await scenario.play(stack, (c) => (choose = c));
    const { stdout } = await run(
      findTemporalBin(),
      ['workflow', 'show', '--address', env.address, '--namespace', env.namespace ?? 'default', '-w', handle.workflowId, '-r', runId, '--output', 'json'],
      { maxBuffer: 64 * 1024 * 1024 },
    );
    const events = (JSON.parse(stdout) as { events?: unknown[] }).events ?? [];
    await writeFile(join(OUT, `${name}.json`), stdout);
    console.log(`recorded ${name}: ${events.length} events`);
  } finally {
    await stack.close();
  }
}

const wanted = process.argv.slice(2);
const unknown = wanted.filter((n) => !(n in SCENARIOS));
if (unknown.length > 0) throw new Error(`unknown scenario(s) ${unknown.join(', ')}; known: ${Object.keys(SCENARIOS).join(', ')}`);
await mkdir(OUT, { recursive: true });
const env = await startTemporal();
try {
  for (const [name, scenario] of Object.entries(SCENARIOS)) {
    if (wanted.length === 0 || wanted.includes(name)) await record(env, name, scenario);
  }
} finally {
  await env.teardown();
}

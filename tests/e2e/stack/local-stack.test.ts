// The local stack as a new user drives it: `oci-transcode run` (which starts the stack in the
// background), a bad upload, a superseding upload, and cancel from the
// Temporal CLI. One stack for the whole file; each case uses its own object name.
import { existsSync } from 'node:fs';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { workflowIdFor } from '../../../src/domain/events.js';
import { versionFolder } from '../../../src/domain/layout.js';
import { stackPaths } from '../../../src/stack/paths.js';
import { processAlive, readState, serverAlive } from '../../../src/stack/state.js';
import type { Progress, TranscodeResult } from '../../../src/workflows/definitions.js';
import { makeBadInput, makeClip } from '../../helpers/clips.js';
import { createStackEnv, eventually, WEB_UI_LINE, type StackEnv } from './harness.js';

let stack: StackEnv;
const idOf = (object: string): string => workflowIdFor({ namespace: 'local', bucket: 'media-in', object });
const out = (...parts: string[]): string => join(stack.bucketsDir, 'media-out', ...parts);

beforeAll(async () => {
  stack = await createStackEnv();
});
afterAll(async () => {
  await stack?.dispose();
});

/** Stops a job's whole process group (shim, transcoder, ffmpeg) until the returned function is called. */
function pauseJob(pid: number): () => void {
  process.kill(-pid, 'SIGSTOP');
  return () => process.kill(-pid, 'SIGCONT');
}

async function progressOf(workflowId: string): Promise<Progress | undefined> {
  const client = await stack.client();
  return client.workflow.getHandle(workflowId).query<Progress>('progress').catch(() => undefined);
}

describe('oci-transcode run', () => {
  it('starts the stack, transcodes a tiny clip and prints the published outputs and the Web UI page', async () => {
    const clip = await makeClip('landscape');
    const result = await stack.cli(['run', clip, '--name', 'tiny.mp4']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/Started the local stack in the background/);
    for (const file of [out('tiny.mp4', 'master.m3u8'), out('tiny.mp4', 'manifest.mpd'), out('thumbnails', 'tiny.mp4_thumb.png')]) {
      expect(result.stdout).toContain(file);
      expect(existsSync(file), file).toBe(true);
    }
    const page = WEB_UI_LINE.exec(result.stdout)?.[1];
    expect(page).toContain(`:${stack.uiPort}/namespaces/default/workflows/${encodeURIComponent(idOf('tiny.mp4'))}/`);
    // The preview page of the run, served by the stack (its player and facts: tests/e2e/preview.test.ts).
    const preview = /^Preview: (\S+)$/m.exec(result.stdout)?.[1];
    expect(preview).toMatch(new RegExp(`^http://127\\.0\\.0\\.1:${stack.previewPort}/preview/#/runs/[A-Za-z0-9_-]+\\.[0-9a-f-]{36}$`));
    const [pageUrl, job] = preview!.split('#/runs/') as [string, string];
    const runId = job.split('.')[1];
    const detail = await fetch(new URL(`data/runs/${job}`, pageUrl));
    expect(detail.status).toBe(200);
    expect(await detail.json()).toMatchObject({ run: { runId }, media: { hls: expect.stringMatching(/master\.m3u8$/) as string } });
    expect(result.stdout).toMatch(/npx oci-transcode stop/);
    expect(await stack.leftoverJobs()).toEqual([]);
  });

  it('answers `temporal workflow query --name progress` and lists the run in `status`', async () => {
    const query = await stack.temporal(['workflow', 'query', '-w', idOf('tiny.mp4'), '--name', 'progress', '--output', 'json']);
    expect(query.code).toBe(0);
    const answer = JSON.parse(query.stdout) as { queryResult: Progress[] };
    expect(answer.queryResult[0]).toMatchObject({ stage: 'completed', percent: 100 });

    const list = await stack.cli(['status']);
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(new RegExp(`${idOf('tiny.mp4')}\\s+COMPLETED\\s+completed`));
    const one = await stack.cli(['status', idOf('tiny.mp4')]);
    expect(one.stdout).toMatch(/status\s+COMPLETED/);
    expect(one.stdout).toMatch(/source\s+media-in\/tiny.mp4/);
  });

  it('replays a history exported with `temporal workflow show`, and catches a history the code cannot reproduce', async () => {
    const exported = await stack.temporal(['workflow', 'show', '-w', idOf('tiny.mp4'), '--output', 'json']);
    expect(exported.code, exported.stderr).toBe(0);
    const good = join(stack.dataDir, 'tiny-history.json');
    await writeFile(good, exported.stdout);
    // The control: the same history, but the workflow supposedly scheduled a different first activity.
    const history = JSON.parse(exported.stdout) as { events: { activityTaskScheduledEventAttributes?: { activityType: { name: string } } }[] };
    history.events.find((e) => e.activityTaskScheduledEventAttributes)!.activityTaskScheduledEventAttributes!.activityType.name = 'inspectElsewhere';
    const bad = join(stack.dataDir, 'changed-history.json');
    await writeFile(bad, JSON.stringify(history));

    const replay = await stack.cli(['replay', good, bad]);
    expect(replay.code).toBe(1);
    expect(replay.stdout).toContain(`ok      ${good}`);
    expect(replay.stdout).toMatch(new RegExp(`FAILED  ${bad}\\n\\s+DeterminismViolationError: .*`));
    expect(replay.stderr).toMatch(/1 of 2 histories did not replay/);

    const notHistory = join(stack.dataDir, 'not-a-history.json');
    await writeFile(notHistory, '{"hello": "world"}');
    const refused = await stack.cli(['replay', notHistory]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/not a workflow history \(no "events" array\)/);
  });

  it('runs from `temporal workflow start`, answers `query`, and runs again after `reset`', async () => {
    const input = JSON.stringify({ source: { namespace: 'local', bucket: 'media-in', object: 'tiny.mp4' }, dest: { bucket: 'media-out', prefix: 'manual/' } });
    const start = await stack.temporal(['workflow', 'start', '--type', 'transcode', '--task-queue', 'transcode', '-w', 'manual/tiny', '--input', input]);
    expect(start.code, start.stderr).toBe(0);
    const result = await stack.temporal(['workflow', 'result', '-w', 'manual/tiny', '--output', 'json']);
    expect(result.code, result.stderr).toBe(0);
    expect(existsSync(out('manual', 'tiny.mp4', 'master.m3u8'))).toBe(true);
    const query = await stack.temporal(['workflow', 'query', '-w', 'manual/tiny', '--name', 'progress', '--output', 'json']);
    expect((JSON.parse(query.stdout) as { queryResult: Progress[] }).queryResult[0]?.stage).toBe('completed');

    const client = await stack.client();
    const before = await client.workflow.getHandle('manual/tiny').describe();
    const reset = await stack.temporal(['workflow', 'reset', '-w', 'manual/tiny', '--type', 'FirstWorkflowTask', '--reason', 'e2e: run again']);
    expect(reset.code, reset.stderr).toBe(0);
    const again = await client.workflow.getHandle('manual/tiny').result() as TranscodeResult;
    const after = await client.workflow.getHandle('manual/tiny').describe();
    expect(after.runId).not.toBe(before.runId);
    expect(after.status.name).toBe('COMPLETED');
    expect(again.hls).toBe('manual/tiny.mp4/master.m3u8');
  });

  it('fails a file that is not media with the reason, and leaves no job and no stream', async () => {
    const bad = await makeBadInput('text');
    const result = await stack.cli(['run', bad, '--name', 'notes.mp4']);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/run failed: .*notes\.mp4/);
    expect(await stack.leftoverJobs()).toEqual([]);
    expect(existsSync(out('notes.mp4', 'master.m3u8'))).toBe(false);
  });

  it('ends with the outputs of the newest upload when a new version lands mid-run', async () => {
    const older = await makeClip('landscape', { seconds: 12 });
    const newer = await makeClip('landscape', { seconds: 3, width: 480, height: 270 });
    const first = stack.spawnCli(['run', older, '--name', 'twice.mp4']);
    await eventually(async () => ((await progressOf(idOf('twice.mp4')))?.stage === 'transcoding' ? true : undefined), 60_000, 'the first upload to transcode');
    const second = await stack.cli(['run', newer, '--name', 'twice.mp4']);
    const firstDone = await first.done;
    expect(second.code, second.stderr).toBe(0);
    expect(firstDone.code, firstDone.stderr).toBe(0);
    const etag = /eTag ([0-9a-f]+)/.exec(second.stdout)?.[1];
    expect(etag).toBeDefined();
    const record = JSON.parse(await readFile(out('twice.mp4', 'job.json'), 'utf8')) as { etag?: string; source?: { etag?: string } };
    expect(record.etag ?? record.source?.etag).toBe(etag);
    const master = await readFile(out('twice.mp4', 'master.m3u8'), 'utf8');
    expect(master).toContain(`${versionFolder(etag)}/`);
    expect(master).not.toMatch(/1080p|720p|480p\//); // the newer source is 270p: nothing taller
    const client = await stack.client();
    const result = (await client.workflow.getHandle(idOf('twice.mp4')).result()) as TranscodeResult;
    expect(result.etag).toBe(etag);
    expect(result.durationSec).toBeCloseTo(3, 0);
    expect(await stack.leftoverJobs()).toEqual([]);
  });

  it('`temporal workflow cancel` stops a run mid-transcode: cleanup leaves no job and no master', async () => {
    const clip = await makeClip('landscape', { seconds: 20 });
    const run = stack.spawnCli(['run', clip, '--name', 'cancel-me.mp4']);
    await eventually(async () => {
      const p = await progressOf(idOf('cancel-me.mp4'));
      return p?.jobs.some((j) => j.state === 'running') ? true : undefined;
    }, 60_000, 'a running job');
    expect((await stack.liveJobPids()).length).toBeGreaterThan(0);
    const cancel = await stack.temporal(['workflow', 'cancel', '-w', idOf('cancel-me.mp4')]);
    expect(cancel.code, cancel.stderr).toBe(0);
    const done = await run.done;
    expect(done.code).not.toBe(0);
    expect(done.stderr).toMatch(/run cancelled/);
    expect(await stack.liveJobPids()).toEqual([]);
    expect(await stack.leftoverJobs()).toEqual([]);
    expect(existsSync(out('cancel-me.mp4', 'master.m3u8'))).toBe(false);
    expect(existsSync(out('cancel-me.mp4', 'manifest.mpd'))).toBe(false);
  });

  it('a run survives `stop` mid-transcode: the job keeps going and the restarted stack finishes it', async () => {
    const clip = await makeClip('landscape', { seconds: 12 });
    const run = stack.spawnCli(['run', clip, '--name', 'resume.mp4']);
    const [jobPid] = await eventually(async () => {
      const pids = await stack.liveJobPids();
      return pids.length > 0 ? pids : undefined;
    }, 60_000, 'a running job');
    // Paused, so it is surely still mid-encode when `stop` returns on any machine, without a long clip
    // to encode; it resumes with no worker alive, as a container would.
    const resume = pauseJob(jobPid!);
    const stopped = await stack.cli(['stop']);
    expect(stopped.code, stopped.stderr).toBe(0);
    expect(await stack.liveJobPids()).toEqual([jobPid]); // like a container, it outlives its worker
    resume();
    const dev = stack.spawnCli(['dev']);
    const done = await run.done; // `run` kept following through the restart
    const devGone = dev.child.exitCode !== null ? `; \`dev\` exited: ${(await dev.done).stderr}` : '';
    expect(done.code, `${done.stderr}${devGone}`).toBe(0);
    const record = JSON.parse(await readFile(out('resume.mp4', 'job.json'), 'utf8')) as { outcome: string; plan: { jobs: { attempts: number }[] } };
    expect(record.outcome).toBe('succeeded');
    expect(record.plan.jobs.map((j) => j.attempts)).toEqual([1]); // resumed, never restarted
    expect(await stack.leftoverJobs()).toEqual([]);
  });

  it('a run survives a SIGKILLed stack: a new `dev` reaps the orphaned server, resumes the job, and `run` reconnects', async () => {
    const clip = await makeClip('landscape', { seconds: 12 });
    const keys = async (): Promise<string[]> => (await readdir(join(stack.dataDir, 'jobs')).catch(() => [] as string[])).filter((n) => n.endsWith('.key'));
    const keysBefore = await keys();
    const run = stack.spawnCli(['run', clip, '--name', 'crash.mp4']);
    let runOut = '';
    run.child.stdout!.on('data', (d: string) => (runOut += d));
    const jobPids = await eventually(async () => {
      const pids = await stack.liveJobPids();
      return pids.length > 0 ? pids : undefined;
    }, 60_000, 'a running job');
    const resume = pauseJob(jobPids[0]!); // still encoding after the crash, however fast the machine
    const crashed = (await readState(stackPaths(stack.dataDir).stateFile))!;
    process.kill(crashed.pid, 'SIGKILL'); // as the OOM killer would: no clean-up at all
    await eventually(() => Promise.resolve(processAlive(crashed.pid, crashed.pidStart) ? undefined : true), 10_000, 'the stack to die');
    expect(serverAlive(crashed)).toBe(true); // its dev server (own process group) lives on, holding the ports
    expect(await stack.liveJobPids()).toEqual(jobPids); // and so does the job
    resume();
    // The server still answers, but nothing works the run: `run` must notice the stack itself is gone.
    await eventually(() => Promise.resolve(/Lost the local stack \(pid \d+\)/.test(runOut) ? true : undefined), 10_000, '`run` to notice');

    const dev = stack.spawnCli(['dev']);
    let devOut = '';
    dev.child.stdout!.on('data', (d: string) => (devOut += d));
    const devExit = dev.done.then((o) => o);
    const ready = await Promise.race([eventually(() => Promise.resolve(devOut.includes('Temporal Web UI') ? 'ready' : undefined), 60_000, '`dev` to start'), devExit]);
    expect(ready, typeof ready === 'string' ? '' : ready.stderr).toBe('ready'); // no port error
    const done = await run.done;
    expect(done.stderr).toBe('');
    expect(done.code).toBe(0);
    expect(done.stdout).toMatch(/Lost the local stack .*\n(.*\n)*Reconnected to the local stack .*\n(.*\n)*Published:/);
    expect(devOut).toContain(`the previous stack (pid ${crashed.pid}) had died without stopping; stopped the Temporal dev server it left running (pid ${crashed.serverPid})`);
    expect(done.stdout).toContain(out('crash.mp4', 'master.m3u8'));
    expect(processAlive(crashed.serverPid!, crashed.serverPidStart)).toBe(false);
    const record = JSON.parse(await readFile(out('crash.mp4', 'job.json'), 'utf8')) as { outcome: string; plan: { jobs: { attempts: number }[] } };
    expect(record.outcome).toBe('succeeded');
    expect(record.plan.jobs.map((j) => j.attempts)).toEqual([1]); // followed again, never re-run
    expect((await keys()).filter((k) => !keysBefore.includes(k))).toHaveLength(1); // exactly one job started
    expect(await stack.leftoverJobs()).toEqual([]);
  });
});

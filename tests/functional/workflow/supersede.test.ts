// A newer upload under the same name, mid-run, with real transcodes: through its upload event (the
// starter's Update-with-start), and without one (publish re-checks the source's etag, a failed run checks
// whether the source was replaced). Either way the outputs end up those of the newest upload.
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { listAll, readJson, readText } from '../../../src/store-io.js';
import { JOB_RECORD, MASTER_PLAYLIST, versionFolder } from '../../../src/domain/layout.js';
import type { JobRecord, Plan } from '../../../src/domain/types.js';
import type { JobLaunch } from '../../../src/ports.js';
import type { transcode } from '../../../src/workflows/transcode.js';
import { makeClip } from '../../helpers/clips.js';
import { createFaultRunner, type Fault, type FaultRunner } from '../../helpers/fault-runner.js';
import { activityResults, DEST_BUCKET, startStack, startTemporal, workflowBundle, type TestStack } from '../../helpers/temporal.js';

let env: TestWorkflowEnvironment;
let stack: TestStack | undefined;
let runner: FaultRunner;
let clipA: string;
let clipB: string;

beforeAll(async () => {
  // Small clips: this file runs four real transcodes and more.
  [env, , clipA, clipB] = await Promise.all([
    startTemporal(),
    workflowBundle(),
    makeClip('landscape', { width: 320, height: 180, seconds: 3 }),
    makeClip('landscape', { width: 320, height: 180, seconds: 2 }),
  ]);
});
afterAll(async () => {
  await env?.teardown();
});
afterEach(async () => {
  await stack?.close();
  stack = undefined;
});

const versionOf = (launch: JobLaunch): string => (JSON.parse(launch.args[launch.args.indexOf('--plan') + 1] ?? '{}') as Plan).version;

async function stackWith(choose: (launch: JobLaunch) => Fault | undefined): Promise<TestStack> {
  stack = await startStack(env, { jobs: (local, paths) => (runner = createFaultRunner(local, paths, choose)) });
  return stack;
}

/** Only the newest version's media remain, and both the record and the master name it. */
async function expectOutputsOf(s: TestStack, object: string, etag: string): Promise<void> {
  const version = versionFolder(etag);
  const folders = new Set((await listAll(s.store, DEST_BUCKET, `${object}/`)).map((o) => o.name.slice(object.length + 1).split('/')[0]));
  expect([...folders].filter((f) => f?.startsWith('v-'))).toEqual([version]);
  const master = (await readText(s.store, DEST_BUCKET, `${object}/${MASTER_PLAYLIST}`)) ?? '';
  expect(master).toContain(`${version}/`);
  expect(await readJson<JobRecord>(s.store, DEST_BUCKET, `${object}/${JOB_RECORD}`)).toMatchObject({ outcome: 'succeeded', source: { etag } });
}

describe('supersede', () => {
  it('a newer upload announced mid-transcode cancels the old job and continues as new with the newer etag', async () => {
    let etagA = '';
    // The first upload's job hangs, so the event surely arrives mid-transcode; later jobs are real.
    const s = await stackWith((launch) => (versionOf(launch) === versionFolder(etagA) ? 'hang' : undefined));
    etagA = await s.upload(clipA, 'show.mp4');
    const started = await s.announce('show.mp4');
    expect(started.outcome).toBe('started');
    const handle = env.client.workflow.getHandle<typeof transcode>(started.workflowId);
    const firstRunId = (await handle.describe()).runId;
    await s.waitForProgress(handle, (p) => p.stage === 'transcoding' && p.jobs[0]?.state === 'running');

    const etagB = await s.upload(clipB, 'show.mp4');
    expect(etagB).not.toBe(etagA);
    expect(await s.announce('show.mp4', etagB)).toMatchObject({ outcome: 'superseding', runId: firstRunId });

    const done = await handle.result(); // follows the continue-as-new chain
    expect(done).toMatchObject({ etag: etagB, version: versionFolder(etagB) });
    expect(done.durationSec).toBeCloseTo(2, 0);
    const first = env.client.workflow.getHandle(handle.workflowId, firstRunId);
    expect((await first.describe()).status.name).toBe('CONTINUED_AS_NEW');
    expect((await handle.describe()).memo).toMatchObject({ etag: etagB });

    // The hung job of the first upload was deleted; only the newest version was ever published.
    const [hung, ...rest] = [...runner.created.values()];
    expect(hung?.fault).toBe('hang');
    expect(runner.deletes).toContain(hung?.handle.id);
    expect(rest.map((r) => r.fault)).toEqual([undefined]);
    expect(await s.local.list({})).toEqual([]);
    await expectOutputsOf(s, 'show.mp4', etagB);
  });

  it('the run’s own upload announced again (a redelivered event) changes nothing', async () => {
    const s = await stackWith(() => undefined);
    const etag = await s.upload(clipB, 'same.mp4');
    const started = await s.announce('same.mp4');
    const handle = env.client.workflow.getHandle<typeof transcode>(started.workflowId);
    const runId = (await handle.describe()).runId;
    expect(await s.announce('same.mp4', etag)).toMatchObject({ outcome: 'duplicate' });
    await s.waitForProgress(handle, (p) => p.stage === 'transcoding');
    expect(await s.announce('same.mp4', etag)).toMatchObject({ outcome: 'duplicate' });
    const done = await handle.result();
    expect(done.etag).toBe(etag);
    expect((await handle.describe()).runId).toBe(runId);
    expect(runner.created.size).toBe(1);
  });

  // Without a signal (its event lost), a replaced source is still noticed: by publish's etag re-check
  // when the old job succeeded, by the check after a failure when the job read the newer, shorter file.
  for (const when of ['after the job finished', 'before the job read it'] as const) {
    it(`a source replaced ${when}, with no signal, never gets stale outputs published`, async () => {
      let replaced: Promise<string> | undefined;
      const replace = (): Promise<string> => (replaced ??= stack!.upload(clipB, 'quiet.mp4'));
      stack = await startStack(env, {
        jobs: (local, paths) => {
          runner = createFaultRunner(local, paths, () => undefined);
          return {
            ...runner,
            async start(launch) {
              if (when === 'before the job read it') await replace();
              return runner.start(launch);
            },
            async state(handle) {
              const state = await runner.state(handle);
              if (when === 'after the job finished' && state.phase === 'succeeded') await replace();
              return state;
            },
          };
        },
      });
      const s = stack;
      const etagA = await s.upload(clipA, 'quiet.mp4');
      const handle = await s.start({ object: 'quiet.mp4' });
      const firstRunId = (await handle.describe()).runId;
      const done = await handle.result();
      const etagB = await replaced!;
      expect(etagB).not.toBe(etagA);
      expect(done.etag).toBe(etagB);
      const first = env.client.workflow.getHandle(handle.workflowId, firstRunId);
      expect((await first.describe()).status.name).toBe('CONTINUED_AS_NEW');
      expect(runner.created.size).toBe(2); // one job per upload
      expect(await s.local.list({})).toEqual([]);
      // The first run noticed it where expected: publish declined, or the failure was explained.
      if (when === 'after the job finished') {
        expect(await activityResults(first, 'publish')).toEqual([{ status: 'superseded', etag: etagB }]);
      } else {
        expect(await activityResults(first, 'publish')).toEqual([]);
        expect(await activityResults(first, 'headSource')).toEqual([{ etag: etagB, modified: expect.any(String) as string }]);
      }
      await expectOutputsOf(s, 'quiet.mp4', etagB);
    });
  }
});

// recordUndelivered on a real folder store: the notifications a run gave up on are added to its job.json,
// and never to a record that another run (a newer upload) has written since.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MockActivityEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPublishActivities } from '../../../src/activities/publish.js';
import { LocalFolderStore } from '../../../src/adapters/local/object-store.js';
import { loadConfig } from '../../../src/config.js';
import type { JobRecord } from '../../../src/domain/types.js';
import type { JobRunner } from '../../../src/ports.js';
import { putJson, readJson } from '../../../src/store-io.js';

let dir: string;
let store: LocalFolderStore;
const dest = { bucket: 'media-out', prefix: '' };
const NAME = 'clip.mp4/job.json';
const undelivered = [{ target: 'webhook:https://cms.example/hook', error: 'not delivered within the 3600 s retry bound: POST https://cms.example/hook answered 503' }];

const record = (runId: string): JobRecord => ({
  schema: 1, outcome: 'succeeded', workflow: { id: 'w', runId }, source: { namespace: 'local', bucket: 'media-in', object: 'clip.mp4' }, dest,
  timings: { startedAt: '2026-01-01T00:00:00.000Z', finishedAt: '2026-01-01T00:01:00.000Z', totalSec: 60, stages: {} },
});

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'undelivered-'));
  store = new LocalFolderStore(dir);
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('recordUndelivered', () => {
  const run = (runId: string) => {
    const { recordUndelivered } = createPublishActivities({ store, jobs: {} as JobRunner, config: loadConfig({}) });
    return new MockActivityEnvironment().run(recordUndelivered, { dest, sourceObject: 'clip.mp4', runId, undelivered });
  };

  it("adds them to this run's job.json and keeps the rest of the record", async () => {
    await putJson(store, dest.bucket, NAME, record('run-1'));
    expect(await run('run-1')).toEqual({ recorded: true });
    expect(await readJson<JobRecord>(store, dest.bucket, NAME)).toEqual({ ...record('run-1'), notifications: { undelivered } });
  });

  it("leaves another run's record alone", async () => {
    await putJson(store, dest.bucket, NAME, record('run-2'));
    expect(await run('run-1')).toEqual({ recorded: false });
    expect(await readJson<JobRecord>(store, dest.bucket, NAME)).toEqual(record('run-2'));
  });
});

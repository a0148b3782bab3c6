// The preview's publish rules on a real folder store: a preview never replaces an earlier version that
// plays already, and a run that ends without its full masters withdraws the preview it published.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MockActivityEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPublishActivities } from '../../../src/activities/publish.js';
import type { RunFacts } from '../../../src/activities/types.js';
import { LocalFolderStore } from '../../../src/adapters/local/object-store.js';
import { loadConfig } from '../../../src/config.js';
import { planLadder } from '../../../src/domain/ladder.js';
import type { JobRecord } from '../../../src/domain/types.js';
import type { JobRunner } from '../../../src/ports.js';
import { putJson, readJson, readText } from '../../../src/store-io.js';
import { PROBE } from '../../helpers/stub-world.js';

let dir: string;
let store: LocalFolderStore;
const dest = { bucket: 'media-out', prefix: '' };
const source = { namespace: 'local', bucket: 'media-in', object: 'film.mp4', etag: 'e-new' };
const plan = planLadder(PROBE, { etag: source.etag });
const facts = (runId: string): RunFacts => ({
  workflow: { id: 'w', runId }, attempts: {},
  timings: { startedAt: '2026-01-01T00:00:00.000Z', finishedAt: '2026-01-01T00:01:00.000Z', totalSec: 60, stages: {}, firstPlayableSec: 30 },
});
const activities = () => createPublishActivities({ store, jobs: {} as JobRunner, config: loadConfig({}) });
const put = (name: string, body: string) => store.put(dest.bucket, name, Buffer.from(body), { contentType: 'text/plain' });

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'preview-publish-'));
  store = new LocalFolderStore(dir);
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('a preview', () => {
  it('is kept back while an earlier version plays: its masters stay as they are', async () => {
    await put('film.mp4/master.m3u8', '#EXTM3U\nv-00000001/720p/playlist.m3u8\n');
    const answer = await new MockActivityEnvironment().run(activities().publish, { source, dest, plan, facts: facts('run-1'), preview: true });
    expect(answer).toEqual({ status: 'kept', reason: 'an earlier version is published' });
    expect(await readText(store, dest.bucket, 'film.mp4/master.m3u8')).toBe('#EXTM3U\nv-00000001/720p/playlist.m3u8\n');
  });

  it("is withdrawn with its media when its run ends without the full masters, but never another run's", async () => {
    const media = `film.mp4/${plan.version}/360p/seg_00001.m4s`;
    const published = async (runId: string) => {
      for (const m of ['master.m3u8', 'manifest.mpd']) await put(`film.mp4/${m}`, `${plan.version}/360p/playlist.m3u8`);
      await put(media, 'x');
      await putJson(store, dest.bucket, 'film.mp4/job.json', { schema: 1, outcome: 'preview', workflow: { id: 'w', runId }, source, dest, timings: facts(runId).timings });
    };
    const discard = (runId: string) => new MockActivityEnvironment().run(activities().discard, { source, dest, plan, outcome: 'canceled' as const, error: 'canceled', facts: facts(runId) });

    await published('run-2');
    expect(await discard('run-1')).toEqual({ removedObjects: 0, recordWritten: true });
    expect(await readText(store, dest.bucket, 'film.mp4/master.m3u8')).toBeDefined();

    await published('run-1');
    expect(await discard('run-1')).toEqual({ removedObjects: 1, recordWritten: true });
    for (const name of ['film.mp4/master.m3u8', 'film.mp4/manifest.mpd', media]) expect(await readText(store, dest.bucket, name)).toBeUndefined();
    expect((await readJson<JobRecord>(store, dest.bucket, 'film.mp4/job.json'))?.outcome).toBe('canceled');
  });
});

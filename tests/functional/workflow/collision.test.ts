// Outputs that cannot collide: with two source buckets, `media-in/x.mp4` and `media-b/x.mp4` transcode at
// once into one destination bucket. Each gets a stream prefix of its own (`<bucket>/x.mp4/`), so neither
// run's removal of older versions touches the other's, and both streams stay whole.
import { readFile } from 'node:fs/promises';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requestFor } from '../../../src/domain/events.js';
import { defaultDest, JOB_RECORD, MASTER_PLAYLIST, streamPrefix, versionFolder } from '../../../src/domain/layout.js';
import { startTranscode } from '../../../src/starter-fn/handler.js';
import { createTemporalStarter } from '../../../src/starter-fn/temporal-starter.js';
import type { TranscodeResult } from '../../../src/workflows/definitions.js';
import { makeClip } from '../../helpers/clips.js';
import { DEST_BUCKET, SOURCE_BUCKET, startStack, startTemporal, type TestStack } from '../../helpers/temporal.js';

const OTHER = 'media-b';
let env: TestWorkflowEnvironment;
let s: TestStack;

beforeAll(async () => {
  env = await startTemporal();
  s = await startStack(env, { config: { sourceBuckets: [SOURCE_BUCKET, OTHER] } });
});

afterAll(async () => {
  await s?.close();
  await env?.teardown();
});

describe('two source buckets, one object name', () => {
  it('publish side by side under per-bucket prefixes; neither removes the other’s version', async () => {
    const object = 'x.mp4';
    const clips = [await makeClip('landscape'), await makeClip('landscape', { seconds: 3 })];
    const buckets = [SOURCE_BUCKET, OTHER];
    const etags = await Promise.all(buckets.map(async (bucket, i) => (await s.store.putFile(bucket, object, clips[i]!)).etag));
    const starter = createTemporalStarter(env.client, s.config);
    const started = await Promise.all(
      buckets.map((bucket, i) => startTranscode(requestFor({ namespace: s.config.namespace, bucket, object, etag: etags[i]! }, s.config), { starter, config: s.config })),
    );
    expect(started.map((a) => a.outcome)).toEqual(['started', 'started']);
    expect(new Set(started.map((a) => a.workflowId)).size).toBe(2);
    const results = (await Promise.all(started.map((a) => env.client.workflow.getHandle(a.workflowId).result()))) as TranscodeResult[];
    expect(results.map((r) => r.outcome)).toEqual(['published', 'published']);

    const prefixes = buckets.map((bucket) => streamPrefix(defaultDest(s.config, bucket), object));
    expect(prefixes).toEqual([`${SOURCE_BUCKET}/${object}/`, `${OTHER}/${object}/`]);
    for (const [i, prefix] of prefixes.entries()) {
      const record = JSON.parse(await readFile(s.store.objectPath(DEST_BUCKET, prefix + JOB_RECORD), 'utf8')) as { outcome: string; source: { bucket: string; etag: string } };
      expect(record).toMatchObject({ outcome: 'succeeded', source: { bucket: buckets[i], etag: etags[i] } });
      const listed = (await s.store.list(DEST_BUCKET, prefix)).objects.map((o) => o.name);
      expect(listed).toContain(prefix + MASTER_PLAYLIST);
      // This source's version folder is whole, and the other source's never appears under its prefix.
      expect(listed.some((n) => n.startsWith(prefix + versionFolder(etags[i]) + '/'))).toBe(true);
      expect(listed.some((n) => n.startsWith(prefix + versionFolder(etags[1 - i]) + '/'))).toBe(false);
    }
  });
});

// The transcode workflow end to end on a real dev server: real ffmpeg through the real transcoder
// command, run as detached local jobs, outputs in folder buckets. Single job and per-rendition fan-out.
import { execFile } from 'node:child_process';
import { stat } from 'node:fs/promises';
import { promisify } from 'node:util';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { listAll, readJson, readText } from '../../../src/store-io.js';
import { DASH_MANIFEST, JOB_RECORD, MASTER_PLAYLIST, thumbnailPng, versionFolder } from '../../../src/domain/layout.js';
import type { JobRecord } from '../../../src/domain/types.js';
import type { Progress } from '../../../src/workflows/definitions.js';
import { progressQuery } from '../../../src/workflows/definitions.js';
import { makeClip } from '../../helpers/clips.js';
import { handleEvent } from '../../../src/starter-fn/handler.js';
import { createTemporalStarter } from '../../../src/starter-fn/temporal-starter.js';
import type { CaptionsResult } from '../../../src/workflows/captions.js';
import { createFaultRunner, type FaultRunner } from '../../helpers/fault-runner.js';
import { DEST_BUCKET, SOURCE_BUCKET, startStack, startTemporal, workflowBundle, type TestStack } from '../../helpers/temporal.js';

const run = promisify(execFile);
const SUBTITLED = { seconds: 3, width: 320, height: 180 };
let env: TestWorkflowEnvironment;
let stack: TestStack | undefined;
let counter: FaultRunner;

beforeAll(async () => {
  [env] = await Promise.all([startTemporal(), workflowBundle(), makeClip('landscape'), makeClip('landscape', { width: 854, height: 480, seconds: 3 }), makeClip('subtitled', SUBTITLED)]);
});
afterAll(async () => {
  await env?.teardown();
});
afterEach(async () => {
  await stack?.close();
  stack = undefined;
});

/** A stack whose runner only counts (no fault is ever chosen): every job is the real transcoder. */
async function countingStack(): Promise<TestStack> {
  stack = await startStack(env, { jobs: (local, paths) => (counter = createFaultRunner(local, paths, () => undefined)) });
  return stack;
}

/** Queries progress every 100 ms until the run ends, then once more; returns every distinct answer. */
function watchProgress(handle: { query: (q: typeof progressQuery) => Promise<Progress> }, done: Promise<unknown>): Promise<Progress[]> {
  const seen: Progress[] = [];
  let finished = false;
  void done.finally(() => (finished = true)).catch(() => undefined);
  return (async () => {
    const look = async (): Promise<void> => {
      const p = await handle.query(progressQuery).catch(() => undefined);
      if (p && JSON.stringify(p) !== JSON.stringify(seen.at(-1))) seen.push(p);
    };
    while (!finished) {
      await look();
      await new Promise((r) => setTimeout(r, 100));
    }
    await look(); // a closed run still answers: its final state
    return seen;
  })();
}

async function mtimeMs(s: TestStack, name: string): Promise<number> {
  return (await stat(s.store.objectPath(DEST_BUCKET, name))).mtimeMs;
}

describe('transcode workflow, happy path', () => {
  it('publishes HLS + DASH masters last, the poster and job.json, and leaves no job behind', async () => {
    const s = await countingStack();
    const etag = await s.upload(await makeClip('landscape'), 'talks/intro.mp4');
    const handle = await s.start({ object: 'talks/intro.mp4' });
    const result = handle.result();
    const progress = await watchProgress(handle, result);
    const done = await result;

    const version = versionFolder(etag);
    expect(done).toMatchObject({
      source: 'media-in/talks/intro.mp4',
      etag,
      version,
      bucket: DEST_BUCKET,
      streamPrefix: 'talks/intro.mp4/',
      hls: `talks/intro.mp4/${MASTER_PLAYLIST}`,
      dash: `talks/intro.mp4/${DASH_MANIFEST}`,
      thumbnail: thumbnailPng({ bucket: DEST_BUCKET }, 'talks/intro.mp4'),
      record: `talks/intro.mp4/${JOB_RECORD}`,
      attempts: { all: 1 },
    });
    expect(done.durationSec).toBeCloseTo(4, 0);

    // The query answered along the way: every stage in order, the job seen running.
    const stages = progress.map((p) => p.stage).filter((st, i, all) => st !== all[i - 1]);
    expect(stages).toEqual(expect.arrayContaining(['transcoding', 'completed']));
    expect(stages.indexOf('transcoding')).toBeLessThan(stages.indexOf('completed'));
    expect(progress.some((p) => p.stage === 'transcoding' && p.jobs[0]?.state === 'running')).toBe(true);
    expect(progress.at(-1)).toMatchObject({ stage: 'completed', percent: 100, etag, jobs: [{ id: 'all', attempt: 1, state: 'succeeded', percent: 100 }] });

    // Masters reference only this version; everything they point at exists; they were written last.
    const master = await readText(s.store, DEST_BUCKET, done.hls!);
    const variants = (master ?? '').split('\n').filter((l) => l && !l.startsWith('#'));
    expect(variants.length).toBeGreaterThan(0);
    for (const v of variants) {
      expect(v.startsWith(`${version}/`)).toBe(true);
      expect((await s.store.head(DEST_BUCKET, `talks/intro.mp4/${v}`))?.size).toBeGreaterThan(0);
    }
    expect(await readText(s.store, DEST_BUCKET, done.dash!)).toContain(`${version}/`);
    const media = (await listAll(s.store, DEST_BUCKET, `talks/intro.mp4/${version}/`)).map((o) => o.name);
    const lastMedia = Math.max(...(await Promise.all([...media, done.record, done.thumbnail!].map((n) => mtimeMs(s, n)))));
    expect(await mtimeMs(s, done.hls!)).toBeGreaterThanOrEqual(lastMedia);
    expect(await mtimeMs(s, done.dash!)).toBeGreaterThanOrEqual(lastMedia);

    // The published stream decodes, and lasts as long as the source.
    const { stdout } = await run('ffprobe', ['-v', 'error', '-show_entries', 'format=duration', '-of', 'csv=p=0', s.store.objectPath(DEST_BUCKET, done.hls!)]);
    expect(Number(stdout.trim())).toBeCloseTo(4, 0);
    expect((await s.store.head(DEST_BUCKET, done.thumbnail!))?.size).toBeGreaterThan(1000);

    const record = await readJson<JobRecord>(s.store, DEST_BUCKET, done.record);
    expect(record).toMatchObject({
      schema: 1,
      outcome: 'succeeded',
      workflow: { id: handle.workflowId },
      source: { namespace: 'local', bucket: 'media-in', object: 'talks/intro.mp4', etag },
      plan: { version, jobs: [{ id: 'all', attempts: 1 }] },
      outputs: { hls: done.hls, dash: done.dash, thumbnail: done.thumbnail },
    });
    expect(record?.renditions?.length).toBeGreaterThan(0);
    expect(Object.keys(record?.timings.stages ?? {})).toEqual(expect.arrayContaining(['inspecting', 'transcoding', 'verifying', 'publishing']));

    // One job, started once, deleted; nothing left running.
    expect(counter.created.size).toBe(1);
    expect(counter.deletes).toEqual([[...counter.created.values()][0]?.handle.id]);
    expect(await s.local.list({})).toEqual([]);

    const description = await handle.describe();
    expect(description.searchAttributes).toMatchObject({ TranscodeSource: ['media-in/talks/intro.mp4'], TranscodeStage: ['completed'] });
    expect(description.memo).toMatchObject({ source: 'media-in/talks/intro.mp4', etag, preset: 'default' });
  });

  it('per-rendition parallelism fans out one job per rendition, runs them concurrently, deletes them all', async () => {
    const s = await countingStack();
    await s.upload(await makeClip('landscape', { width: 854, height: 480, seconds: 3 }), 'fanout.mp4');
    const handle = await s.start({ object: 'fanout.mp4', parallelism: 'per-rendition', formats: ['hls'] });
    const result = handle.result();
    const progress = await watchProgress(handle, result);
    const done = await result;

    const jobIds = Object.keys(done.attempts);
    expect(jobIds.length).toBeGreaterThanOrEqual(2); // 480p and 360p: one job each
    expect(jobIds.sort()).toEqual(done.renditions.filter((r) => r !== 'audio').sort());
    expect(counter.created.size).toBe(jobIds.length);
    expect(new Set([...counter.created.values()].map((c) => c.handle.id))).toEqual(new Set(counter.deletes));
    expect(await s.local.list({})).toEqual([]);
    // Concurrent, not one after the other: the query once saw them all started together.
    expect(progress.some((p) => p.jobs.filter((j) => j.state === 'running').length >= 2)).toBe(true);

    expect(done.dash).toBeUndefined();
    expect(await s.store.head(DEST_BUCKET, `fanout.mp4/${DASH_MANIFEST}`)).toBeUndefined();
    const master = (await readText(s.store, DEST_BUCKET, done.hls!)) ?? '';
    expect(master.match(/^#EXT-X-STREAM-INF:/gm)?.length).toBe(jobIds.length);
  });

  it('captions: embedded text streams and a sidecar present at inspect are published; a PGS stream is reported; a later sidecar re-publishes the masters only', async () => {
    const s = await countingStack();
    const etag = await s.upload(await makeClip('subtitled', SUBTITLED), 'film.mkv');
    await s.store.put(SOURCE_BUCKET, 'film.mkv.es.srt', '1\n00:00:00,300 --> 00:00:02,000\nHola\n');
    await s.store.put(SOURCE_BUCKET, 'film.mkv.de.srt', 'this is not SubRip at all\n');
    const done = await (await s.start({ object: 'film.mkv' })).result();
    const version = versionFolder(etag);
    const master = (await readText(s.store, DEST_BUCKET, done.hls!)) ?? '';
    const subs = (text: string): string[] => text.split('\n').filter((l) => l.includes('TYPE=SUBTITLES')).map((l) => /LANGUAGE="([^"]+)"/.exec(l)?.[1] ?? '?');
    expect(subs(master)).toEqual(['eng', 'fra', 'es']);
    expect(master).toMatch(/LANGUAGE="fra",NAME="fra \(forced\)",DEFAULT=NO,AUTOSELECT=YES,FORCED=YES/);
    expect(master).toMatch(/LANGUAGE="eng",[^\n]*DEFAULT=YES[^\n]*CHARACTERISTICS="public\.accessibility\.transcribes-spoken-dialog/);
    const record = await readJson<JobRecord>(s.store, DEST_BUCKET, done.record);
    expect(record?.subtitles?.map((t) => [t.id, t.from, t.cues])).toEqual([['text-eng', 'stream 2 (subrip)', 2], ['text-fra', 'stream 3 (ass)', 1], ['text-es', 'sidecar film.mkv.es.srt', 1]]);
    expect(record?.subtitlesNotConverted).toEqual([
      expect.objectContaining({ sourceIndex: 4, codec: 'hdmv_pgs_subtitle', language: 'deu', reason: expect.stringMatching(/bitmap/) as string }),
      expect.objectContaining({ sidecar: 'film.mkv.de.srt', codec: 'srt', language: 'de', reason: expect.stringMatching(/no cues/) as string }),
    ]);
    // ffmpeg reads a subtitle playlist (segments of WebVTT) back to its cues.
    const { stdout: fra } = await run('ffmpeg', ['-v', 'error', '-i', s.store.objectPath(DEST_BUCKET, `film.mkv/${version}/text-fra/playlist.m3u8`), '-f', 'webvtt', '-']);
    expect(fra).toContain('Bonjour');

    // A sidecar arriving after publishing: the starter's event path starts a captions run (once per upload).
    const mediaBefore = await mtimeMs(s, `film.mkv/${version}/180p/seg_00001.m4s`);
    const sidecarEtag = (await s.store.put(SOURCE_BUCKET, 'film.mkv.nl.sdh.vtt', 'WEBVTT\n\n00:00.400 --> 00:01.000\n[muziek] Hallo\n')).etag;
    const event = { eventType: 'com.oraclecloud.objectstorage.createobject', cloudEventsVersion: '0.1', eventTime: '2026-01-01T00:00:00Z', eventID: 'late-1',
      data: { resourceName: 'film.mkv.nl.sdh.vtt', additionalDetails: { bucketName: SOURCE_BUCKET, namespace: s.config.namespace, eTag: sidecarEtag } } };
    const deps = { starter: createTemporalStarter(env.client, s.config), config: { ...s.config, destBucket: DEST_BUCKET, destPrefix: '', sourceBuckets: [SOURCE_BUCKET] } };
    const started = await handleEvent(event, deps);
    expect(started).toMatchObject({ outcome: 'started' });
    const captioned = await env.client.workflow.getHandle<() => Promise<CaptionsResult>>((started as { workflowId: string }).workflowId).result();
    expect(captioned).toMatchObject({ outcome: 'published', track: 'text-nl', text: ['text-eng', 'text-fra', 'text-es', 'text-nl'] });
    expect(await handleEvent({ ...event, eventID: 'late-2' }, deps)).toMatchObject({ outcome: 'duplicate' });

    const after = (await readText(s.store, DEST_BUCKET, done.hls!)) ?? '';
    expect(subs(after)).toEqual(['eng', 'fra', 'es', 'nl']);
    const mpd = (await readText(s.store, DEST_BUCKET, done.dash!)) ?? '';
    expect(mpd).toMatch(/contentType="text" mimeType="text\/vtt" lang="nl">\s*<Label>nl \(SDH\)<\/Label>\s*<Role schemeIdUri="urn:mpeg:dash:role:2011" value="caption"\/>/);
    expect((await readJson<JobRecord>(s.store, DEST_BUCKET, done.record))?.subtitles?.map((t) => t.id)).toEqual(['text-eng', 'text-fra', 'text-es', 'text-nl']);
    // Masters only: no job ran again, no media was rewritten.
    expect(counter.created.size).toBe(1);
    expect(await mtimeMs(s, `film.mkv/${version}/180p/seg_00001.m4s`)).toBe(mediaBefore);
    const { stdout: nl } = await run('ffmpeg', ['-v', 'error', '-i', s.store.objectPath(DEST_BUCKET, `film.mkv/${version}/text-nl/playlist.m3u8`), '-f', 'webvtt', '-']);
    expect(nl).toContain('[muziek] Hallo');
  });
});

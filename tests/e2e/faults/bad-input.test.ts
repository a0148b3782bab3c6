// Bad input through the real local path: a file lands in a bucket folder, the watcher turns it into the
// create-object event, the starter handler starts (or refuses) a run, the workflow inspects it, a
// transcoder child process encodes it, outputs land in the destination. One stack for the whole file, with
// the destination bucket also configured as a source: the pipeline's own outputs must never start a run.
// Every case ends in success or a specific non-retryable error within bounded time, with the source
// untouched and nothing written outside the destination prefix.
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { promisify } from 'node:util';
import { WorkflowFailedError } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listAll, readJson } from '../../../src/store-io.js';
import { LocalFolderStore } from '../../../src/adapters/local/object-store.js';
import { loadConfig, type Config } from '../../../src/config.js';
import { workflowIdFor } from '../../../src/domain/events.js';
import { defaultDest, streamPrefix, thumbnailPng } from '../../../src/domain/layout.js';
import type { JobRecord } from '../../../src/domain/types.js';
import { REPO_ROOT } from '../../../src/stack/paths.js';
import { startStack, type RunningStack } from '../../../src/stack/stack.js';
import { handleEvent, InvalidEventError } from '../../../src/starter-fn/handler.js';
import { createTemporalStarter } from '../../../src/starter-fn/temporal-starter.js';
import type { TranscodeResult } from '../../../src/workflows/definitions.js';
import { makeBadInput, makeClip, type BadInputKind } from '../../helpers/clips.js';
import { freePort } from '../../helpers/net.js';
import { jobRegistry, killLeftoverJobs, liveJobPids } from './jobs-dir.js';

const run = promisify(execFile);
const CLIP = { width: 320, height: 180, seconds: 2 } as const;
const MAX_BYTES = 3 * 1024 * 1024;
// A folder bucket cannot hold both a file `x.mp4` and a folder `x.mp4/`: sharing one bucket needs a prefix.
// With two source buckets each gets its own folder under it (docs/workflow.md, outputs per source).
const DEST = { bucket: 'media-out', prefix: 'streams/' } as const;
const destOf = (bucket: string) => defaultDest({ destBucket: DEST.bucket, destPrefix: DEST.prefix, sourceBuckets: ['media-in', 'media-out'] }, bucket);
const IN = destOf('media-in');
const marker = `pwned-${randomBytes(4).toString('hex')}`;
let root: string;
let config: Config;
let stack: RunningStack;
const lines: string[] = [];
const uploaded = new Map<string, { bucket: string; sha: string }>();

const sha = (data: Buffer): string => createHash('sha256').update(data).digest('hex');
const bucketsDir = (): string => join(config.dataDir, 'buckets');

async function upload(bucket: string, object: string, file: string): Promise<void> {
  uploaded.set(object, { bucket, sha: sha(await readFile(file)) });
  await stack.store.putFile(bucket, object, file);
}

/** Waits for the run the upload started (the watcher, then the starter) and for its end. */
async function outcomeOf(bucket: string, object: string, timeoutMs = 120_000): Promise<{ result?: TranscodeResult; failure?: { type?: string | null; message: string } }> {
  const handle = stack.client.workflow.getHandle(workflowIdFor({ namespace: 'local', bucket, object }));
  const deadline = Date.now() + timeoutMs;
  while (!(await handle.describe().catch(() => undefined))) {
    if (Date.now() > deadline) throw new Error(`no run started for ${bucket}/${object}:\n${lines.slice(-10).join('\n')}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  const ended = await Promise.race([
    handle.result().then((result: TranscodeResult) => ({ result }), (e: unknown) => ({ error: e })),
    new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`${object}: no outcome in ${timeoutMs} ms`)), Math.max(1, deadline - Date.now()))),
  ]);
  if ('result' in ended) return { result: ended.result };
  expect(ended.error).toBeInstanceOf(WorkflowFailedError);
  return { failure: (ended.error as WorkflowFailedError).cause as { type?: string | null; message: string } };
}

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries.filter((e) => e.isFile()).map((e) => relative(dir, join(e.parentPath, e.name))).sort();
}

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'bad-input-'));
  config = loadConfig({
    OCI_TRANSCODE_DATA_DIR: join(root, 'data'),
    OCI_TRANSCODE_DEV_PORT: String(await freePort()),
    OCI_TRANSCODE_DEV_UI_PORT: String(await freePort()),
    OCI_TRANSCODE_DEV_PREVIEW_PORT: String(await freePort()),
    OCI_TRANSCODE_JOB_POLL_SEC: '0.25',
    OCI_TRANSCODE_JOB_BACKOFF_SEC: '0.2',
    // Our own outputs land in a bucket that is also a source.
    OCI_TRANSCODE_SOURCE_BUCKETS: 'media-in,media-out',
    OCI_TRANSCODE_DEST_BUCKET: DEST.bucket,
    OCI_TRANSCODE_DEST_PREFIX: DEST.prefix,
    // A limit from the environment, to show the configured value is the one enforced.
    OCI_TRANSCODE_MAX_BYTES: String(MAX_BYTES),
  });
  await Promise.all([makeClip('landscape', CLIP), ...(['zero-bytes', 'random-bytes', 'text', 'truncated-mp4', 'image', 'no-streams'] as const).map(makeBadInput)]);
  stack = await startStack(config, (line) => lines.push(line));
});
afterAll(async () => {
  await stack?.stop();
  if (config) await killLeftoverJobs(config.dataDir);
  if (root) await rm(root, { recursive: true, force: true });
});

describe('bad files', () => {
  const longName = `${'a very long name '.repeat(59)}.mp4`; // 1007 bytes: fine as a source, too long for its outputs
  const cases: [string, BadInputKind | 'too-big' | 'declared-duration' | 'declared-width' | 'long-name', RegExp][] = [
    ['empty.mp4', 'zero-bytes', /: the file is empty \(0 bytes\)$/],
    ['random.mp4', 'random-bytes', /: not a media file: no known container format recognises its content$/],
    ['notes.mp4', 'text', /: not a media file: it contains text, not audio or video$/],
    ['picture.mp4', 'image', /: the file is a still image \(png\), not a video or audio recording$/],
    ['truncated.mp4', 'truncated-mp4', /: unreadable container: the MP4 index \(moov atom\) is missing, the file is truncated/],
    ['subtitles-only.mp4', 'no-streams', /: no decodable video or audio stream \(found: subtitle\)$/],
    ['too-big.mp4', 'too-big', new RegExp(`: the file is 4194304 bytes, above the ${MAX_BYTES}-byte limit \\(OCI_TRANSCODE_MAX_BYTES\\)$`)],
    ['forever.mp4', 'declared-duration', /: it lasts \d+\.\d s, above the 21600 s limit$/],
    ['panorama.mp4', 'declared-width', /: its picture is 36000x360, above the 7680x4320 limit$/],
    [longName, 'long-name', /: the object name is 1007 bytes: its outputs would be named up to 1073 bytes, above the 1024-byte object name limit \(names of at most 958 bytes fit under the destination prefix "streams\/media-in\/"\)$/],
  ];

  it('each fails at inspect with its own non-retryable error, before any job, in seconds', async () => {
    const dir = join(root, 'made');
    await mkdir(dir, { recursive: true });
    const clip = await makeClip('landscape');
    const files: Record<string, string> = {};
    for (const [i, [object, kind]] of cases.entries()) {
      const path = join(dir, `case-${i}.mp4`);
      if (kind === 'long-name') await writeFile(path, await readFile(clip));
      else if (kind === 'too-big') await writeFile(path, randomBytes(4 * 1024 * 1024));
      // Header tricks: a 4 s clip that declares 133 hours, and one that declares a 36000-pixel-wide picture.
      else if (kind === 'declared-duration') await run('ffmpeg', ['-v', 'error', '-y', '-itsscale', '120000', '-i', clip, '-c', 'copy', path]);
      else if (kind === 'declared-width') await run('ffmpeg', ['-v', 'error', '-y', '-i', clip, '-map', '0', '-c', 'copy', '-aspect', '100:1', path]);
      else await writeFile(path, await readFile(await makeBadInput(kind)));
      files[object] = path;
    }
    const started = Date.now();
    await Promise.all(cases.map(([object]) => upload('media-in', object, files[object]!)));
    const outcomes = await Promise.all(cases.map(([object]) => outcomeOf('media-in', object)));
    expect(Date.now() - started).toBeLessThan(90_000);
    for (const [i, [object, , message]] of cases.entries()) {
      const { failure } = outcomes[i]!;
      expect(failure?.type, object).toBe('BadInput');
      expect(failure?.message, object).toMatch(message);
      const attempts = (await stack.client.workflow.getHandle(workflowIdFor({ namespace: 'local', bucket: 'media-in', object })).fetchHistory()).events
        ?.filter((e) => e.activityTaskStartedEventAttributes)
        .map((e) => e.activityTaskStartedEventAttributes?.attempt);
      expect(attempts?.every((a) => a === 1), `${object}: nothing retried`).toBe(true);
      const record = await readJson<JobRecord>(stack.store, 'media-out', `${streamPrefix(IN, object)}job.json`).catch(() => undefined);
      // A name too long for its outputs is too long for its record too: the run's history has the error.
      expect(record?.outcome, object).toBe(object === longName ? undefined : 'failed');
    }
    // No job was ever created for a bad file.
    expect(await jobRegistry(config.dataDir)).toEqual([]);
  });
});

describe('hostile names through the whole path', () => {
  const names = [
    `my clip "final" 'v2' $(touch ${marker}) \`touch ${marker}\` 100% #1 ?.mp4`,
    'vidéo/日本語 フォルダ/🎬 clip – ñ.mp4',
    '../../escape.mp4',
    '/leading/slash.mp4',
    `${'a long name '.repeat(74)}.mp4`, // 892 bytes: the longest outputs still fit the 1024-byte limit
  ];

  it('each is transcoded and published under its own stream prefix, and no shell ever ran anything', async () => {
    expect(Buffer.byteLength(names[4]!)).toBeGreaterThan(880);
    const clip = await makeClip('landscape', CLIP);
    await Promise.all(names.map((name) => upload('media-in', name, clip)));
    const outcomes = await Promise.all(names.map((name) => outcomeOf('media-in', name, 180_000)));
    for (const [i, name] of names.entries()) {
      const { result, failure } = outcomes[i]!;
      expect(failure, name).toBeUndefined();
      const prefix = streamPrefix(IN, name);
      expect(prefix.startsWith('streams/media-in/')).toBe(true);
      expect(result).toMatchObject({ streamPrefix: prefix, hls: `${prefix}master.m3u8`, thumbnail: thumbnailPng(IN, name) });
      expect(await stack.store.head('media-out', result!.hls!), name).toBeDefined();
      expect((await readJson<JobRecord>(stack.store, 'media-out', result!.record))?.source.object).toBe(name);
    }
    for (const where of [REPO_ROOT, root, config.dataDir, join(config.dataDir, 'buckets')]) expect(existsSync(join(where, marker)), where).toBe(false);
  });
});

describe('the destination bucket is also a source', () => {
  it('an upload into it runs once; none of the pipeline\'s own writes there starts a run', async () => {
    await upload('media-out', 'direct.mp4', await makeClip('landscape', CLIP));
    const { result } = await outcomeOf('media-out', 'direct.mp4');
    expect(result?.hls).toBe('streams/media-out/direct.mp4/master.m3u8');
    // Wait until the watcher has judged every object now in media-out (outputs of every run above).
    const objects = (await listAll(stack.store, 'media-out', '')).map((o) => o.name);
    const journal = async (): Promise<{ bucket: string; object: string; outcome: string; reason?: string }[]> =>
      (await readFile(join(config.dataDir, 'events.jsonl'), 'utf8')).split('\n').filter(Boolean).map((l) => JSON.parse(l) as { bucket: string; object: string; outcome: string });
    const deadline = Date.now() + 60_000;
    for (;;) {
      const seen = new Set((await journal()).filter((e) => e.bucket === 'media-out').map((e) => e.object));
      const missing = objects.filter((o) => !seen.has(o));
      if (missing.length === 0) break;
      if (Date.now() > deadline) throw new Error(`the watcher never reported ${missing.length} object(s), e.g. ${missing.slice(0, 3).join(', ')}`);
      await new Promise((r) => setTimeout(r, 250));
    }
    const fromDest = (await journal()).filter((e) => e.bucket === 'media-out');
    expect(fromDest.filter((e) => e.outcome !== 'ignored').map((e) => [e.object, e.outcome])).toEqual([['direct.mp4', 'started']]);
    expect(fromDest.filter((e) => e.outcome === 'ignored').length).toBeGreaterThan(objects.length / 2);
    expect(fromDest.find((e) => e.object === 'streams/media-out/direct.mp4/master.m3u8')?.reason).toBe('streams/media-out/direct.mp4/master.m3u8 is a master.m3u8 the pipeline writes');
    const { count } = await stack.client.workflow.count(`WorkflowId STARTS_WITH 'transcode/local/media-out/'`);
    expect(count).toBe(1);
  });
});

describe('malformed and foreign events', () => {
  it('are refused with a specific reason or ignored, and start nothing', async () => {
    const starter = createTemporalStarter(stack.client, config);
    const valid = {
      eventType: 'com.oraclecloud.objectstorage.createobject', cloudEventsVersion: '0.1', eventTypeVersion: '2.0', source: 'ObjectStorage',
      eventTime: new Date().toISOString(), eventID: 'e-1',
      data: { resourceName: 'x.mp4', resourceId: '/n/local/b/media-in/o/x.mp4', additionalDetails: { bucketName: 'media-in', namespace: 'local', eTag: 'etag-1' } },
    };
    const before = (await stack.client.workflow.count()).count;
    const refused: [unknown, string][] = [
      [{ ...valid, eventID: undefined }, 'invalid create-object event: eventID is missing'],
      [{ ...valid, data: { ...valid.data, additionalDetails: { ...valid.data.additionalDetails, eTag: 42 } } }, 'invalid create-object event: data.additionalDetails.eTag must be a string'],
      [{ ...valid, data: {} }, 'invalid create-object event: data.additionalDetails is missing'],
      [{ ...valid, eventType: 'com.oraclecloud.computeapi.launchinstance.end' }, 'unknown eventType "com.oraclecloud.computeapi.launchinstance.end": only com.oraclecloud.objectstorage.createobject and com.oraclecloud.objectstorage.updateobject start a run'],
      ['{"eventType": ', 'event is not valid JSON'],
      [null, 'event must be a JSON object'],
      [{ ...valid, data: { ...valid.data, resourceName: 'a\u0000b.mp4' } }, 'data.resourceName contains control character U+0000'],
    ];
    for (const [event, message] of refused) {
      const error = await handleEvent(event, { starter, config }).then(() => undefined, (e: unknown) => e);
      expect(error, message).toBeInstanceOf(InvalidEventError);
      expect((error as Error).message, message).toContain(message);
    }
    const foreign = { ...valid, data: { ...valid.data, resourceId: '/n/local/b/other/o/x.mp4', additionalDetails: { ...valid.data.additionalDetails, bucketName: 'other' } } };
    expect(await handleEvent(foreign, { starter, config })).toEqual({ outcome: 'ignored', reason: 'bucket other is not a configured source (media-in, media-out)' });
    // A rule that also matches deletes: answered, never a failed invocation, and nothing starts.
    expect(await handleEvent({ ...valid, eventType: 'com.oraclecloud.objectstorage.deleteobject' }, { starter, config })).toEqual({
      outcome: 'ignored',
      reason: 'deleteobject of media-in/x.mp4 starts nothing: a deleted source keeps its published outputs',
    });
    expect((await stack.client.workflow.count()).count).toBe(before);
  });
});

describe('after all of it', () => {
  it('every source is untouched, nothing was written outside the destination prefixes, and no job is left', async () => {
    const folders = stack.store;
    if (!(folders instanceof LocalFolderStore)) throw new Error('the local stack must use folder buckets');
    for (const [object, { bucket, sha: before }] of uploaded) {
      expect(sha(await readFile(folders.objectPath(bucket, object))), object).toBe(before);
    }
    // Sources stay exactly what was uploaded; media-out holds only stream prefixes and thumbnails of known names.
    expect((await listAll(stack.store, 'media-in', '')).map((o) => o.name).sort()).toEqual([...uploaded].filter(([, u]) => u.bucket === 'media-in').map(([n]) => n).sort());
    const prefixes = [...uploaded].flatMap(([n, { bucket }]) => [streamPrefix(destOf(bucket), n), thumbnailPng(destOf(bucket), n)]);
    const stray = (await listAll(stack.store, 'media-out', '')).map((o) => o.name).filter((n) => n !== 'direct.mp4' && !prefixes.some((p) => n === p || (p.endsWith('/') && n.startsWith(p))));
    expect(stray).toEqual([]);
    // On disk: only the two bucket folders (and the store's empty staging folder) under buckets/, nothing beside the data dir.
    const onDisk = await filesUnder(bucketsDir());
    expect(onDisk.filter((f) => !f.startsWith('media-in/') && !f.startsWith('media-out/'))).toEqual([]);
    expect(onDisk.some((f) => f.split('/').includes('..'))).toBe(false);
    expect((await readdir(root)).sort()).toEqual(['data', 'made']);
    expect(await liveJobPids(config.dataDir)).toEqual([]);
    expect((await readdir(join(config.dataDir, 'jobs'))).filter((n) => !n.endsWith('.key'))).toEqual([]);
  });
});

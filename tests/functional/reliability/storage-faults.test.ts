// Object Storage failing under the transcoder (the OCI stand-in's fault injection, real oci-sdk clients
// over HTTP): bursts of 503s, throttling and lost answers on puts, parts and commits are ridden out with
// outputs byte-exact to what the transcoder recorded; storage that stays down ends the job with exit 75
// (transient: the workflow retries it on a fresh job) and publishes nothing; the fresh run then leaves
// a complete stream with no stray object. Each run is the transcoder command a container runs.
import { createWriteStream, existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOciObjectStore, type OciObjectStore } from '../../../src/adapters/oci/object-store.js';
import { listAll } from '../../../src/store-io.js';
import type { RenditionsFile } from '../../../src/domain/types.js';
import { makeClip } from '../../helpers/clips.js';
import { standInImages } from '../../oci-stand-in/images.js';
import { startOciStandIn, type OciStandIn } from '../../oci-stand-in/server.js';
import { hlsReferences, runCli, tool } from '../transcoder/harness.js';

const CLIP = { width: 320, height: 180, seconds: 2 } as const;
let standIn: OciStandIn;
let store: OciObjectStore;
let dir: string;
let cliEnv: Record<string, string>;

async function download(prefix: string, into: string): Promise<string[]> {
  const names = (await listAll(store, 'media-out', prefix)).map((o) => o.name);
  for (const name of names) {
    const path = join(into, name);
    await mkdir(dirname(path), { recursive: true });
    await pipeline(await store.get('media-out', name), createWriteStream(path));
  }
  return names;
}

/** Every object matches what the transcoder recorded, every file the master names is there and decodes, no stray media. */
async function expectIntact(object: string, into: string): Promise<void> {
  const names = await download(`${object}/`, into);
  const master = join(into, object, 'master.m3u8');
  const referenced = new Set(await hlsReferences(master));
  for (const file of referenced) expect(existsSync(file), file).toBe(true);
  for (const name of names.filter((n) => /\/renditions\/[^/]+\.json$/.test(n))) {
    const file = JSON.parse(await readFile(join(into, name), 'utf8')) as RenditionsFile;
    for (const r of file.renditions) {
      for (const seg of r.segments) expect((await stat(join(into, object, seg.uri))).size, seg.uri).toBe(seg.bytes);
    }
  }
  // Media objects nobody references would be debris of a failed attempt.
  const media = names.filter((n) => /\.(m4s|ts)$|\/init\.mp4$/.test(n)).map((n) => join(into, n));
  expect(media.filter((m) => !referenced.has(m))).toEqual([]);
  const decode = await tool('ffmpeg', ['-v', 'error', '-i', master, '-map', '0', '-f', 'null', '-']);
  expect(decode.code).toBe(0);
  expect(decode.stderr).toBe('');
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'storage-faults-'));
  standIn = await startOciStandIn({ buckets: ['media-in', 'media-out'], images: standInImages() });
  const workerEnv = standIn.workerEnv(standIn.createApiKey());
  store = createOciObjectStore(workerEnv);
  cliEnv = {
    ...workerEnv,
    OCI_TRANSCODE_STORE: 'oci',
    // Small parts: segments and the poster go multipart, so part and commit faults bite.
    OCI_TRANSCODE_OCI_UPLOAD_PART_BYTES: String(16 * 1024),
    OCI_TRANSCODE_OCI_RETRY_BASE_MS: '20',
    OCI_TRANSCODE_OCI_RETRY_MAX_MS: '200',
    OCI_TRANSCODE_OCI_CIRCUIT_BREAKER: 'false',
  };
  // Sources arrive by other hands: the worker's key may read media-in, not write it.
  const clip = await readFile(await makeClip('landscape', CLIP));
  for (const name of ['flaky.mp4', 'outage.mp4']) standIn.objectStorage.store('media-in', name, clip, 'video/mp4');
});
afterAll(async () => {
  await store?.close();
  await standIn?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

const args = (object: string): string[] => ['--source', `oci://${standIn.namespace}/media-in/${object}`, '--dest', `oci://${standIn.namespace}/media-out/`, '--publish'];

describe('Object Storage errors inside the transcoder', () => {
  it('rides out 503 bursts, throttling and lost answers on puts, parts and commits, with intact outputs', async () => {
    standIn.faults
      .storageErrors(2, { operation: 'GetObject' })
      .storageErrors(4, { operation: 'PutObject' })
      .loseResponses(2, { service: 'objectstorage', operation: 'PutObject' })
      .storageErrors(3, { operation: 'UploadPart' })
      .throttle(2, { service: 'objectstorage', operation: 'CommitMultipartUpload' });
    const run = await runCli(args('flaky.mp4'), cliEnv);
    const injected = standIn.faults.injected;
    standIn.faults.clear();
    expect(run.code, run.stderr.slice(-2000)).toBe(0);
    expect(injected).toBe(13); // every planned fault hit
    expect(standIn.count('UploadPart')).toBeGreaterThan(3);
    expect(standIn.objectStorage.leftovers().uploads).toBe(0);
    await expectIntact('flaky.mp4', join(dir, 'flaky'));
  });

  it('storage down for good: exit 75 (transient) in bounded time, nothing published; the fresh attempt completes cleanly', async () => {
    standIn.faults.storageErrors(Infinity, { operation: 'PutObject' }).storageErrors(Infinity, { operation: 'UploadPart' });
    const failed = await runCli(args('outage.mp4'), { ...cliEnv, OCI_TRANSCODE_OCI_MAX_ATTEMPTS: '2' });
    standIn.faults.clear();
    expect(failed.code).toBe(75);
    expect(failed.elapsedMs).toBeLessThan(60_000);
    expect(failed.events.at(-1)).toMatchObject({ event: 'error', code: 75, kind: 'transient' });
    for (const master of ['master.m3u8', 'manifest.mpd']) expect(await store.head('media-out', `outage.mp4/${master}`)).toBeUndefined();
    expect(await store.head('media-out', 'thumbnails/outage.mp4_thumb.png')).toBeUndefined();

    const retried = await runCli(args('outage.mp4'), cliEnv);
    expect(retried.code).toBe(0);
    expect(standIn.objectStorage.leftovers().uploads).toBe(0);
    await expectIntact('outage.mp4', join(dir, 'outage'));
    expect(standIn.stats.rejected).toBe(0);
  });
});

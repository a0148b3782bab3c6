// The bucket-folder watcher on a real file system: one event per fully written file, none for
// temporary files or other buckets, a new event when an upload replaces a name.
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LocalFolderStore } from '../../../src/adapters/local/object-store.js';
import { decodeObjectPath } from '../../../src/adapters/local/safe-path.js';
import type { ObjectInfo } from '../../../src/ports.js';
import type { CreateObjectEvent } from '../../../src/stack/object-event.js';
import { watchBuckets, type BucketWatcher } from '../../../src/stack/watcher.js';

let root: string;
let watcher: BucketWatcher | undefined;
const events: CreateObjectEvent[] = [];

/** A content-hash head, so two different uploads under one name have different eTags. */
async function head(bucket: string, name: string): Promise<ObjectInfo | undefined> {
  try {
    const path = join(root, bucket, name);
    const [info, body] = await Promise.all([stat(path), readFile(path)]);
    return { name, size: info.size, etag: createHash('md5').update(body).digest('hex') };
  } catch {
    return undefined;
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
async function until(check: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('timed out');
    await sleep(50);
  }
}

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'watcher-'));
  events.length = 0;
  await mkdir(join(root, 'media-out'), { recursive: true });
  watcher = await watchBuckets({
    bucketsDir: root, buckets: ['media-in'], namespace: 'local', head, stabilityMs: 300,
    deliver: async (event) => {
      events.push(event);
      await Promise.resolve();
    },
  });
});
afterEach(async () => {
  await watcher?.close();
  await rm(root, { recursive: true, force: true });
});

describe('watchBuckets', () => {
  it('emits one event, after the last byte, for a file written slowly in pieces', async () => {
    const path = join(root, 'media-in', 'slow.mp4');
    const out = createWriteStream(path);
    for (let i = 0; i < 5; i++) {
      out.write(Buffer.alloc(64 * 1024, i));
      await sleep(120); // each pause is shorter than the stability window
    }
    await new Promise((r) => out.end(r));
    await until(() => events.length > 0);
    await sleep(600);
    expect(events).toHaveLength(1);
    const whole = await head('media-in', 'slow.mp4');
    expect(events[0]!.data.additionalDetails.eTag).toBe(whole!.etag);
    expect(whole!.size).toBe(5 * 64 * 1024);
  });

  it('names nested objects with forward slashes and gives each delivery its own id', async () => {
    await mkdir(join(root, 'media-in', 'trips', '2024'), { recursive: true });
    await writeFile(join(root, 'media-in', 'trips', '2024', 'a b.mov'), 'x');
    await until(() => events.length === 1);
    expect(events[0]!.data).toMatchObject({ resourceName: 'trips/2024/a b.mov', resourceId: '/n/local/b/media-in/o/trips/2024/a b.mov' });
    const again = await watcher!.emit('media-in', 'trips/2024/a b.mov');
    expect(again?.eventID).not.toBe(events[0]!.eventID);
    expect(again?.data.additionalDetails.eTag).toBe(events[0]!.data.additionalDetails.eTag);
  });

  it('ignores staging files, dot files and buckets that are not sources', async () => {
    await writeFile(join(root, 'media-in', '.upload-123'), 'x');
    await writeFile(join(root, 'media-in', 'clip.mp4.tmp'), 'x');
    await writeFile(join(root, 'media-out', 'master.m3u8'), 'x');
    await sleep(1000);
    expect(events).toEqual([]);
  });

  it('emits a new event with a new eTag when an upload atomically replaces a name: updateobject, as OCI may', async () => {
    const path = join(root, 'media-in', 'clip.mp4');
    await writeFile(path, 'first version');
    await until(() => events.length === 1);
    await writeFile(`${path}.tmp`, 'second version');
    await rename(`${path}.tmp`, path);
    await until(() => events.length === 2);
    expect(events[1]!.data.additionalDetails.eTag).not.toBe(events[0]!.data.additionalDetails.eTag);
    expect(events.map((e) => e.eventType)).toEqual(['com.oraclecloud.objectstorage.createobject', 'com.oraclecloud.objectstorage.updateobject']);
    // Rewritten in place, too.
    await writeFile(path, 'third version');
    await until(() => events.length === 3);
    expect(events[2]!.eventType).toBe('com.oraclecloud.objectstorage.updateobject');
  });
});

describe('watchBuckets over the folder store', () => {
  it('reports the exact object name and eTag the store gives, for names the store has to escape', async () => {
    const storeRoot = await mkdtemp(join(tmpdir(), 'watcher-store-'));
    const store = new LocalFolderStore(storeRoot, 'local');
    const seen: CreateObjectEvent[] = [];
    const w = await watchBuckets({
      bucketsDir: storeRoot, buckets: ['media-in'], namespace: 'local', stabilityMs: 200, nameOf: decodeObjectPath,
      head: (b, n) => store.head(b, n),
      deliver: (event) => Promise.resolve(void seen.push(event)),
    });
    try {
      const name = '../%odd/ name.mp4';
      const put = await store.put('media-in', name, 'body');
      await until(() => seen.length === 1);
      await sleep(500); // the store's staging file (outside the bucket folder) must not add a second event
      expect(seen).toHaveLength(1);
      expect(seen[0]!.data.resourceName).toBe(name);
      expect(seen[0]!.data.additionalDetails.eTag).toBe(put.etag);
    } finally {
      await w.close();
      await rm(storeRoot, { recursive: true, force: true });
    }
  });
});

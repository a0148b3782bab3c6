// The OCI ObjectStore through the real oci-objectstorage client, signed with a real key, against the
// stand-in: round trips, multipart beyond one part, paging, PAR read URLs, error mapping, faults.
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createOciObjectStore, type OciObjectStore } from '../../../src/adapters/oci/object-store.js';
import { NotFoundError, TransientError } from '../../../src/ports.js';
import { startOciStandIn, type OciStandIn } from '../../oci-stand-in/server.js';

const PART = 256 * 1024;
let standIn: OciStandIn;
let store: OciObjectStore;
let dir: string;

async function text(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

beforeAll(async () => {
  standIn = await startOciStandIn({ buckets: ['media-in', 'media-out'] });
  const env = { ...standIn.workerEnv(standIn.createApiKey()), OCI_TRANSCODE_OCI_UPLOAD_PART_BYTES: String(PART), OCI_TRANSCODE_OCI_RETRY_BASE_MS: '20', OCI_TRANSCODE_OCI_MAX_ATTEMPTS: '5' };
  store = createOciObjectStore(env);
  dir = await mkdtemp(join(tmpdir(), 'oci-store-'));
});

afterAll(async () => {
  await store?.close();
  await standIn?.stop();
  await rm(dir, { recursive: true, force: true });
});

afterEach(() => standIn.faults.clear());

describe('OciObjectStore against the stand-in', () => {
  it('puts, heads, gets and deletes a small object', async () => {
    const info = await store.put('media-out', 'a/b c/ünï.txt', 'hello', { contentType: 'text/plain', cacheControl: 'max-age=60' });
    expect(info).toMatchObject({ name: 'a/b c/ünï.txt', size: 5 });
    expect(info.etag).toMatch(/\S/);
    const head = await store.head('media-out', 'a/b c/ünï.txt');
    expect(head).toMatchObject({ size: 5, etag: info.etag, contentType: 'text/plain' });
    expect((await text(await store.get('media-out', 'a/b c/ünï.txt'))).toString()).toBe('hello');
    await store.delete('media-out', 'a/b c/ünï.txt');
    expect(await store.head('media-out', 'a/b c/ünï.txt')).toBeUndefined();
    await store.delete('media-out', 'a/b c/ünï.txt'); // idempotent
    await expect(store.get('media-out', 'a/b c/ünï.txt')).rejects.toBeInstanceOf(NotFoundError);
  });

  it('reads Last-Modified and list times exactly, at any hour and in this process zone', async () => {
    // 00:05 and 09:59 are the hours at which oci-common's header conversion breaks `new Date`.
    for (const instant of ['2026-12-01T00:05:00.000Z', '2026-12-01T09:59:59.000Z', '2026-12-01T23:59:00.000Z']) {
      const name = `times/${instant}.txt`;
      standIn.objectStorage.store('media-out', name, Buffer.from('t')).timeCreated = new Date(instant);
      expect((await store.head('media-out', name))?.modified, `${instant} (TZ=${process.env.TZ ?? 'unset'})`).toBe(instant);
      const listed = (await store.list('media-out', name)).objects[0];
      expect(listed?.modified).toBe(instant);
    }
  });

  it('uploads a file larger than one part as multipart, byte for byte', async () => {
    const data = randomBytes(PART * 3 + 12345);
    const path = join(dir, 'big.bin');
    await writeFile(path, data);
    const before = standIn.count('UploadPart');
    const info = await store.putFile('media-out', 'big/file.bin', path, { contentType: 'video/mp4' });
    expect(standIn.count('UploadPart') - before).toBe(4);
    expect(standIn.count('CommitMultipartUpload')).toBeGreaterThanOrEqual(1);
    expect(info.size).toBe(data.length);
    const back = await text(await store.get('media-out', 'big/file.bin'));
    expect(sha(back)).toBe(sha(data));
    expect(standIn.objectStorage.leftovers().uploads).toBe(0);
  });

  it('streams a large Readable through multipart and a small one through one put', async () => {
    const data = randomBytes(PART * 2 + 1);
    const beforeParts = standIn.count('UploadPart');
    const big = await store.put('media-out', 'stream/big', Readable.from([data.subarray(0, 1000), data.subarray(1000)]));
    expect(big.size).toBe(data.length);
    expect(standIn.count('UploadPart') - beforeParts).toBe(3);
    expect(sha(await text(await store.get('media-out', 'stream/big')))).toBe(sha(data));
    const beforePuts = standIn.count('PutObject');
    const small = await store.put('media-out', 'stream/small', Readable.from([Buffer.from('tiny')]));
    expect(small.size).toBe(4);
    expect(standIn.count('PutObject') - beforePuts).toBe(1);
  });

  it('lists with paging (nextStartWith) and full fields', async () => {
    for (let i = 0; i < 7; i++) await store.put('media-out', `list/item-${i}`, `v${i}`);
    await store.put('media-out', 'other/x', 'x');
    const names: string[] = [];
    let start: string | undefined;
    let pages = 0;
    do {
      const page = await store.list('media-out', 'list/', { start, limit: 3 });
      for (const o of page.objects) {
        expect(o.size).toBe(2);
        expect(o.etag).toMatch(/\S/);
      }
      names.push(...page.objects.map((o) => o.name));
      start = page.next;
      pages++;
    } while (start);
    expect(pages).toBe(3);
    expect(names).toEqual(Array.from({ length: 7 }, (_, i) => `list/item-${i}`));
  });

  it('gives a short-lived read-only URL that serves ranges and dies on dispose', async () => {
    standIn.objectStorage.store('media-in', 'in/clip one.mp4', Buffer.from('0123456789')); // an upload: the worker only reads media-in
    const asked = Date.now();
    const link = await store.readUrl('media-in', 'in/clip one.mp4', 60);
    const { url } = link;
    // The expiry the service reports, read through ociDate: a minute from now.
    expect(Date.parse(link.expiresAt ?? '') - asked).toBeGreaterThan(55_000);
    expect(Date.parse(link.expiresAt ?? '') - asked).toBeLessThanOrEqual(61_000);
    expect(url.startsWith(standIn.url)).toBe(true);
    const whole = await fetch(url);
    expect(await whole.text()).toBe('0123456789');
    const part = await fetch(url, { headers: { range: 'bytes=2-4' } });
    expect(part.status).toBe(206);
    expect(await part.text()).toBe('234');
    expect(standIn.objectStorage.leftovers().pars).toBe(1);
    await link.dispose();
    expect(standIn.objectStorage.leftovers().pars).toBe(0);
    expect((await fetch(url)).status).toBe(404);
    await link.dispose(); // twice is fine
  });

  it('maps a missing bucket to NotFoundError and rides out transient storage errors', async () => {
    await expect(store.get('no-such-bucket', 'x')).rejects.toBeInstanceOf(NotFoundError);
    standIn.faults.storageErrors(2, { operation: 'PutObject' }).throttle(2, { service: 'objectstorage', operation: 'GetObject' });
    await store.put('media-out', 'flaky', 'data');
    expect((await text(await store.get('media-out', 'flaky'))).toString()).toBe('data');
    expect(standIn.faults.injected).toBeGreaterThanOrEqual(4);
  });

  it('retries a multipart upload whose parts keep failing, then succeeds', async () => {
    const data = randomBytes(PART * 2 + 7);
    const path = join(dir, 'flaky.bin');
    await writeFile(path, data);
    standIn.faults.storageErrors(5, { operation: 'UploadPart' });
    await store.putFile('media-out', 'flaky/multi.bin', path);
    expect(sha(await text(await store.get('media-out', 'flaky/multi.bin')))).toBe(sha(data));
    expect(standIn.objectStorage.leftovers().uploads).toBe(0);
  });

  it('surfaces persistent 5xx as TransientError', async () => {
    standIn.faults.storageErrors(Infinity, { operation: 'HeadObject' });
    await expect(store.head('media-out', 'anything')).rejects.toBeInstanceOf(TransientError);
  });

  it('signed every request, and the stand-in verified each one', () => {
    expect(standIn.stats.rejected).toBe(0);
    expect(standIn.stats.verified).toBeGreaterThan(20);
    expect(standIn.requests.filter((r) => r.operation !== 'ReadWithPar').every((r) => r.principal?.kind === 'user')).toBe(true);
  });
});

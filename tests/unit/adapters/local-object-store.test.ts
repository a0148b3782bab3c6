import { mkdtemp, readdir, readFile, rm, stat, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative, sep } from 'node:path';
import { Readable } from 'node:stream';
import { text } from 'node:stream/consumers';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LocalFolderStore } from '../../../src/adapters/local/object-store.js';
import { decodeObjectPath, encodeObjectName, MAX_NAME_BYTES } from '../../../src/adapters/local/safe-path.js';
import { NotFoundError } from '../../../src/ports.js';

let root: string;
let store: LocalFolderStore;

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'local-store-'));
  store = new LocalFolderStore(root, 'ns');
});
afterEach(async () => rm(root, { recursive: true, force: true }));

/** Every file under a folder, relative to it. */
async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile()).map((e) => relative(dir, join(e.parentPath, e.name)));
}

const hostile = [
  '../escape.txt',
  '../../etc/passwd',
  '/leading-slash',
  'a/./b',
  'a/../../b',
  '..',
  '.',
  'trailing/',
  'double//slash',
  '%2e%2e/pct',
  '%',
  'ünïcödé/名前 with spaces.mp4',
  `it's "quoted" & $(shell) \`tick\`.mp4`,
  'nul\0byte',
  '+plus/%+marker',
  `${'long-'.repeat(200)}.mp4`, // 1004 bytes: one segment far over a file name's 255
  `deep/${'ü'.repeat(500)}/x`, // 1007 bytes
];

describe('safe object paths', () => {
  it('keeps ordinary names as they are, so hand-dropped files are objects of the same name', () => {
    expect(encodeObjectName('media/clip 1.mp4')).toEqual(['media', 'clip 1.mp4']);
    expect(encodeObjectName('50%off.mp4')).toEqual(['50%off.mp4']);
  });

  it.each(hostile)('round-trips %j with every file name short and harmless', (name) => {
    const names = encodeObjectName(name);
    for (const n of names) {
      expect(n === '' || n === '.' || n === '..' || n.includes('/') || n.includes('\0')).toBe(false);
      expect(Buffer.byteLength(n)).toBeLessThanOrEqual(MAX_NAME_BYTES);
    }
    expect(decodeObjectPath(names)).toBe(name);
  });

  it('ignores files no object name maps to', () => {
    expect(decodeObjectPath(['%zz'])).toBeUndefined();
    expect(decodeObjectPath(['%plain'])).toBeUndefined(); // would re-encode as "plain"
  });
});

describe('LocalFolderStore', () => {
  it('refuses object names over 1024 UTF-8 bytes, as Object Storage does, and writes nothing', async () => {
    const fits = `${'é'.repeat(510)}abcd`; // 1024 bytes
    await store.put('bucket', fits, 'ok');
    expect(await store.head('bucket', fits)).toBeDefined();
    await expect(store.put('bucket', `${fits}x`, 'no')).rejects.toThrow(/1025-byte object name in bucket bucket: names are at most 1024 bytes/);
    expect((await store.list('bucket', '')).objects.map((o) => o.name)).toEqual([fits]);
  });

  it('stores hostile names inside the bucket folder only, and lists the original names', async () => {
    // '..' would be a file where '../escape.txt' needs a folder: folders cannot hold both (see below).
    const names = hostile.filter((n) => n !== '..');
    for (const name of names) await store.put('bucket', name, `body of ${name}`);
    const outside = (await readdir(root)).sort();
    expect(outside).toEqual(['.tmp', 'bucket']);
    expect(await readdir(join(root, '.tmp'))).toEqual([]);
    for (const file of await filesUnder(join(root, 'bucket'))) expect(file.split(sep)).not.toContain('..');
    const listed = (await store.list('bucket', '')).objects.map((o) => o.name);
    expect(listed).toEqual([...names].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b))));
    for (const name of names) expect(await text(await store.get('bucket', name))).toBe(`body of ${name}`);
  });

  it('explains the one thing folders cannot do: an object and a "folder" of the same name', async () => {
    await store.put('b', 'a/b', 'x');
    await expect(store.put('b', 'a', 'y')).rejects.toThrow(/cannot store "a" .*clashes/);
    await store.put('b', 'c', 'x');
    await expect(store.put('b', 'c/d', 'y')).rejects.toThrow(/cannot store "c\/d" .*clashes/);
    expect(await readdir(join(root, '.tmp'))).toEqual([]);
  });

  it('rejects invalid bucket names', async () => {
    for (const bucket of ['..', '.tmp', 'a/b', '', '../x']) await expect(store.put(bucket, 'x', 'y')).rejects.toThrow(/invalid bucket name/);
  });

  it('puts buffers, strings, streams and files; head and get see them', async () => {
    await store.put('b', 'buf', Buffer.from('buffer'));
    await store.put('b', 'str', 'string');
    await store.put('b', 'stream', Readable.from(['chunk1', 'chunk2']));
    const source = join(root, 'source.bin');
    await writeFile(source, 'from a file');
    const info = await store.putFile('b', 'dir/file', source, { contentType: 'application/octet-stream' });
    expect(info).toMatchObject({ name: 'dir/file', size: 11 });
    expect(await readFile(join(root, 'b', 'dir', 'file'), 'utf8')).toBe('from a file');
    expect(await text(await store.get('b', 'stream'))).toBe('chunk1chunk2');
    expect(await store.head('b', 'str')).toMatchObject({ name: 'str', size: 6 });
    expect(await store.head('b', 'missing')).toBeUndefined();
    expect(await store.head('b', 'dir')).toBeUndefined(); // a folder is not an object
    await expect(store.get('b', 'missing')).rejects.toBeInstanceOf(NotFoundError);
  });

  it('keeps an etag stable for one upload and changes it for a new upload of the same name', async () => {
    const first = await store.put('b', 'clip.mp4', 'same bytes');
    expect((await store.head('b', 'clip.mp4'))?.etag).toBe(first.etag);
    expect((await store.list('b', '')).objects[0]?.etag).toBe(first.etag);
    const second = await store.put('b', 'clip.mp4', 'same bytes');
    expect(second.etag).not.toBe(first.etag);
  });

  it('writes atomically: the target never holds a partial body', async () => {
    await store.put('b', 'obj', 'old');
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    async function* slow(): AsyncGenerator<string> {
      yield 'new-part-1;';
      await gate;
      yield 'new-part-2';
    }
    const writing = store.put('b', 'obj', Readable.from(slow()));
    await new Promise((r) => setTimeout(r, 50));
    expect(await readFile(join(root, 'b', 'obj'), 'utf8')).toBe('old');
    expect(await filesUnder(join(root, 'b'))).toEqual(['obj']); // the temp file is outside the bucket
    release();
    await writing;
    expect(await readFile(join(root, 'b', 'obj'), 'utf8')).toBe('new-part-1;new-part-2');
  });

  it('fails a put whose stream fails, leaving no temp file and no object', async () => {
    const failing = new Readable({
      read() {
        this.destroy(new Error('network dropped'));
      },
    });
    await expect(store.put('b', 'broken', failing)).rejects.toThrow(/network dropped/);
    expect(await store.head('b', 'broken')).toBeUndefined();
    expect(await readdir(join(root, '.tmp'))).toEqual([]);
  });

  it('lists by prefix in byte order with paging', async () => {
    const names = ['a/1', 'a/2', 'a/3', 'a/sub/4', 'ab', 'b/5', 'z'];
    for (const n of names.slice().reverse()) await store.put('b', n, n);
    expect((await store.list('b', 'a/')).objects.map((o) => o.name)).toEqual(['a/1', 'a/2', 'a/3', 'a/sub/4']);
    expect((await store.list('b', 'a')).objects.map((o) => o.name)).toEqual(['a/1', 'a/2', 'a/3', 'a/sub/4', 'ab']);
    expect((await store.list('b', 'a/s')).objects.map((o) => o.name)).toEqual(['a/sub/4']);
    expect((await store.list('b', 'nope/')).objects).toEqual([]);
    expect((await store.list('missing-bucket', '')).objects).toEqual([]);

    const seen: string[] = [];
    let start: string | undefined;
    let pages = 0;
    do {
      const page = await store.list('b', '', { limit: 3, ...(start ? { start } : {}) });
      seen.push(...page.objects.map((o) => o.name));
      start = page.next;
      pages++;
    } while (start);
    expect(seen).toEqual(names);
    expect(pages).toBe(3);
  });

  it('deletes idempotently and prunes the folders it empties', async () => {
    await store.put('b', 'x/y/z.ts', 'seg');
    await store.put('b', 'x/keep', 'k');
    await store.delete('b', 'x/y/z.ts');
    await store.delete('b', 'x/y/z.ts');
    await store.delete('b', 'never/existed');
    await store.delete('b', 'x'); // a folder is not an object: untouched
    expect(await filesUnder(join(root, 'b'))).toEqual([join('x', 'keep')]);
    await expect(stat(join(root, 'b', 'x', 'y'))).rejects.toThrow(/ENOENT/);
    await store.delete('b', 'x/keep');
    expect(await readdir(join(root, 'b'))).toEqual([]);
  });

  it('gives a local path as read URL for existing objects only', async () => {
    await mkdir(join(root, 'b'), { recursive: true });
    await writeFile(join(root, 'b', 'dropped.mp4'), 'dropped by hand');
    const read = await store.readUrl('b', 'dropped.mp4', 60);
    expect(read.url).toBe(join(root, 'b', 'dropped.mp4'));
    await read.dispose();
    await expect(store.readUrl('b', 'nope.mp4', 60)).rejects.toBeInstanceOf(NotFoundError);
  });
});

// Object names never become paths outside their bucket folder in local mode: a seeded, property-style
// sweep of hostile names (traversal, absolute, escapes, shell syntax, unicode tricks, very long) through
// LocalFolderStore, checking where each lands on disk, that it reads back, lists and deletes as itself.
import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, realpath, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative, sep } from 'node:path';
import { text } from 'node:stream/consumers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalFolderStore } from '../../../src/adapters/local/object-store.js';
import { checkBucketName, ObjectNameError } from '../../../src/adapters/local/safe-path.js';
import { outputNameProblem } from '../../../src/domain/layout.js';

const FRAGMENTS = [
  '..', '.', '', '/', '//', '../', '/..', '\\..\\', '%', '%2e%2e', '%2F', '%+', '+', '~', '$(id)', '`id`', '$HOME', '"', "'", ' ', '#', '?', '*', '&', ';',
  '|', '>', '\n', '\t', '\0', 'ñ', '日本語', '🎬', '\u202e', '\u200b', 'e\u0301', 'CON', '.hidden', '-rf', 'a'.repeat(250), 'é'.repeat(120), 'x',
];

/** Mulberry32: a tiny seeded generator, so a failure names a reproducible case. */
function rng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function hostileNames(count: number, seed = 20261127): string[] {
  const next = rng(seed);
  const names = new Set<string>(['../../etc/passwd', '/etc/passwd', '..', '.', '/', '%', '%2e%2e/%2e%2e/x', 'a/../../b', '....//....//x']);
  while (names.size < count) {
    const parts = Array.from({ length: 1 + Math.floor(next() * 6) }, () => FRAGMENTS[Math.floor(next() * FRAGMENTS.length)]!);
    const name = parts.join(next() < 0.5 ? '/' : '');
    if (name !== '' && Buffer.byteLength(name) <= 1024) names.add(name);
  }
  return [...names];
}

let root: string;
beforeAll(async () => {
  root = await realpath(await mkdtemp(join(tmpdir(), 'safe-names-')));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('LocalFolderStore with hostile object names', () => {
  it('keeps every name inside its bucket folder, and reads, lists and deletes it as itself', async () => {
    const store = new LocalFolderStore(join(root, 'buckets'));
    const bucketDir = join(root, 'buckets', 'b');
    const names = hostileNames(300);
    const bodies = new Map<string, string>();
    for (const name of names) {
      const body = randomBytes(8).toString('hex');
      // A name that is both an object and a "folder" of another one cannot live in folders; that is a clear error, not an escape.
      const stored = await store.put('b', name, body).then(() => true, (error: Error) => {
        expect(error.message, JSON.stringify(name)).toMatch(/clashes with an existing object or folder/);
        return false;
      });
      if (!stored) continue;
      bodies.set(name, body);
      const path = await realpath(store.objectPath('b', name));
      expect(path.startsWith(bucketDir + sep), JSON.stringify(name)).toBe(true);
      expect(relative(bucketDir, path).split(sep), JSON.stringify(name)).not.toContain('..');
    }
    expect(bodies.size).toBeGreaterThan(200);
    for (const [name, body] of bodies) expect(await text(await store.get('b', name)), JSON.stringify(name)).toBe(body);
    const listed: string[] = [];
    for (let start: string | undefined, first = true; first || start; first = false) {
      const page = await store.list('b', '', { start, limit: 97 });
      listed.push(...page.objects.map((o) => o.name));
      start = page.next;
    }
    expect(listed.sort()).toEqual([...bodies.keys()].sort());
    // Nothing was ever written beside the bucket folder (the staging folder is left empty).
    const outside = (await readdir(root, { recursive: true, withFileTypes: true }))
      .filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name)).filter((p) => !p.startsWith(bucketDir + sep));
    expect(outside).toEqual([]);
    for (const name of bodies.keys()) await store.delete('b', name);
    expect((await readdir(bucketDir))).toEqual([]);
    // 300 names, each written, read, listed and deleted: 2 to 3 s, more beside an encode on two cores.
  }, 30_000);

  it('refuses names that are not valid Unicode, and bucket names that are not plain folder names', async () => {
    const store = new LocalFolderStore(join(root, 'other'));
    await expect(store.put('b', 'half \uD800 surrogate', 'x')).rejects.toBeInstanceOf(ObjectNameError);
    for (const bucket of ['..', '.', '../b', 'a/b', '', '.hidden', 'b\0', 'x'.repeat(64), '/abs']) {
      expect(() => checkBucketName(bucket), JSON.stringify(bucket)).toThrow(ObjectNameError);
      await expect(store.put(bucket, 'x', 'x')).rejects.toThrow(/invalid bucket name/);
    }
  });
});

describe('output names within the object name limit', () => {
  it('allows a name whose longest output fits 1024 bytes, refuses one byte more, counting UTF-8 bytes and the prefix', () => {
    const dest = { bucket: 'out', prefix: 'streams' };
    const fits = 'é'.repeat(483) + 'x'; // 967 bytes: 8 + 967 + 1 + 48 = 1024
    expect(Buffer.byteLength(fits)).toBe(967);
    expect(outputNameProblem(dest, fits)).toBeUndefined();
    expect(outputNameProblem(dest, `${fits}y`)).toBe(
      'the object name is 968 bytes: its outputs would be named up to 1025 bytes, above the 1024-byte object name limit (names of at most 967 bytes fit under the destination prefix "streams/")',
    );
    expect(outputNameProblem({ bucket: 'out' }, 'a'.repeat(975))).toBeUndefined();
    expect(outputNameProblem({ bucket: 'out' }, 'a'.repeat(976))).toMatch(/names of at most 975 bytes fit\)$/);
  });
});

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LocalFolderStore } from '../../../src/adapters/local/object-store.js';
import { openStore, STORE_ENV } from '../../../src/adapters/open-store.js';
import { parseStoreUri } from '../../../src/adapters/uri.js';

describe('parseStoreUri', () => {
  it('maps a local source path to root, bucket folder and object', () => {
    expect(parseStoreUri('/a/b/c.mp4', 'object')).toEqual({ kind: 'local', root: '/a', bucket: 'b', name: 'c.mp4' });
    expect(parseStoreUri('rel/in/x y.mov', 'object')).toEqual({ kind: 'local', root: resolve('rel'), bucket: 'in', name: 'x y.mov' });
  });

  it('maps a local destination to root and bucket with an empty prefix', () => {
    expect(parseStoreUri('/x/out', 'root')).toEqual({ kind: 'local', root: '/x', bucket: 'out', name: '' });
    expect(parseStoreUri('/x/out/', 'root')).toEqual({ kind: 'local', root: '/x', bucket: 'out', name: '' });
  });

  it('parses oci:// uris verbatim, prefixes and nested names included', () => {
    expect(parseStoreUri('oci://ns/media-in/dir/clip 50%.mp4', 'object')).toEqual({ kind: 'oci', namespace: 'ns', bucket: 'media-in', name: 'dir/clip 50%.mp4' });
    expect(parseStoreUri('oci://ns/media-out', 'root')).toEqual({ kind: 'oci', namespace: 'ns', bucket: 'media-out', name: '' });
    expect(parseStoreUri('oci://ns/media-out/vod/', 'root')).toMatchObject({ name: 'vod/' });
  });

  it('explains what is wrong with a bad uri', () => {
    expect(() => parseStoreUri('oci://ns', 'object')).toThrow(/expected oci:\/\/<namespace>\/<bucket>/);
    expect(() => parseStoreUri('oci://ns/bucket', 'object')).toThrow(/names a bucket, not an object/);
    expect(() => parseStoreUri('https://example/x.mp4', 'object')).toThrow(/unsupported scheme/);
    expect(() => parseStoreUri('/clip.mp4', 'object')).toThrow(/must sit in a bucket folder/);
    expect(() => parseStoreUri('/', 'root')).toThrow(/must be a bucket folder/);
    expect(() => parseStoreUri('/data/.hidden/x.mp4', 'object')).toThrow(/invalid bucket name/);
    expect(() => parseStoreUri('', 'object')).toThrow(/empty uri/);
  });
});

describe('openStore', () => {
  it('opens folders for local paths', async () => {
    const store = await openStore(parseStoreUri('/a/b/c.mp4', 'object'), {});
    expect(store).toBeInstanceOf(LocalFolderStore);
    expect((store as LocalFolderStore).root).toBe('/a');
  });

  it('opens a folder store for oci:// when the environment says local:<dir>', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'open-store-'));
    try {
      const store = await openStore(parseStoreUri('oci://tenancy-ns/media-in/x.mp4', 'object'), { [STORE_ENV]: `local:${dir}` });
      expect(store).toBeInstanceOf(LocalFolderStore);
      expect(store.namespace).toBe('tenancy-ns');
      await store.put('media-in', 'x.mp4', 'bytes');
      expect((await store.head('media-in', 'x.mp4'))?.size).toBe(5);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('rejects unknown store settings', async () => {
    const location = parseStoreUri('oci://ns/b/x', 'object');
    await expect(openStore(location, { [STORE_ENV]: 's3' })).rejects.toThrow(/expected "oci" or "local:<dir>"/);
    await expect(openStore(location, { [STORE_ENV]: 'local:' })).rejects.toThrow(/needs a folder/);
  });
});

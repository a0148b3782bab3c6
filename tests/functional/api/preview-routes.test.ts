// The preview page's server side over HTTP, with a real local folder store: the page and shaka-player
// come from this server (no CDN), media are served from the destination bucket with byte ranges as
// players ask for them, and behind the job API the data and media need a key while the page itself does not.
import { mkdtemp, rm } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobDirectory } from '../../../src/api/jobs.js';
import { ApiKeyStore, createKey } from '../../../src/api/keys.js';
import { buildApiServer } from '../../../src/api/server.js';
import { LocalFolderStore } from '../../../src/adapters/local/object-store.js';
import { loadConfig } from '../../../src/config.js';

let dir: string;
let app: FastifyInstance;
let base: string;
let key: string;
const segment = Buffer.from(Array.from({ length: 1000 }, (_, i) => i % 256));

/** Runs are not what this file tests (tests/e2e/preview.test.ts does, on a real Temporal): none here. */
const noRuns: JobDirectory = { get: () => Promise.resolve(undefined), list: () => Promise.resolve([]), cancel: () => Promise.resolve(undefined) };

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'preview-routes-'));
  const store = new LocalFolderStore(join(dir, 'buckets'), 'local');
  await store.put('media-out', 'a clip.mp4/v-00000001/720p/seg_00001.m4s', segment, { contentType: 'video/iso.segment' });
  await store.put('media-out', 'a clip.mp4/master.m3u8', '#EXTM3U\n', { contentType: 'application/vnd.apple.mpegurl' });
  key = createKey(join(dir, 'keys.json'), 'routes').key;
  const config = { ...loadConfig({}), mode: 'oci' as const };
  app = await buildApiServer({ jobs: noRuns, start: () => Promise.reject(new Error('unused')), store, config, keys: new ApiKeyStore(join(dir, 'keys.json')) });
  await app.listen({ host: '127.0.0.1', port: 0 });
  base = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
});

afterAll(async () => {
  await app?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

const get = (path: string, headers: Record<string, string> = {}) => fetch(`${base}${path}`, { headers, redirect: 'manual' });
const auth = () => ({ authorization: `Bearer ${key}` });
const rawStatus = (path: string): Promise<number> =>
  new Promise((done, fail) => request({ host: '127.0.0.1', port: new URL(base).port, path }, (res) => done(res.resume().statusCode ?? 0)).on('error', fail).end());

describe('preview routes', () => {
  it('serve the page, its assets and shaka-player to anyone; /preview redirects to /preview/', async () => {
    const page = await get('/preview/');
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    const html = await page.text();
    expect(html).toContain('src="lib/shaka/shaka-player.compiled.js"');
    expect(html).not.toMatch(/https?:\/\//); // nothing from elsewhere
    expect((await get('/preview/assets/app.js')).status).toBe(200);
    const shaka = await get('/preview/lib/shaka/shaka-player.compiled.js');
    expect(shaka.status).toBe(200);
    expect((await shaka.text()).length).toBeGreaterThan(100_000);
    // No way out of the folders (raw paths: fetch would resolve the dots before sending).
    expect([403, 404]).toContain(await rawStatus('/preview/lib/shaka/../../package.json'));
    expect([403, 404]).toContain(await rawStatus('/preview/assets/%2e%2e/plugin.ts'));
    expect((await get('/preview/lib/shaka/controls.css')).status).toBe(404); // only the player itself
    const bare = await get('/preview');
    expect([bare.status, bare.headers.get('location')]).toEqual([302, '/preview/']);
    expect(await (await get('/preview/data/config')).json()).toEqual({ requiresKey: true });
  });

  it('keep runs and media behind the key', async () => {
    expect((await get('/preview/data/runs')).status).toBe(401);
    expect((await get('/preview/media/a%20clip.mp4/master.m3u8')).status).toBe(401);
    expect(await (await get('/preview/data/runs', auth())).json()).toEqual({ runs: [] });
    expect((await get('/preview/data/runs/nope', auth())).status).toBe(404);
    // A public prefix with dots in it never reaches a guarded route without the key.
    for (const path of ['/preview/assets/../data/runs', '/preview/lib/%2e%2e/data/runs', '/preview/assets/..%2fdata/runs', '/openapi.json/../v1/jobs', '/preview/data/config/../runs']) {
      expect([401, 403, 404], path).toContain(await rawStatus(path));
    }
  });

  it('serve media from the destination bucket, whole or by range', async () => {
    const name = '/preview/media/a%20clip.mp4/v-00000001/720p/seg_00001.m4s';
    const whole = await get(name, auth());
    expect(whole.status).toBe(200);
    expect(whole.headers.get('content-type')).toBe('video/iso.segment');
    expect(whole.headers.get('accept-ranges')).toBe('bytes');
    expect(Buffer.from(await whole.arrayBuffer()).equals(segment)).toBe(true);
    const part = await get(name, { ...auth(), range: 'bytes=100-199' });
    expect(part.status).toBe(206);
    expect(part.headers.get('content-range')).toBe('bytes 100-199/1000');
    expect(Buffer.from(await part.arrayBuffer()).equals(segment.subarray(100, 200))).toBe(true);
    const tail = await get(name, { ...auth(), range: 'bytes=-10' });
    expect(Buffer.from(await tail.arrayBuffer()).equals(segment.subarray(990))).toBe(true);
    const beyond = await get(name, { ...auth(), range: 'bytes=5000-' });
    expect([beyond.status, beyond.headers.get('content-range')]).toEqual([416, 'bytes */1000']);
    expect((await get('/preview/media/a%20clip.mp4/missing.m4s', auth())).status).toBe(404);
    expect((await get('/preview/media/a%20clip.mp4/', auth())).status).toBe(404);
    expect(await (await get('/preview/media/a%20clip.mp4/master.m3u8', auth())).text()).toBe('#EXTM3U\n');
  });
});

// The loopback source server over a store: byte ranges as ffmpeg asks for them, reads that break
// mid-body resumed where they stopped, a replaced source refused (not mixed in), and a reader that goes
// away stops the read from the store.
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { ChangedError, type GetOptions, type ObjectStore } from '../../../src/ports.js';
import { parseByteRange, serveSource, type SourceServer } from '../../../src/transcoder/source-server.js';

const DATA = randomBytes(256 * 1024);
const SOURCE = { bucket: 'media-in', name: 'a.mp4', size: DATA.length, etag: 'v1' };

/** A store holding one object, whose reads can be made to break after some bytes or to refuse. */
function fakeStore(behaviour: { breakAfter?: number; breaks?: number; changed?: boolean } = {}) {
  const calls: GetOptions[] = [];
  const opened: Readable[] = [];
  let breaks = behaviour.breaks ?? 0;
  const store = {
    get: (_bucket: string, _name: string, options: GetOptions = {}): Promise<Readable> => {
      calls.push(options);
      if (behaviour.changed || options.ifMatch !== 'v1') return Promise.reject(new ChangedError('a.mp4 is no longer version v1'));
      const { start = 0, end = DATA.length - 1 } = options.range ?? {};
      const slice = DATA.subarray(start, end + 1);
      const cut = breaks-- > 0 ? Math.min(behaviour.breakAfter ?? 1000, slice.length) : slice.length;
      const stream = Readable.from(
        (function* () {
          for (let i = 0; i < cut; i += 4096) yield slice.subarray(i, Math.min(cut, i + 4096));
          if (cut < slice.length) throw new Error('connection reset');
        })(),
      );
      opened.push(stream);
      return Promise.resolve(stream);
    },
  } as unknown as ObjectStore;
  return { store, calls, opened };
}

let server: SourceServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

describe('parseByteRange', () => {
  it('reads the three forms and refuses what lies past the end', () => {
    expect(parseByteRange('bytes=10-19', 100)).toEqual({ start: 10, end: 19 });
    expect(parseByteRange('bytes=90-', 100)).toEqual({ start: 90, end: 99 });
    expect(parseByteRange('bytes=-5', 100)).toEqual({ start: 95, end: 99 });
    expect(parseByteRange('bytes=0-500', 100)).toEqual({ start: 0, end: 99 });
    expect(parseByteRange('bytes=100-', 100)).toBe('unsatisfiable');
    expect(parseByteRange(undefined, 100)).toBeUndefined();
    expect(parseByteRange('items=1-2', 100)).toBeUndefined();
  });
});

describe('serveSource', () => {
  it('serves the whole object, ranges and HEAD, each read pinned to the probed version', async () => {
    const { store, calls } = fakeStore();
    server = await serveSource(store, SOURCE, 'source.mp4');
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/source\.mp4$/);
    const whole = await fetch(server.url);
    expect(whole.status).toBe(200);
    expect(Buffer.from(await whole.arrayBuffer()).equals(DATA)).toBe(true);
    const part = await fetch(server.url, { headers: { range: 'bytes=1000-1999' } });
    expect(part.status).toBe(206);
    expect(part.headers.get('content-range')).toBe(`bytes 1000-1999/${DATA.length}`);
    expect(Buffer.from(await part.arrayBuffer()).equals(DATA.subarray(1000, 2000))).toBe(true);
    const head = await fetch(server.url, { method: 'HEAD' });
    expect(head.headers.get('accept-ranges')).toBe('bytes');
    expect(head.headers.get('content-length')).toBe(String(DATA.length));
    expect((await fetch(server.url, { headers: { range: `bytes=${DATA.length}-` } })).status).toBe(416);
    expect(calls.every((c) => c.ifMatch === 'v1')).toBe(true);
    expect(server.bytesServed).toBe(DATA.length + 1000);
  });

  it('resumes a read that breaks mid-body from where it stopped: the reader gets every byte once', async () => {
    const { store, calls } = fakeStore({ breakAfter: 10_000, breaks: 2 });
    server = await serveSource(store, SOURCE);
    const body = Buffer.from(await (await fetch(server.url)).arrayBuffer());
    expect(body.equals(DATA)).toBe(true);
    expect(calls.map((c) => c.range?.start)).toEqual([0, 10_000, 20_000]);
    expect(server.lastError).toBeUndefined();
  });

  it('refuses a replaced source: the read fails and the server names why', async () => {
    const { store } = fakeStore({ changed: true });
    server = await serveSource(store, SOURCE);
    const failed = await fetch(server.url).then((r) => r.arrayBuffer()).then(() => 'read', (e: unknown) => String(e));
    expect(failed).not.toBe('read');
    expect(server.lastError).toBeInstanceOf(ChangedError);
  });

  it('stops reading the store when the reader goes away', async () => {
    const { store, opened } = fakeStore();
    server = await serveSource(store, SOURCE);
    const controller = new AbortController();
    const response = await fetch(server.url, { signal: controller.signal });
    const reader = response.body!.getReader();
    await reader.read();
    controller.abort();
    await new Promise((r) => setTimeout(r, 100));
    expect(opened[0]?.destroyed).toBe(true);
  });
});

// The source, served on loopback with byte ranges, so ffprobe and ffmpeg read it in place over HTTP: a
// two-hour master never lands on the container's 15 GB of scratch, and a seek (an MP4 index at the end,
// a time-split chunk) costs one ranged GET. Every byte is fetched with the container's own identity
// through the store, pinned to the probed version (If-Match): no pre-authenticated URL is minted, and a
// newer upload under the same name fails the read instead of mixing two versions. A read that breaks
// mid-body resumes from where it stopped, so ffmpeg never sees the hiccup.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { ChangedError, NotFoundError, type ObjectStore } from '../ports.js';

export interface SourceServer {
  /** http://127.0.0.1:<port>/<file name>: what ffprobe and ffmpeg open. */
  url: string;
  /** A read from the store that failed for good, which ffmpeg only sees as a broken HTTP read. */
  readonly lastError: Error | undefined;
  /** Bytes sent to readers so far (all ranges together). */
  readonly bytesServed: number;
  close(): Promise<void>;
}

export interface SourceObject {
  bucket: string;
  name: string;
  size: number;
  etag: string;
}

const RESUMES = 5;

/** A single `bytes=a-b`, `bytes=a-` or `bytes=-n` range; undefined for none, 'unsatisfiable' past the end. */
export function parseByteRange(header: string | undefined, size: number): { start: number; end: number } | 'unsatisfiable' | undefined {
  const match = header ? /^bytes=(\d*)-(\d*)$/.exec(header.trim()) : null;
  if (!match || (match[1] === '' && match[2] === '')) return undefined;
  const [start, end] = match[1] === '' ? [Math.max(0, size - Number(match[2])), size - 1] : [Number(match[1]), match[2] === '' ? size - 1 : Math.min(Number(match[2]), size - 1)];
  return start <= end && start < size ? { start, end } : 'unsatisfiable';
}

export async function serveSource(store: ObjectStore, source: SourceObject, fileName = 'source'): Promise<SourceServer> {
  let lastError: Error | undefined;
  let bytesServed = 0;

  /** start..end of the pinned version, resuming after a broken read; fails for good on a changed source. */
  async function* bytes(start: number, end: number): AsyncGenerator<Buffer> {
    let offset = start;
    for (let failures = 0; offset <= end; ) {
      let body: Readable | undefined;
      try {
        body = await store.get(source.bucket, source.name, { range: { start: offset, end }, ifMatch: source.etag });
        for await (const chunk of body as AsyncIterable<Buffer>) {
          offset += chunk.length;
          failures = 0;
          yield chunk;
        }
        if (offset <= end) throw new Error(`the read ended at byte ${offset} of ${end + 1}`);
      } catch (error) {
        if (error instanceof ChangedError || error instanceof NotFoundError || ++failures > RESUMES) {
          lastError = error instanceof Error ? error : new Error(String(error));
          throw lastError;
        }
        await sleep(200 * 2 ** failures);
      } finally {
        body?.destroy();
      }
    }
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405).end();
      return;
    }
    const range = parseByteRange(req.headers.range, source.size);
    if (range === 'unsatisfiable') {
      res.writeHead(416, { 'content-range': `bytes */${source.size}` }).end();
      return;
    }
    const { start, end } = range ?? { start: 0, end: source.size - 1 };
    res.writeHead(range ? 206 : 200, {
      'accept-ranges': 'bytes',
      'content-type': 'application/octet-stream',
      'content-length': String(end - start + 1),
      ...(range ? { 'content-range': `bytes ${start}-${end}/${source.size}` } : {}),
    });
    if (req.method === 'HEAD') {
      res.end();
      return;
    }
    const counted = Readable.from(bytes(start, end)).on('data', (chunk: Buffer) => (bytesServed += chunk.length));
    // A reader that seeks closes its connection: the pipeline then stops the read from the store.
    await pipeline(counted, res).catch(() => res.destroy());
  }

  const server = createServer((req, res) => void handle(req, res));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/${encodeURIComponent(fileName)}`,
    get lastError() {
      return lastError;
    },
    get bytesServed() {
      return bytesServed;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

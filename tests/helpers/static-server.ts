// A tiny static file server for browser tests: HLS/DASH media, the player page and the players'
// own bundles from node_modules (never a CDN). Byte ranges and CORS behave like an object store's
// public endpoint, so players take the same code paths they take in production.
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, resolve, sep } from 'node:path';

const MIME: Record<string, string> = {
  '.m3u8': 'application/vnd.apple.mpegurl',
  '.mpd': 'application/dash+xml',
  '.m4s': 'video/iso.segment',
  '.mp4': 'video/mp4',
  '.m4a': 'audio/mp4',
  '.ts': 'video/mp2t',
  '.aac': 'audio/aac',
  '.vtt': 'text/vtt; charset=utf-8',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.png': 'image/png',
  '.json': 'application/json; charset=utf-8',
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
};

export function mimeType(path: string): string {
  return MIME[extname(path).toLowerCase()] ?? 'application/octet-stream';
}

export interface StaticServer {
  /** e.g. http://127.0.0.1:41234 (no trailing slash). */
  origin: string;
  /** Every request path served, in order, with its status: lets a test see what a player fetched. */
  log: { path: string; status: number }[];
  close(): Promise<void>;
}

/** Parses a single `bytes=a-b` range; multi-range requests are not needed by players. */
export function parseRange(header: string, size: number): { start: number; end: number } | 'invalid' {
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m || (m[1] === '' && m[2] === '')) return 'invalid';
  let start: number;
  let end: number;
  if (m[1] === '') {
    // Suffix range: the last N bytes.
    start = Math.max(0, size - Number(m[2]));
    end = size - 1;
  } else {
    start = Number(m[1]);
    end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  }
  return start > end || start >= size ? 'invalid' : { start, end };
}

/**
 * Serves `mounts` (URL prefix -> folder), e.g. { '/media/': tmp, '/lib/hls/': 'node_modules/hls.js/dist' }.
 * Paths escaping a mount's folder are refused.
 */
export async function startStaticServer(mounts: Record<string, string>): Promise<StaticServer> {
  const table = Object.entries(mounts)
    .map(([prefix, dir]) => ({ prefix: prefix.endsWith('/') ? prefix : `${prefix}/`, dir: resolve(dir) }))
    .sort((a, b) => b.prefix.length - a.prefix.length);
  const log: StaticServer['log'] = [];

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<number> => {
    res.setHeader('Access-Control-Allow-Origin', '*');
    res.setHeader('Access-Control-Allow-Headers', 'Range');
    res.setHeader('Access-Control-Expose-Headers', 'Content-Length, Content-Range, Accept-Ranges');
    res.setHeader('Cache-Control', 'no-store');
    if (req.method === 'OPTIONS') return end(res, 204);
    if (req.method !== 'GET' && req.method !== 'HEAD') return end(res, 405);

    let path: string;
    try {
      path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    } catch {
      return end(res, 400);
    }
    const mount = table.find((m) => path.startsWith(m.prefix));
    if (!mount) return end(res, 404);
    const file = resolve(mount.dir, `.${sep}${path.slice(mount.prefix.length)}`);
    if (file !== mount.dir && !file.startsWith(mount.dir + sep)) return end(res, 403);
    const info = await stat(file).catch(() => undefined);
    if (!info?.isFile()) return end(res, 404);

    res.setHeader('Content-Type', mimeType(file));
    res.setHeader('Accept-Ranges', 'bytes');
    let start = 0;
    let last = info.size - 1;
    let status = 200;
    const rangeHeader = req.headers.range;
    if (rangeHeader) {
      const range = parseRange(rangeHeader, info.size);
      if (range === 'invalid') {
        res.setHeader('Content-Range', `bytes */${info.size}`);
        return end(res, 416);
      }
      ({ start, end: last } = range);
      status = 206;
      res.setHeader('Content-Range', `bytes ${start}-${last}/${info.size}`);
    }
    res.setHeader('Content-Length', String(Math.max(0, last - start + 1)));
    res.writeHead(status);
    if (req.method === 'HEAD' || info.size === 0) {
      res.end();
      return status;
    }
    await new Promise<void>((done) => {
      const stream = createReadStream(file, { start, end: last });
      stream.on('error', () => {
        res.destroy();
        done();
      });
      res.on('close', () => {
        stream.destroy();
        done();
      });
      stream.pipe(res);
    });
    return status;
  };

  const server = createServer((req, res) => {
    handle(req, res).then(
      (status) => log.push({ path: req.url ?? '', status }),
      () => {
        log.push({ path: req.url ?? '', status: 500 });
        if (!res.headersSent) end(res, 500);
        else res.destroy();
      },
    );
  });
  // Port 0: the kernel picks a free port, so there is no race with other tests.
  await new Promise<void>((ok, fail) => {
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => ok());
  });
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    log,
    close: () =>
      new Promise<void>((ok) => {
        server.closeAllConnections();
        server.close(() => ok());
      }),
  };
}

function end(res: ServerResponse, status: number): number {
  res.writeHead(status);
  res.end();
  return status;
}

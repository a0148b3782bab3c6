// Uploads in the order readers rely on: media before the playlists that name them, playlists before
// renditions.json, masters last (publish.ts). Within a group, a few uploads run at once.
import { extname } from 'node:path';
import type { ObjectStore, PutOptions } from '../ports.js';
import { TransientError } from '../ports.js';

const CONTENT_TYPES: Record<string, string> = {
  '.m4s': 'video/iso.segment',
  '.mp4': 'video/mp4',
  '.ts': 'video/mp2t',
  '.m3u8': 'application/vnd.apple.mpegurl',
  '.mpd': 'application/dash+xml',
  '.json': 'application/json',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.vtt': 'text/vtt',
};

/** Everything under a version folder is immutable (a new upload gets a new folder); masters are not. */
export function putOptions(name: string, mutable = false): PutOptions {
  return {
    contentType: CONTENT_TYPES[extname(name).toLowerCase()] ?? 'application/octet-stream',
    cacheControl: mutable ? 'no-cache' : 'public, max-age=31536000, immutable',
  };
}

export interface Upload {
  name: string;
  /** A local file, or the body itself. */
  path?: string;
  body?: string | Buffer;
  mutable?: boolean;
}

const RETRIES = 3;

/** One upload with its content type and cache policy, retried a few times on transient failures. */
export async function uploadOne(store: ObjectStore, bucket: string, u: Upload): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      const options = putOptions(u.name, u.mutable);
      if (u.path !== undefined) await store.putFile(bucket, u.name, u.path, options);
      else await store.put(bucket, u.name, u.body ?? '', options);
      return;
    } catch (error) {
      if (!(error instanceof TransientError) || attempt >= RETRIES) throw error;
      await new Promise((r) => setTimeout(r, 500 * 2 ** attempt));
    }
  }
}

/** Uploads one group with bounded concurrency; resolves when all are stored, rejects on the first failure. */
export async function uploadGroup(store: ObjectStore, bucket: string, uploads: Upload[], onDone?: (done: number) => void, concurrency = 6): Promise<void> {
  let next = 0;
  let done = 0;
  let failed = false;
  const worker = async (): Promise<void> => {
    while (!failed && next < uploads.length) {
      const u = uploads[next++];
      if (!u) break;
      try {
        await uploadOne(store, bucket, u);
      } catch (error) {
        failed = true;
        throw error;
      }
      onDone?.(++done);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, uploads.length) }, worker));
}

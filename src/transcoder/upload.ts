// Uploads in the order readers rely on: media before the playlists that name them, playlists before
// renditions.json, masters last (src/publish). Within a group, a few uploads run at once; headers from
// the one cache policy (domain/layout outputHeaders).
import { outputHeaders } from '../domain/layout.js';
import type { ObjectStore } from '../ports.js';
import { forEachLimit, retrying, type RetryPolicy } from '../retry.js';

export interface Upload {
  name: string;
  /** A local file, or the body itself. */
  path?: string;
  body?: string | Buffer;
  mutable?: boolean;
}

/** On top of the store's own retries: a store that stays down for seconds fails the job (exit 75). */
const UPLOAD_RETRY: RetryPolicy = { attempts: 3, baseMs: 1000, maxMs: 4000 };

/** One upload with its content type and cache policy, retried a few times on transient failures. */
export function uploadOne(store: ObjectStore, bucket: string, u: Upload): Promise<void> {
  const options = outputHeaders(u.name, u.mutable === true);
  return retrying(UPLOAD_RETRY, async () => {
    if (u.path !== undefined) await store.putFile(bucket, u.name, u.path, options);
    else await store.put(bucket, u.name, u.body ?? '', options);
  });
}

/** Uploads one group with bounded concurrency; resolves when all are stored, else rejects with the first failure. */
export async function uploadGroup(store: ObjectStore, bucket: string, uploads: Upload[], onDone?: (done: number) => void, concurrency = 6): Promise<void> {
  let done = 0;
  await forEachLimit(uploads, concurrency, async (u) => {
    await uploadOne(store, bucket, u);
    onDone?.(++done);
  });
}

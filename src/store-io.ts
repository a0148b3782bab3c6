// Small helpers over the ObjectStore port: JSON in and out, full listings, bounded-concurrency deletes.
// Nothing here knows about a particular backend.
import { text } from 'node:stream/consumers';
import type { ObjectInfo, ObjectStore } from './ports.js';
import { outputHeaders } from './domain/layout.js';
import { NotFoundError } from './ports.js';
import { forEachLimit } from './retry.js';

export async function readText(store: ObjectStore, bucket: string, name: string): Promise<string | undefined> {
  try {
    return await text(await store.get(bucket, name));
  } catch (error) {
    if (error instanceof NotFoundError || (error instanceof Error && error.name === 'NotFoundError')) return undefined;
    throw error;
  }
}

export async function readJson<T>(store: ObjectStore, bucket: string, name: string): Promise<T | undefined> {
  const body = await readText(store, bucket, name);
  if (body === undefined) return undefined;
  try {
    return JSON.parse(body) as T;
  } catch (error) {
    throw new Error(`${bucket}/${name} is not valid JSON: ${(error as Error).message}`);
  }
}

export async function putJson(store: ObjectStore, bucket: string, name: string, value: unknown): Promise<void> {
  // JSON the pipeline writes (job.json) is read again after each run: revalidated, never cached long.
  await store.put(bucket, name, `${JSON.stringify(value, null, 2)}\n`, outputHeaders(name, true));
}

/** Every object under a prefix, following the store's paging. */
export async function listAll(store: ObjectStore, bucket: string, prefix: string): Promise<ObjectInfo[]> {
  const all: ObjectInfo[] = [];
  let start: string | undefined;
  do {
    const page = await store.list(bucket, prefix, start === undefined ? {} : { start });
    all.push(...page.objects);
    start = page.next;
  } while (start !== undefined);
  return all;
}

/** Deletes every object under prefix; returns how many there were. */
export async function deletePrefix(store: ObjectStore, bucket: string, prefix: string): Promise<number> {
  if (!prefix.endsWith('/')) throw new Error(`refusing to delete a prefix that is not a folder: ${prefix}`);
  const objects = await listAll(store, bucket, prefix);
  await forEachLimit(objects, 8, (o) => store.delete(bucket, o.name));
  return objects.length;
}

export async function copyObject(store: ObjectStore, bucket: string, from: string, to: string, contentType?: string): Promise<void> {
  await store.put(bucket, to, await store.get(bucket, from), contentType ? { contentType } : {});
}

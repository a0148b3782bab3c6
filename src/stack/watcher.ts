// Turns each new, fully written file in a local source-bucket folder into the object event a real
// bucket would emit (createobject for a new name, updateobject for an upload over a known one), and
// hands it to the same starter handler the OCI function runs.
// chokidar's awaitWriteFinish waits until the size stops changing, so a slow `cp` is one event, not
// a burst of half-written ones; temporary files (the store's atomic-write staging) are ignored.
import { randomUUID } from 'node:crypto';
import { mkdir, readdir, stat } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, relative, sep } from 'node:path';
import { watch, type FSWatcher } from 'chokidar';
import type { ObjectInfo } from '../ports.js';
import { createObjectEvent, CREATE_OBJECT_EVENT_TYPE, UPDATE_OBJECT_EVENT_TYPE, type CreateObjectEvent, type ObjectEventType } from './object-event.js';

export interface BucketWatcherOptions {
  /** Folder holding one folder per bucket. */
  bucketsDir: string;
  /** Source buckets to watch. */
  buckets: string[];
  namespace: string;
  /** The store's head: its eTag goes into the event, as Object Storage's does. */
  head: (bucket: string, name: string) => Promise<ObjectInfo | undefined>;
  deliver: (event: CreateObjectEvent) => Promise<void>;
  /**
   * The object name of a file, from its path segments under the bucket folder; undefined for a file
   * that is no object. Default: the segments joined with '/'.
   */
  nameOf?: (segments: string[]) => string | undefined;
  /** Names (relative to the bucket) that are staging files, never objects. */
  isTemporary?: (name: string) => boolean;
  /** How long a file's size must stay unchanged before it counts as written. */
  stabilityMs?: number;
  onError?: (error: Error, context: string) => void;
}

export interface BucketWatcher {
  /** The event path for one object, as if the file had just appeared (tests use it to redeliver). */
  emit(bucket: string, name: string, eventType?: ObjectEventType): Promise<CreateObjectEvent | undefined>;
  close(): Promise<void>;
}

/** Dot files, editor backups and common partial-download suffixes are never objects. */
export function defaultTemporary(name: string): boolean {
  const base = basename(name);
  return base.startsWith('.') || base.endsWith('~') || /\.(tmp|temp|part|partial|crdownload|swp)$/i.test(base);
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export async function watchBuckets(o: BucketWatcherOptions): Promise<BucketWatcher> {
  const isTemporary = o.isTemporary ?? defaultTemporary;
  const nameOf = o.nameOf ?? ((segments: string[]) => segments.join('/'));
  const dirs = o.buckets.map((bucket) => ({ bucket, dir: join(o.bucketsDir, bucket) }));
  for (const { dir } of dirs) await mkdir(dir, { recursive: true });
  const onError = o.onError ?? ((error: Error, context: string) => console.error(`[watcher] ${context}: ${error.message}`));

  const emit = async (bucket: string, name: string, eventType: ObjectEventType = CREATE_OBJECT_EVENT_TYPE): Promise<CreateObjectEvent | undefined> => {
    const info = await o.head(bucket, name);
    if (!info) return undefined; // removed again before we looked: a real bucket would not emit either
    const event = createObjectEvent({
      namespace: o.namespace,
      bucket,
      object: name,
      etag: info.etag,
      eventID: randomUUID(),
      eventTime: new Date(),
      eventType,
    });
    await o.deliver(event);
    return event;
  };

  const locate = (path: string): { bucket: string; name: string } | undefined => {
    for (const { bucket, dir } of dirs) {
      const rel = relative(dir, path);
      if (!rel || rel === '..' || rel.startsWith(`..${sep}`) || isAbsolute(rel)) continue;
      const name = nameOf(rel.split(sep));
      return name === undefined ? undefined : { bucket, name };
    }
    return undefined;
  };

  const watcher: FSWatcher = watch(
    dirs.map((d) => d.dir),
    {
      ignoreInitial: true,
      awaitWriteFinish: { stabilityThreshold: o.stabilityMs ?? 400, pollInterval: 100 },
      ignored: (path, stats) => Boolean(stats?.isFile()) && isTemporary(locate(path)?.name ?? basename(path)),
    },
  );
  const onFile = (path: string, eventType: ObjectEventType = CREATE_OBJECT_EVENT_TYPE): void => {
    const where = locate(path);
    if (!where || isTemporary(where.name)) return;
    emit(where.bucket, where.name, eventType).catch((error: unknown) => onError(error as Error, `event for ${where.bucket}/${where.name}`));
  };

  // chokidar lists a new folder before it starts watching it: a file that lands in between (a store
  // write right after its mkdir, `cp -r`) is never reported. Look again once the watch is surely in
  // place; what chokidar still does not know of and whose size holds still is reported here, once.
  const stability = o.stabilityMs ?? 400;
  const rescued = new Set<string>();
  let closed = false;
  const unknownTo = (watched: Record<string, string[]>, path: string): boolean =>
    !rescued.has(path) && !(watched[dirname(path)] ?? []).includes(basename(path));
  const rescan = async (dir: string): Promise<void> => {
    await sleep(stability + 200);
    const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
    const first = watcher.getWatched();
    const candidates = entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name)).filter((p) => unknownTo(first, p));
    if (candidates.length === 0) return;
    const sizes = await Promise.all(candidates.map((p) => stat(p).then((s) => s.size, () => -1)));
    await sleep(stability);
    if (closed) return;
    const second = watcher.getWatched();
    for (const [i, path] of candidates.entries()) {
      const size = await stat(path).then((s) => s.size, () => -2);
      if (size !== sizes[i] || !unknownTo(second, path)) continue; // gone, still growing, or chokidar has it now
      rescued.add(path);
      onFile(path);
    }
  };
  const onDir = (dir: string): void => {
    rescan(dir).catch((error: unknown) => onError(error as Error, `rescan of ${dir}`));
  };
  // A new name is 'add'; an upload over an existing name (rename onto it) is 'change', which OCI
  // reports as an update of the object.
  watcher.on('add', (path) => onFile(path)).on('change', (path) => onFile(path, UPDATE_OBJECT_EVENT_TYPE)).on('addDir', onDir).on('error', (error) => onError(error as Error, 'watch'));
  await new Promise<void>((resolve) => watcher.once('ready', resolve));
  return {
    emit,
    close: () => {
      closed = true;
      return watcher.close();
    },
  };
}

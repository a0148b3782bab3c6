// ObjectStore over local folders: <root>/<bucket>/<object name as a path>. Used by the local stack,
// by the transcoder for local paths, and by tests. Writes are atomic (temp file + rename) so a folder
// watcher never sees half-written objects; temp files live in <root>/.tmp, outside every bucket.
import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream, type BigIntStats } from 'node:fs';
import { copyFile, mkdir, open, readdir, rename, rm, rmdir, stat, unlink } from 'node:fs/promises';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { ChangedError, NotFoundError, TransientError, type GetOptions, type ListPage, type ObjectInfo, type ObjectStore, type PutOptions, type ReadUrl } from '../../ports.js';
import { MAX_OBJECT_NAME_BYTES, utf8Bytes } from '../../domain/layout.js';
import { checkBucketName, decodeObjectPath, encodeObjectName } from './safe-path.js';

const TEMP_FOLDER = '.tmp';
const DEFAULT_LIMIT = 1000;
/** Errors of a busy or full machine, worth retrying; anything else is a bug or a bad name. */
const TRANSIENT_CODES = new Set(['EIO', 'ENOSPC', 'EMFILE', 'ENFILE', 'EAGAIN', 'EBUSY', 'ETIMEDOUT']);

const codeOf = (error: unknown): string | undefined => (error as NodeJS.ErrnoException | undefined)?.code;

function mapError(error: unknown, what: string): unknown {
  const code = codeOf(error);
  if (code && TRANSIENT_CODES.has(code)) return new TransientError(`${what}: ${(error as Error).message}`, { cause: error });
  return error;
}

/** Same upload, same etag; a new upload (new inode from the rename, new mtime) gets a new one. */
function etagOf(info: BigIntStats): string {
  return createHash('sha1').update(`${info.ino}:${info.size}:${info.mtimeNs}`).digest('hex').slice(0, 24);
}

const byteOrder = (a: string, b: string): number => Buffer.compare(Buffer.from(a), Buffer.from(b));

export class LocalFolderStore implements ObjectStore {
  readonly root: string;

  constructor(root: string, readonly namespace = 'local') {
    this.root = resolve(root);
  }

  bucketPath(bucket: string): string {
    return join(this.root, checkBucketName(bucket));
  }

  /** The file of an object; checked to stay inside the bucket folder whatever the name. */
  objectPath(bucket: string, name: string): string {
    const base = this.bucketPath(bucket);
    const path = join(base, ...encodeObjectName(name));
    const rel = relative(base, path);
    if (rel === '' || rel.startsWith(`..${sep}`) || rel === '..') throw new Error(`object name ${JSON.stringify(name)} maps outside its bucket`);
    return path;
  }

  private info(name: string, s: BigIntStats): ObjectInfo {
    return { name, size: Number(s.size), etag: etagOf(s), modified: new Date(Number(s.mtimeMs)).toISOString() };
  }

  async head(bucket: string, name: string): Promise<ObjectInfo | undefined> {
    try {
      const s = await stat(this.objectPath(bucket, name), { bigint: true });
      return s.isFile() ? this.info(name, s) : undefined;
    } catch (error) {
      if (codeOf(error) === 'ENOENT' || codeOf(error) === 'ENOTDIR') return undefined;
      throw mapError(error, `head ${bucket}/${name}`);
    }
  }

  async get(bucket: string, name: string, options: GetOptions = {}): Promise<Readable> {
    try {
      // Opening first turns a missing object into NotFoundError now, not on the first read; the open
      // file is the version checked, whatever replaces the name afterwards (writes rename into place).
      const handle = await open(this.objectPath(bucket, name), 'r');
      const info = await handle.stat({ bigint: true });
      if (!info.isFile()) {
        await handle.close();
        throw new NotFoundError(`${bucket}/${name} is not an object`);
      }
      if (options.ifMatch !== undefined && etagOf(info) !== options.ifMatch) {
        await handle.close();
        throw new ChangedError(`${bucket}/${name} is no longer version ${options.ifMatch}`);
      }
      const { range } = options;
      return handle.createReadStream(range ? { start: range.start, ...(range.end !== undefined ? { end: range.end } : {}) } : {});
    } catch (error) {
      if (codeOf(error) === 'ENOENT' || codeOf(error) === 'ENOTDIR') throw new NotFoundError(`object not found: ${bucket}/${name}`);
      throw mapError(error, `get ${bucket}/${name}`);
    }
  }

  put(bucket: string, name: string, body: Readable | Buffer | string, _options?: PutOptions): Promise<ObjectInfo> {
    return this.write(bucket, name, (temp) => {
      const source = typeof body === 'string' || Buffer.isBuffer(body) ? Readable.from([body]) : body;
      return pipeline(source, createWriteStream(temp, { flags: 'wx' }));
    });
  }

  putFile(bucket: string, name: string, path: string, _options?: PutOptions): Promise<ObjectInfo> {
    return this.write(bucket, name, (temp) => copyFile(path, temp));
  }

  private async write(bucket: string, name: string, fill: (temp: string) => Promise<void>): Promise<ObjectInfo> {
    // Object Storage's own limit, so that local mode refuses what OCI would.
    if (utf8Bytes(name) > MAX_OBJECT_NAME_BYTES) throw new Error(`cannot store a ${utf8Bytes(name)}-byte object name in bucket ${bucket}: names are at most ${MAX_OBJECT_NAME_BYTES} bytes`);
    const target = this.objectPath(bucket, name);
    const tempDir = join(this.root, TEMP_FOLDER);
    const temp = join(tempDir, `${randomBytes(8).toString('hex')}.part`);
    try {
      await mkdir(tempDir, { recursive: true });
      await fill(temp);
      // A concurrent delete may prune the (then empty) parent between mkdir and rename: retry.
      for (let attempt = 1; ; attempt++) {
        await mkdir(dirname(target), { recursive: true });
        try {
          await rename(temp, target);
          break;
        } catch (error) {
          if (codeOf(error) !== 'ENOENT' || attempt >= 5) throw error;
        }
      }
      return this.info(name, await stat(target, { bigint: true }));
    } catch (error) {
      await rm(temp, { force: true });
      if (codeOf(error) === 'EISDIR' || codeOf(error) === 'ENOTDIR' || codeOf(error) === 'EEXIST') {
        throw new Error(
          `cannot store ${JSON.stringify(name)} in folder bucket ${bucket}: it clashes with an existing object or folder (a folder bucket cannot hold both "a" and "a/b")`,
          { cause: error },
        );
      }
      throw mapError(error, `put ${bucket}/${name}`);
    }
  }

  async list(bucket: string, prefix: string, options: { start?: string; limit?: number } = {}): Promise<ListPage> {
    const limit = Math.max(1, options.limit ?? DEFAULT_LIMIT);
    // Only the folder of the prefix's complete segments can hold matches: walk from there.
    const complete = prefix.split('/').slice(0, -1);
    const baseName = complete.length ? `${complete.join('/')}/` : '';
    const baseDir = complete.length ? join(this.bucketPath(bucket), ...encodeObjectName(complete.join('/'))) : this.bucketPath(bucket);
    const names: { name: string; path: string }[] = [];
    await this.walk(baseDir, [], (files, path) => {
      const rest = decodeObjectPath(files);
      if (rest === undefined) return;
      const name = baseName + rest;
      if (name.startsWith(prefix) && (options.start === undefined || byteOrder(name, options.start) >= 0)) names.push({ name, path });
    });
    names.sort((a, b) => byteOrder(a.name, b.name));
    const page = names.slice(0, limit);
    const objects: ObjectInfo[] = [];
    for (const entry of page) {
      try {
        objects.push(this.info(entry.name, await stat(entry.path, { bigint: true })));
      } catch (error) {
        if (codeOf(error) !== 'ENOENT') throw mapError(error, `list ${bucket}/${prefix}`);
      }
    }
    const next = names[limit]?.name;
    return next === undefined ? { objects } : { objects, next };
  }

  private async walk(dir: string, names: string[], visit: (names: string[], path: string) => void): Promise<void> {
    let entries;
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch (error) {
      if (codeOf(error) === 'ENOENT' || codeOf(error) === 'ENOTDIR') return;
      throw mapError(error, `list ${dir}`);
    }
    for (const entry of entries) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) await this.walk(path, [...names, entry.name], visit);
      else if (entry.isFile()) visit([...names, entry.name], path);
    }
  }

  async delete(bucket: string, name: string): Promise<void> {
    const path = this.objectPath(bucket, name);
    try {
      await unlink(path);
    } catch (error) {
      // Missing already, or a folder of that name (which is not this object): nothing to delete.
      if (['ENOENT', 'ENOTDIR', 'EISDIR'].includes(codeOf(error) ?? '')) return;
      throw mapError(error, `delete ${bucket}/${name}`);
    }
    // Object stores have no folders: drop the ones this delete emptied, up to the bucket.
    const base = this.bucketPath(bucket);
    for (let dir = dirname(path); dir.startsWith(base + sep); dir = dirname(dir)) {
      try {
        await rmdir(dir);
      } catch {
        break;
      }
    }
  }

  async readUrl(bucket: string, name: string, _ttlSeconds: number): Promise<ReadUrl> {
    if (!(await this.head(bucket, name))) throw new NotFoundError(`object not found: ${bucket}/${name}`);
    return { url: this.objectPath(bucket, name), dispose: () => Promise.resolve() };
  }
}

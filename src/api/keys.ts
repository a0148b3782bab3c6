// API keys: `otk_<id>_<secret>`, 256 random bits of secret, shown once when created. The key file keeps
// only each key's SHA-256 (a slow password hash such as scrypt protects guessable passwords; a random
// 256-bit key cannot be guessed, so a plain hash is enough and costs nothing per request), compared in
// constant time. The file is re-read when it changes, so a created or revoked key takes effect without
// a restart. Managed with `oci-transcode api-key create|list|revoke`.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { z } from 'zod';

const KEY = /^otk_([0-9a-f]{12})_([A-Za-z0-9_-]{43})$/;

const entrySchema = z.object({
  id: z.string().regex(/^[0-9a-f]{12}$/),
  name: z.string(),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  createdAt: z.string(),
});
const fileSchema = z.object({ schema: z.literal(1), keys: z.array(entrySchema) });

export type ApiKeyEntry = z.infer<typeof entrySchema>;
export interface ApiPrincipal {
  id: string;
  name: string;
}

export class ApiKeyFileError extends Error {
  override readonly name = 'ApiKeyFileError';
}

const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

export function readKeyFile(path: string): ApiKeyEntry[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw new ApiKeyFileError(`cannot read the API key file ${path}: ${(error as Error).message}`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new ApiKeyFileError(`the API key file ${path} is not JSON`);
  }
  const parsed = fileSchema.safeParse(value);
  if (!parsed.success) throw new ApiKeyFileError(`the API key file ${path} is not a key file: ${parsed.error.issues[0]?.path.join('.')} ${parsed.error.issues[0]?.message}`);
  return parsed.data.keys;
}

function writeKeyFile(path: string, keys: ApiKeyEntry[]): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify({ schema: 1, keys }, null, 2)}\n`, { mode: 0o600 });
  renameSync(tmp, path);
}

/** Adds a key named `name`; returns the key itself, which is stored nowhere. */
export function createKey(path: string, name: string, now = new Date()): { key: string; entry: ApiKeyEntry } {
  if (!/^[\w .@-]{1,64}$/.test(name)) throw new ApiKeyFileError(`key name "${name}": 1 to 64 letters, digits, spaces, "_", ".", "@" or "-"`);
  const keys = readKeyFile(path);
  const id = randomBytes(6).toString('hex');
  const key = `otk_${id}_${randomBytes(32).toString('base64url')}`;
  const entry: ApiKeyEntry = { id, name, sha256: sha256(key), createdAt: now.toISOString() };
  writeKeyFile(path, [...keys, entry]);
  return { key, entry };
}

/** Removes the key with this id (or name); false when there is none. */
export function revokeKey(path: string, idOrName: string): boolean {
  const keys = readKeyFile(path);
  const kept = keys.filter((k) => k.id !== idOrName && k.name !== idOrName);
  if (kept.length === keys.length) return false;
  writeKeyFile(path, kept);
  return true;
}

/** Checks bearer keys against the key file, re-reading it when its modification time changes. */
export class ApiKeyStore {
  private keys: ApiKeyEntry[] = [];
  /** The file's identity when last read: a write (a rename onto it) changes the inode, whatever the clock's grain. */
  private seen: string | undefined;

  constructor(readonly path: string) {
    this.reload();
  }

  get size(): number {
    this.reload();
    return this.keys.length;
  }

  private reload(): void {
    let version: string;
    try {
      const s = statSync(this.path);
      version = `${s.ino}:${s.mtimeMs}:${s.size}`;
    } catch {
      version = 'absent';
    }
    if (version === this.seen) return;
    this.keys = readKeyFile(this.path);
    this.seen = version;
  }

  /** The key's owner, or undefined for a missing, malformed, unknown or revoked key. */
  verify(key: string | undefined): ApiPrincipal | undefined {
    const match = key ? KEY.exec(key) : null;
    if (!match || !key) return undefined;
    this.reload();
    const entry = this.keys.find((k) => k.id === match[1]);
    if (!entry) return undefined;
    const given = Buffer.from(sha256(key), 'hex');
    return timingSafeEqual(given, Buffer.from(entry.sha256, 'hex')) ? { id: entry.id, name: entry.name } : undefined;
  }
}

/** The key of an `Authorization: Bearer <key>` header. */
export function bearerKey(header: string | undefined): string | undefined {
  const match = header ? /^Bearer\s+(\S+)$/i.exec(header.trim()) : null;
  return match?.[1];
}

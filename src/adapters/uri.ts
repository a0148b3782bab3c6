// Where the transcoder reads and writes: a local path or oci://<namespace>/<bucket>/<object-or-prefix>.
// Names are taken verbatim (no percent-decoding): object names may legitimately contain '%'.
import { basename, dirname, resolve } from 'node:path';
import { OCI_SCHEME, parseOciUri } from '../domain/oci-uri.js';
import { checkBucketName } from './local/safe-path.js';

export type StoreLocation =
  | { kind: 'local'; root: string; bucket: string; name: string }
  | { kind: 'oci'; namespace: string; bucket: string; name: string };

export class UriError extends Error {
  override readonly name = 'UriError';
}

/**
 * role 'object': the uri names one object (a source). A local path /a/b/c.mp4 is bucket folder b
 * under root /a, object c.mp4.
 * role 'root': the uri names a bucket and an optional prefix (a destination). A local path /x/out is
 * bucket out under root /x, prefix ''.
 */
export function parseStoreUri(uri: string, role: 'object' | 'root'): StoreLocation {
  if (uri.trim() === '') throw new UriError('empty uri');
  if (uri.startsWith(OCI_SCHEME)) {
    const at = parseOciUri(uri);
    if (!at) throw new UriError(`${uri}: expected oci://<namespace>/<bucket>/<object-or-prefix>`);
    if (role === 'object' && !at.name) throw new UriError(`${uri}: names a bucket, not an object`);
    return { kind: 'oci', namespace: at.namespace, bucket: bucketName(at.bucket, uri), name: at.name };
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(uri)) throw new UriError(`${uri}: unsupported scheme (use a local path or oci://)`);
  const path = resolve(uri);
  if (role === 'object') {
    const folder = dirname(path);
    if (folder === path || dirname(folder) === folder) throw new UriError(`${uri}: a local object must sit in a bucket folder, e.g. /data/media-in/clip.mp4`);
    return { kind: 'local', root: dirname(folder), bucket: bucketName(basename(folder), uri), name: basename(path) };
  }
  if (dirname(path) === path) throw new UriError(`${uri}: a local destination must be a bucket folder, e.g. /data/media-out`);
  return { kind: 'local', root: dirname(path), bucket: bucketName(basename(path), uri), name: '' };
}

function bucketName(bucket: string, uri: string): string {
  try {
    return checkBucketName(bucket);
  } catch (error) {
    throw new UriError(`${uri}: ${(error as Error).message}`);
  }
}

// Uploads: one putObject for bodies up to one part (retried by the SDK, the body is a buffer), UploadManager
// multipart beyond (parts of uploadPartBytes, uploadConcurrency in flight). Multipart of a buffer or a file
// is retried whole with backoff, because UploadManager retries failed parts at once, with no pause.
import { stat, readFile } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { UploadManager, type ObjectStorageClient } from 'oci-objectstorage';
import type { OciConfig } from '../../config-oci.js';
import { formatOciUri } from '../../domain/oci-uri.js';
import type { PutOptions } from '../../ports.js';
import { retrying } from '../../retry.js';
import { isRetryable, toPortError } from './errors.js';

export interface UploadTarget {
  client: ObjectStorageClient;
  namespace: string;
  bucket: string;
  name: string;
  options?: PutOptions;
}

export interface UploadResult {
  etag: string;
  size: number;
  parts: number;
}

type UploadConfig = Pick<OciConfig, 'uploadPartBytes' | 'uploadConcurrency' | 'maxAttempts' | 'retryBaseMs' | 'retryMaxMs'>;

const what = (t: UploadTarget): string => `put ${formatOciUri({ namespace: t.namespace, bucket: t.bucket, name: t.name })}`;

function requestDetails(t: UploadTarget) {
  return {
    namespaceName: t.namespace,
    bucketName: t.bucket,
    objectName: t.name,
    contentType: t.options?.contentType,
    cacheControl: t.options?.cacheControl,
  };
}

async function putSingle(t: UploadTarget, body: Buffer): Promise<UploadResult> {
  try {
    const response = await t.client.putObject({ ...requestDetails(t), putObjectBody: body, contentLength: body.length });
    return { etag: response.eTag, size: body.length, parts: 1 };
  } catch (error) {
    throw toPortError(error, what(t));
  }
}

/** Retries a whole operation on retryable failures, with the configured exponential backoff. */
export async function withRetries<T>(config: UploadConfig, label: string, run: () => Promise<T>): Promise<T> {
  try {
    return await retrying({ attempts: config.maxAttempts, baseMs: config.retryBaseMs, maxMs: config.retryMaxMs }, run, isRetryable);
  } catch (error) {
    throw toPortError(error, label);
  }
}

/**
 * UploadManager reports parts that kept failing as a plain object whose text has lost the status code;
 * treated as retryable (no status), which is what throttling and 5xx bursts on parts are.
 */
function unwrapUploadError(error: unknown): unknown {
  if (typeof error === 'object' && error !== null && 'troubleShootingInfo' in error) {
    return { message: String((error as { message?: unknown }).message) };
  }
  return error;
}

async function multipart(t: UploadTarget, config: UploadConfig, content: { stream: Buffer | Readable } | { filePath: string }): Promise<string> {
  const manager = new UploadManager(t.client, {
    partSize: config.uploadPartBytes,
    maxConcurrentUploads: config.uploadConcurrency,
    allowedMemoryUsage: config.uploadPartBytes * config.uploadConcurrency,
  });
  try {
    const response = await manager.upload({ content, requestDetails: requestDetails(t) });
    return response.eTag;
  } catch (error) {
    throw unwrapUploadError(error);
  }
}

export async function uploadBuffer(t: UploadTarget, config: UploadConfig, body: Buffer): Promise<UploadResult> {
  if (body.length <= config.uploadPartBytes) return putSingle(t, body);
  const parts = Math.ceil(body.length / config.uploadPartBytes);
  const etag = await withRetries(config, what(t), () => multipart(t, config, { stream: body }));
  return { etag, size: body.length, parts };
}

export async function uploadFile(t: UploadTarget, config: UploadConfig, path: string): Promise<UploadResult> {
  const { size } = await stat(path);
  if (size <= config.uploadPartBytes) return putSingle(t, await readFile(path));
  const etag = await withRetries(config, what(t), () => multipart(t, config, { filePath: path }));
  return { etag, size, parts: Math.ceil(size / config.uploadPartBytes) };
}

/**
 * A stream is read until it ends or exceeds one part: small bodies become one retryable putObject, large
 * ones stream through multipart (not retried whole: the stream cannot be replayed; parts still are).
 */
export async function uploadStream(t: UploadTarget, config: UploadConfig, body: Readable): Promise<UploadResult> {
  const iterator = body[Symbol.asyncIterator]() as AsyncIterator<Buffer | string>;
  const head: Buffer[] = [];
  let headBytes = 0;
  while (headBytes <= config.uploadPartBytes) {
    const next = await iterator.next();
    if (next.done) return putSingle(t, Buffer.concat(head));
    const chunk = typeof next.value === 'string' ? Buffer.from(next.value) : next.value;
    head.push(chunk);
    headBytes += chunk.length;
  }
  let size = 0;
  const rest = Readable.from(
    (async function* () {
      for (const chunk of head) {
        size += chunk.length;
        yield chunk;
      }
      for (let next = await iterator.next(); !next.done; next = await iterator.next()) {
        const chunk = typeof next.value === 'string' ? Buffer.from(next.value) : next.value;
        size += chunk.length;
        yield chunk;
      }
    })(),
  );
  try {
    const etag = await multipart(t, config, { stream: rest });
    return { etag, size, parts: Math.ceil(size / config.uploadPartBytes) };
  } catch (error) {
    throw toPortError(error, what(t));
  }
}

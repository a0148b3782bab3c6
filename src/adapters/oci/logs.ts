// retrieveLogs answers with a stream of the container's recent output (the service keeps about 256 KB).
import { Readable } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';

const KEEP = 256 * 1024;

export async function readLogs(value: Readable | ReadableStream | WebReadableStream | string | null | undefined): Promise<string> {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return value.slice(-KEEP);
  const stream = value instanceof Readable ? value : Readable.fromWeb(value as WebReadableStream);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream) {
    const buffer = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer);
    chunks.push(buffer);
    size += buffer.length;
    while (size - (chunks[0]?.length ?? 0) >= KEEP && chunks.length > 1) size -= chunks.shift()!.length;
  }
  return Buffer.concat(chunks).subarray(-KEEP).toString('utf8');
}

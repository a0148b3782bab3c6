// What differs for a chunk job of a time-split plan (domain/chunks.ts): where it seeks and how many
// frames it keeps, and the check that its init segments are the very bytes the other chunks wrote (one
// init per rung serves every chunk's segments; a difference would be a decoder reset at a join).
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { buffer } from 'node:stream/consumers';
import type { ChunkRange, RenditionMeta } from '../domain/types.js';
import type { EncodeSpec } from './ffmpeg.js';
import type { OutputFile } from './outputs.js';
import type { SegmentUploaderOptions } from './segment-uploader.js';

/** Chunks were encoded with settings that make their init segments differ: they cannot share one. */
export class InitMismatchError extends Error {
  override readonly name = 'InitMismatchError';
}

/** Seek half a frame before the chunk's first frame (a container's rounded timestamp still falls after it). */
export function chunkEncode(chunk: ChunkRange, fps: number): Pick<EncodeSpec, 'range' | 'startNumber'> {
  const seekSec = chunk.startFrame > 0 ? (chunk.startFrame - 0.5) / fps : 0;
  return { range: { seekSec, ...(chunk.frames !== undefined ? { frames: chunk.frames } : {}) }, startNumber: chunk.firstSegment + 1 };
}

const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

/** Records each rung's init segment hash in its metadata (stitching compares them across chunks). */
export async function hashInits(renditions: RenditionMeta[], media: OutputFile[]): Promise<void> {
  for (const r of renditions) {
    const file = r.initSegment ? media.find((m) => m.name === r.initSegment) : undefined;
    if (file) r.initSha256 = sha256(await readFile(file.path));
  }
}

/**
 * An init segment another chunk uploaded already must be byte-identical to ours; else the job fails
 * loudly (every chunk uploads the same name, and a player would decode one chunk with another's init).
 */
export async function checkChunkInits(outputs: { file: { jobId: string; renditions: RenditionMeta[] } }, uploads: Pick<SegmentUploaderOptions, 'store' | 'bucket' | 'prefix'>): Promise<void> {
  for (const r of outputs.file.renditions) {
    if (!r.initSegment || !r.initSha256) continue;
    const name = uploads.prefix + r.initSegment;
    if (!(await uploads.store.head(uploads.bucket, name))) continue;
    const theirs = sha256(await buffer(await uploads.store.get(uploads.bucket, name)));
    if (theirs !== r.initSha256) {
      throw new InitMismatchError(
        `chunk ${outputs.file.jobId}: the init segment of ${r.id} differs from the one another chunk wrote (${name}: sha256 ${theirs.slice(0, 12)}…, ours ${r.initSha256.slice(0, 12)}…): an encoder setting depends on the chunk's content, so the chunks cannot share one init segment`,
      );
    }
  }
}

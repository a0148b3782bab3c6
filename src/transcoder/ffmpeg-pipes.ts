// ffmpeg over our own outputs: each input is a list of pieces (a local init segment, media segments in the
// store) joined as a player joins them and streamed into ffmpeg on its own pipe (pipe:3, pipe:4, ...), so
// nothing of a rendition is downloaded to the scratch disk first. Spawned with an argument array, never a
// shell, with the tools' allow-listed environment.
import { spawn } from 'node:child_process';
import { createReadStream } from 'node:fs';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { RenditionMeta } from '../domain/types.js';
import type { ObjectStore } from '../ports.js';
import { toolEnv, ToolError } from '../media/ffprobe.js';

/** One piece of an input: a local file or an object. */
export type Piece = { path: string } | { store: ObjectStore; bucket: string; name: string };

async function* join(pieces: Piece[]): AsyncGenerator<Buffer> {
  for (const p of pieces) {
    const stream = 'path' in p ? createReadStream(p.path) : await p.store.get(p.bucket, p.name);
    for await (const chunk of stream) yield chunk as Buffer;
  }
}

/** The descriptor input `i` of `runFed` is read from. */
export const fedInput = (i: number): string => `pipe:${3 + i}`;

/** Runs ffmpeg with `args` (inputs named fedInput(i)), feeding each input's pieces; resolves with its log. */
export function runFed(args: string[], inputs: Piece[][], signal?: AbortSignal): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.env.FFMPEG_PATH || 'ffmpeg', ['-nostdin', '-hide_banner', '-nostats', ...args], {
      stdio: ['ignore', 'ignore', 'pipe', ...inputs.map(() => 'pipe' as const)],
      env: toolEnv(),
      ...(signal ? { signal } : {}),
    });
    let log = '';
    child.stderr?.setEncoding('utf8').on('data', (text: string) => {
      log = (log + text).slice(-1_000_000);
    });
    let fed: Error | undefined;
    inputs.forEach((pieces, i) => {
      const sink = child.stdio[3 + i] as NodeJS.WritableStream;
      // ffmpeg may stop reading early (an error, or all it needed): its exit code tells which.
      pipeline(Readable.from(join(pieces)), sink).catch((error: NodeJS.ErrnoException) => {
        if (error.code !== 'EPIPE' && error.code !== 'ERR_STREAM_PREMATURE_CLOSE') fed ??= error;
      });
    });
    const aborted = (): Error => (signal?.reason instanceof Error ? signal.reason : new ToolError('ffmpeg stopped: the job was cancelled', log));
    child.on('error', (error) => reject(signal?.aborted ? aborted() : new ToolError(`ffmpeg: ${error.message}`, log)));
    child.on('close', (code) => {
      if (signal?.aborted) return reject(aborted());
      if (fed) return reject(fed);
      if (code !== 0) return reject(new ToolError(`ffmpeg exited with ${code}: ${log.trim().split('\n').slice(-3).join(' | ')}`, log));
      resolve(log);
    });
  });
}

/** An uploaded rendition as a player joins it: its init segment (still on disk), then its segments in the store. */
export function renditionPieces(r: RenditionMeta, media: { path: string; name: string }[], at: { store: ObjectStore; bucket: string; prefix: string }): Piece[] {
  const init = r.initSegment === undefined ? undefined : media.find((m) => m.name === r.initSegment)?.path;
  if (r.initSegment !== undefined && !init) throw new Error(`rendition ${r.id}: its init segment is not on disk`);
  return [...(init ? [{ path: init }] : []), ...r.segments.map((s) => ({ store: at.store, bucket: at.bucket, name: at.prefix + s.uri }))];
}

/** A rendition whose init segment is uploaded too (the remux job's inputs): every piece from the store. */
export function storedPieces(r: RenditionMeta, at: { store: ObjectStore; bucket: string; prefix: string }): Piece[] {
  return [...(r.initSegment === undefined ? [] : [r.initSegment]), ...r.segments.map((s) => s.uri)].map((uri) => ({ store: at.store, bucket: at.bucket, name: at.prefix + uri }));
}

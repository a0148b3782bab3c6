// Text subtitles -> WebVTT with ffmpeg (argument arrays, never a shell), for the transcoder (embedded
// streams, sidecars present at inspect) and the captions activity (a sidecar uploaded later); and the
// sidecar files beside a source, found by the naming convention (domain/subtitles.ts).
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { parseSidecarName } from '../domain/subtitles.js';
import type { SidecarRef } from '../domain/types.js';
import type { ObjectStore } from '../ports.js';
import { listAll } from '../store-io.js';
import { toolEnv, ToolError } from './ffprobe.js';

/** Sidecars larger than this are not subtitles (a feature film's SRT is some 100 KB). */
export const MAX_SIDECAR_BYTES = 10 * 1024 * 1024;

function ffmpegToVtt(args: string[], stdin: Buffer | undefined, timeoutMs: number): Promise<string> {
  return new Promise((done, fail) => {
    const child = spawn(process.env.FFMPEG_PATH || 'ffmpeg', ['-nostdin', '-hide_banner', '-loglevel', 'error', ...args, '-c:s', 'webvtt', '-f', 'webvtt', 'pipe:1'], {
      env: toolEnv(),
      stdio: [stdin ? 'pipe' : 'ignore', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    let err = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.stdout?.on('data', (b: Buffer) => out.push(b));
    child.stderr?.on('data', (b: Buffer) => (err = (err + b.toString()).slice(-4000)));
    child.on('error', (e) => { clearTimeout(timer); fail(e); });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) done(Buffer.concat(out).toString('utf8'));
      else fail(new ToolError(signal ? `ffmpeg (WebVTT) ended by ${signal}` : (err.trim().split('\n').slice(-2).join(' ') || `ffmpeg exited ${code}`), err, signal === 'SIGKILL'));
    });
    // EPIPE when ffmpeg refuses the input early: its exit code tells.
    child.stdin?.on('error', () => undefined);
    child.stdin?.end(stdin);
  });
}

/** One embedded subtitle stream of a source (local path or URL) as a WebVTT document. */
export function embeddedToWebVtt(input: string, streamIndex: number, timeoutMs = 300_000): Promise<string> {
  const target = /^[a-z][a-z0-9+.-]*:\/\//i.test(input) ? input : resolve(input);
  return ffmpegToVtt(['-i', target, '-map', `0:${streamIndex}`], undefined, timeoutMs);
}

/** A sidecar's bytes (SubRip or WebVTT, UTF-8) as a WebVTT document; a file ffmpeg cannot read fails with its message. */
export function sidecarToWebVtt(body: Buffer, format: 'srt' | 'vtt', timeoutMs = 60_000): Promise<string> {
  return ffmpegToVtt(['-f', format === 'srt' ? 'srt' : 'webvtt', '-i', 'pipe:0', '-map', '0:s:0'], body, timeoutMs);
}

/** Sidecar files of `object` in its bucket (`<object>.<lang>[.forced|.sdh].<srt|vtt>`), by name. */
export async function findSidecars(store: ObjectStore, bucket: string, object: string): Promise<SidecarRef[]> {
  const found: SidecarRef[] = [];
  for (const o of await listAll(store, bucket, `${object}.`)) {
    const parsed = parseSidecarName(o.name);
    if (!parsed || parsed.video !== object || o.size === 0 || o.size > MAX_SIDECAR_BYTES) continue;
    const { video: _video, ...facts } = parsed;
    found.push({ object: o.name, ...(o.etag ? { etag: o.etag } : {}), ...facts });
  }
  return found;
}

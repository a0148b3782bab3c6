// The only module that knows ffprobe's command lines (and ffmpeg's idet sample), for the worker (inspect) and the transcoder alike.
// It runs with an allow-listed environment and a timeout, and answers parsed JSON.
import { execFile } from 'node:child_process';
import { resolve } from 'node:path';

export class ToolError extends Error {
  override readonly name = 'ToolError';
  constructor(message: string, readonly stderr: string, readonly timedOut = false) {
    super(message);
  }
}

// The worker probes sources with ffprobe, and its environment holds the Temporal API key: the tool gets
// only what it needs to run and reach a read URL.
const TOOL_ENV = ['PATH', 'HOME', 'LANG', 'LC_ALL', 'TMPDIR', 'TZ', 'HTTP_PROXY', 'HTTPS_PROXY', 'NO_PROXY', 'http_proxy', 'https_proxy', 'no_proxy'];

export function toolEnv(env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  return Object.fromEntries(TOOL_ENV.filter((key) => env[key] !== undefined).map((key) => [key, env[key]]));
}

function ffprobe(args: string[], timeoutMs: number): Promise<unknown> {
  return new Promise((resolve, reject) => {
    execFile(process.env.FFPROBE_PATH || 'ffprobe', ['-v', 'error', '-print_format', 'json', ...args], { maxBuffer: 256 * 1024 * 1024, timeout: timeoutMs, env: toolEnv() }, (error, stdout, stderr) => {
      if (error) {
        const timedOut = error.killed === true || error.signal === 'SIGTERM';
        const detail = stderr.trim().split('\n').slice(-3).join(' ') || error.message;
        reject(new ToolError(timedOut ? `ffprobe timed out after ${timeoutMs} ms` : detail, stderr, timedOut));
        return;
      }
      try {
        resolve(JSON.parse(stdout));
      } catch {
        reject(new ToolError('ffprobe printed no JSON', stderr));
      }
    });
  });
}

/** Container and streams (side data included: rotation lives there). */
export const probeMedia = (target: string, timeoutMs = 60_000): Promise<unknown> =>
  ffprobe(['-show_format', '-show_streams', '--', target], timeoutMs);

/** What codec strings are computed from: profile, level, time base and the decoder configuration bytes. */
export const probeCodecData = (target: string, timeoutMs = 30_000): Promise<unknown> =>
  ffprobe(['-show_data', '-show_entries', 'stream=codec_type,codec_name,codec_tag_string,profile,level,time_base,width,height,extradata', '--', target], timeoutMs);


/** idet's multi-frame counts from ffmpeg's log (the single-frame line is noisier). */
export function parseIdet(stderr: string): { tff: number; bff: number; progressive: number; undetermined: number } | undefined {
  const m = /Multi frame detection:\s*TFF:\s*(\d+)\s*BFF:\s*(\d+)\s*Progressive:\s*(\d+)\s*Undetermined:\s*(\d+)/.exec(stderr);
  return m ? { tff: Number(m[1]), bff: Number(m[2]), progressive: Number(m[3]), undetermined: Number(m[4]) } : undefined;
}

/**
 * Runs idet over `frames` frames of one video stream from `startSec`: a bounded decode (about a second
 * for 200 frames of 1080i MPEG-2 on one core), run only for streams flagged interlaced. Undefined when
 * the sample cannot be decoded: the flag then stands.
 */
export function sampleFields(target: string, streamIndex: number, o: { startSec: number; frames: number; timeoutMs?: number }): Promise<ReturnType<typeof parseIdet>> {
  // ffmpeg has no `--`: a local input is made absolute so that it can never read as an option.
  const input = /^[a-z][a-z0-9+.-]*:\/\//i.test(target) ? target : resolve(target);
  const args = ['-nostdin', '-hide_banner', '-loglevel', 'info', ...(o.startSec > 0 ? ['-ss', o.startSec.toFixed(3)] : []), '-i', input,
    '-map', `0:${streamIndex}`, '-filter:v', 'idet', '-frames:v', String(o.frames), '-an', '-sn', '-dn', '-f', 'null', '-'];
  return new Promise((done) => {
    execFile(process.env.FFMPEG_PATH || 'ffmpeg', args, { maxBuffer: 16 * 1024 * 1024, timeout: o.timeoutMs ?? 60_000, env: toolEnv() }, (error, _stdout, stderr) => {
      done(error ? undefined : parseIdet(stderr));
    });
  });
}

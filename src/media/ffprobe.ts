// The only module that knows ffprobe's command lines, for the worker (inspect) and the transcoder alike.
// It runs with an allow-listed environment and a timeout, and answers parsed JSON.
import { execFile } from 'node:child_process';

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
  ffprobe(['-show_data', '-show_entries', 'stream=codec_type,codec_name,profile,level,time_base,width,height,extradata', '--', target], timeoutMs);


// What the benchmark reports besides timings: the machine, and each run's top rendition.
import { execFile } from 'node:child_process';
import { readFile, stat } from 'node:fs/promises';
import { availableParallelism, loadavg, totalmem } from 'node:os';
import { promisify } from 'node:util';
import { readHls, type HlsMediaPlaylist } from '../../tests/helpers/stream-audit/hls.js';

const run = promisify(execFile);

export interface Machine {
  cpus: number;
  model: string;
  memGiB: string;
  ffmpeg: string;
  load: string;
}

export async function machine(): Promise<Machine> {
  const cpuinfo = await readFile('/proc/cpuinfo', 'utf8').catch(() => '');
  const { stdout } = await run('ffmpeg', ['-hide_banner', '-version']);
  return {
    cpus: availableParallelism(),
    model: /model name\s*:\s*(.+)/.exec(cpuinfo)?.[1]?.trim() ?? 'unknown CPU',
    memGiB: (totalmem() / 2 ** 30).toFixed(1),
    ffmpeg: stdout.split('\n')[0]?.replace(/ Copyright.*/, '') ?? 'ffmpeg',
    load: loadavg().map((l) => l.toFixed(2)).join(' '),
  };
}

/** The engine code measured: last commit touching src/, and whether src/ has uncommitted edits. */
export async function engineRevision(): Promise<string> {
  const git = async (args: string[]): Promise<string> => (await run('git', args).catch(() => ({ stdout: '' }))).stdout.trim();
  const commit = (await git(['log', '-1', '--format=%h %s', '--', 'src'])).slice(0, 90);
  const dirty = (await git(['status', '--porcelain', '--', 'src'])) !== '';
  return `${commit || 'unknown'}${dirty ? ' (plus uncommitted edits in src/)' : ''}`;
}

export interface TopVariant extends HlsMediaPlaylist {
  width: number;
  height: number;
}

/** The variant with the largest RESOLUTION (then BANDWIDTH) in an HLS master. */
export async function topVariant(masterPath: string): Promise<TopVariant> {
  const hls = await readHls(masterPath);
  const size = (v: HlsMediaPlaylist): { width: number; height: number } =>
    (v.attributes.RESOLUTION as { width: number; height: number } | undefined) ?? { width: 0, height: 0 };
  const score = (v: HlsMediaPlaylist): number => size(v).width * size(v).height * 1e9 + Number(v.attributes.BANDWIDTH ?? 0);
  const top = hls.variants.reduce((best, v) => (score(v) > score(best) ? v : best));
  return { ...top, ...size(top) };
}

/** Average bit rate actually written for a variant's video segments (bits per second). */
export async function outputBitrate(v: HlsMediaPlaylist): Promise<number> {
  let bytes = 0;
  let seconds = 0;
  for (const s of v.segments) {
    bytes += s.byterange ? s.byterange.length : (await stat(s.path)).size;
    seconds += s.durationSec;
  }
  return seconds > 0 ? (bytes * 8) / seconds : 0;
}

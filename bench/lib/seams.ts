// The seam check of a time-split encode: the chunked output of a source against the single-job output
// of the same source, rung by rung, with Debian's ffmpeg and ffprobe only. Used by the chunked transcode
// test (tests/functional/transcoder/chunks.test.ts) and by `npm run bench:long`.
// - frames and duration: the same count and the same timestamps as the single job (no frame lost or
//   invented anywhere);
// - joins: each frame around a join looks most like the source frame with its own number (a chunk encoded
//   from a shifted offset, or one that dropped or repeated a frame, fails here);
// - quality: the SSIM (against the source) of the segment after each join, no worse than the single job's
//   same segment by more than `ssimSlack`;
// - audio: the same samples as the single job, its packets back to back (no gap, no overlap).
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);
const BUFFER = 256 * 1024 * 1024;

export interface SeamInput {
  /** Media playlists of one rung (or any input ffmpeg reads): chunked and single-job outputs. */
  chunked: string;
  single: string;
  /** The source, scaled to the rung's size for comparisons. */
  source: string;
  width: number;
  height: number;
  fps: number;
  /** Frame numbers where chunks join (each chunk's startFrame but the first). */
  joins: number[];
  segmentFrames: number;
  /** Frames either side of a join whose best-matching source frame must be their own. */
  window?: number;
  ssimSlack?: number;
}

export interface JoinFigures {
  frame: number;
  /** Per frame around the join: the source frame it matches best, minus its own number (0 is right). */
  offsets: number[];
  chunkedSsim: number;
  singleSsim: number;
}

export interface SeamReport {
  frames: { chunked: number; single: number };
  durationSec: { chunked: number; single: number };
  joins: JoinFigures[];
  problems: string[];
}

async function frameTimes(input: string): Promise<number[]> {
  const { stdout } = await run('ffprobe', ['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'frame=pts_time', '-of', 'csv=p=0', input], { maxBuffer: BUFFER });
  // One line per frame, "pts_time," (ffprobe appends a separator when a frame has side data).
  const times = stdout.split('\n').filter(Boolean).map((l) => Number(l.split(',')[0]));
  const missing = times.findIndex((t) => !Number.isFinite(t));
  if (missing >= 0) throw new Error(`${input}: frame ${missing} has no timestamp`);
  return times;
}

/** Frames [from, to) of an input as small grey pictures (enough to tell neighbouring frames apart). */
async function thumbs(input: string, from: number, to: number, w: number, h: number, scaleFirst?: { width: number; height: number }): Promise<Buffer[]> {
  const pre = scaleFirst ? `scale=${scaleFirst.width}:${scaleFirst.height},` : '';
  const graph = `setpts=PTS-STARTPTS,${pre}select='between(n\\,${from}\\,${to - 1})',scale=${w}:${h}:flags=area,format=gray`;
  const { stdout } = await run('ffmpeg', ['-v', 'error', '-nostdin', '-i', input, '-vf', graph, '-fps_mode', 'passthrough', '-frames:v', String(to - from), '-f', 'rawvideo', '-'], { encoding: 'buffer', maxBuffer: BUFFER });
  const size = w * h;
  return Array.from({ length: Math.floor(stdout.length / size) }, (_, i) => stdout.subarray(i * size, (i + 1) * size));
}

/** How much better (relative mean absolute difference) another source frame must match than a frame's own. */
const TIE = 0.05;

const mad = (a: Buffer, b: Buffer): number => {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += Math.abs((a[i] ?? 0) - (b[i] ?? 0));
  return sum / a.length;
};

/** Per-frame SSIM (All) of an output against the source scaled to its size. */
async function ssimPerFrame(output: string, source: string, width: number, height: number): Promise<number[]> {
  const graph = `[0:v]format=yuv420p,setpts=PTS-STARTPTS[main];[1:v]scale=${width}:${height}:flags=bicubic,format=yuv420p,setpts=PTS-STARTPTS[ref];[main][ref]ssim=stats_file=-:shortest=1[out]`;
  const { stdout } = await run('ffmpeg', ['-v', 'error', '-nostdin', '-i', output, '-i', source, '-filter_complex', graph, '-map', '[out]', '-f', 'null', '-'], { maxBuffer: BUFFER });
  return stdout.split('\n').filter(Boolean).map((l) => Number(/All:([\d.]+)/.exec(l)?.[1] ?? Number.NaN));
}

const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);

export async function checkSeams(o: SeamInput): Promise<SeamReport> {
  const window = o.window ?? 3;
  const slack = o.ssimSlack ?? 0.02;
  const problems: string[] = [];
  const [chunkedTimes, singleTimes] = await Promise.all([frameTimes(o.chunked), frameTimes(o.single)]);
  const frameSec = 1 / o.fps;
  const span = (t: number[]): number => (t.length ? (t.at(-1) ?? 0) - (t[0] ?? 0) + frameSec : 0);
  if (chunkedTimes.length !== singleTimes.length) problems.push(`${chunkedTimes.length} frames chunked, ${singleTimes.length} single-job`);
  const drift = chunkedTimes.findIndex((t, i) => Math.abs(t - (chunkedTimes[0] ?? 0) - ((singleTimes[i] ?? Number.NaN) - (singleTimes[0] ?? 0))) > frameSec / 2);
  if (drift >= 0) problems.push(`frame ${drift} is at ${chunkedTimes[drift]} s chunked, ${singleTimes[drift]} s single-job`);

  const [chunkedSsim, singleSsim] = await Promise.all([ssimPerFrame(o.chunked, o.source, o.width, o.height), ssimPerFrame(o.single, o.source, o.width, o.height)]);
  const joins: JoinFigures[] = [];
  for (const frame of o.joins) {
    const from = Math.max(0, frame - window);
    // The source window is wider, so a frame shifted by up to `window` still finds its match.
    const [mine, theirs] = await Promise.all([
      thumbs(o.chunked, from, frame + window, 64, 36),
      thumbs(o.source, from - Math.min(from, window), frame + 2 * window, 64, 36, { width: o.width, height: o.height }),
    ]);
    const base = from - Math.min(from, window);
    const offsets = mine.map((pic, i) => {
      // A frame's own source frame stands unless another matches clearly better: neighbours that hold the
      // same picture (the bench source's pattern advances every third frame) tie within noise.
      const own = from + i - base;
      let best = own;
      theirs.forEach((ref, j) => {
        if (mad(pic, ref) < mad(pic, theirs[best] ?? ref) * (1 - TIE)) best = j;
      });
      return base + best - (from + i);
    });
    const segment = (xs: number[]): number => mean(xs.slice(frame, frame + o.segmentFrames));
    const figures: JoinFigures = { frame, offsets, chunkedSsim: segment(chunkedSsim), singleSsim: segment(singleSsim) };
    joins.push(figures);
    if (offsets.some((d) => d !== 0)) problems.push(`join at frame ${frame}: frames ${from}..${frame + window - 1} match source frames shifted by ${offsets.join(', ')}`);
    if (figures.chunkedSsim < figures.singleSsim - slack) {
      problems.push(`join at frame ${frame}: SSIM ${figures.chunkedSsim.toFixed(4)} after the join, the single job ${figures.singleSsim.toFixed(4)}`);
    }
  }
  return { frames: { chunked: chunkedTimes.length, single: singleTimes.length }, durationSec: { chunked: span(chunkedTimes), single: span(singleTimes) }, joins, problems };
}

export interface AudioReport {
  samples: { chunked: number; single: number };
  /** Largest distance between one packet's end and the next one's start, in seconds. */
  worstGapSec: number;
  problems: string[];
}

/** Audio of a time-split run: one continuous encode, so the same samples as the single job, packets back to back. */
export async function checkAudio(chunked: string, single: string): Promise<AudioReport> {
  const packets = async (input: string): Promise<{ pts: number; duration: number }[]> => {
    const { stdout } = await run('ffprobe', ['-v', 'error', '-select_streams', 'a:0', '-show_entries', 'packet=pts_time,duration_time', '-of', 'csv=p=0', input], { maxBuffer: BUFFER });
    return stdout.split('\n').filter(Boolean).map((l) => {
      const [pts, duration] = l.split(',').map(Number);
      return { pts: pts ?? Number.NaN, duration: duration ?? Number.NaN };
    });
  };
  const [a, b] = await Promise.all([packets(chunked), packets(single)]);
  const samples = (p: { duration: number }[]): number => Math.round(p.reduce((s, x) => s + x.duration, 0) * 48_000);
  let worstGapSec = 0;
  for (let i = 1; i < a.length; i++) worstGapSec = Math.max(worstGapSec, Math.abs((a[i]?.pts ?? 0) - ((a[i - 1]?.pts ?? 0) + (a[i - 1]?.duration ?? 0))));
  const problems: string[] = [];
  if (samples(a) !== samples(b)) problems.push(`audio: ${samples(a)} samples chunked, ${samples(b)} single-job`);
  if (worstGapSec > 1e-4) problems.push(`audio: packets ${worstGapSec.toFixed(6)} s apart somewhere (a gap or an overlap)`);
  return { samples: { chunked: samples(a), single: samples(b) }, worstGapSec, problems };
}

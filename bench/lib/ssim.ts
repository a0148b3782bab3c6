// SSIM of a rendition against its source with ffmpeg's ssim filter. The rendition is scaled to the
// source's size (bicubic) so every rung compares against the same reference, and both timelines
// start at zero (MPEG-TS segments start at 1.4 s, fMP4 at 0).
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface Ssim {
  y: number;
  all: number;
  /** Frames compared: a mismatch with the source's frame count means the timelines drifted. */
  frames: number;
}

export async function ssim(rendition: string, source: string, size: { width: number; height: number }): Promise<Ssim> {
  const graph =
    `[0:v]scale=${size.width}:${size.height}:flags=bicubic,format=yuv420p,setpts=PTS-STARTPTS[main];` +
    `[1:v]format=yuv420p,setpts=PTS-STARTPTS[ref];[main][ref]ssim=shortest=1`;
  const { stderr } = await run(
    'ffmpeg',
    ['-hide_banner', '-nostdin', '-i', rendition, '-i', source, '-lavfi', graph, '-f', 'null', '-'],
    { maxBuffer: 64 * 1024 * 1024 },
  );
  const m = /SSIM Y:([\d.]+).*All:([\d.]+)/.exec(stderr);
  const frames = [...stderr.matchAll(/frame=\s*(\d+)/g)].pop()?.[1];
  if (!m) throw new Error(`no SSIM in ffmpeg output for ${rendition}:\n${stderr.slice(-1500)}`);
  return { y: Number(m[1]), all: Number(m[2]), frames: Number(frames ?? 0) };
}

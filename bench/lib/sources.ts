// Benchmark sources, generated with lavfi and cached under .data/bench/ (never downloaded).
//
// Content choice: testsrc2 alone is nearly free to encode (flat bars and one moving line), so any
// encoder setting meets any bit rate and speed/quality differences vanish. We blend in Conway's
// `life` at a quarter of the resolution, upscaled bicubic and advancing 10 times a second, which
// gives fine detail that changes unpredictably (like foliage or confetti: motion search cannot
// predict it), reseeded every few seconds (like scene cuts) so it stays busy for the whole clip,
// plus light temporal noise standing in for sensor grain. At 5 Mbit/s 1080p the result lands near
// SSIM 0.9: hard, but in the range where encoder settings show.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
export const BENCH_DIR = resolve('.data/bench');

export interface BenchSource {
  path: string;
  width: number;
  height: number;
  seconds: number;
}

/** Seconds between reseeds of the automaton: left alone, life thins out to still lifes within ~30 s. */
const RESEED_SEC = 6;

function graph(width: number, height: number, seconds: number): string {
  const lw = Math.round(width / 8) * 2; // life grid at a quarter of the picture, even-sized
  const lh = Math.round(height / 8) * 2;
  const chunks = Math.ceil(seconds / RESEED_SEC);
  const life = Array.from({ length: chunks }, (_, i) =>
    `life=size=${lw}x${lh}:rate=10:mold=10:ratio=0.4:seed=${i + 7}:death_color=#102030:life_color=#e0b070,` +
    `trim=duration=${RESEED_SEC},setpts=PTS-STARTPTS[l${i}]`,
  );
  return (
    `testsrc2=size=${width}x${height}:rate=30:duration=${seconds},format=yuv420p[base];` +
    `${life.join(';')};${life.map((_, i) => `[l${i}]`).join('')}concat=n=${chunks}:v=1:a=0,` +
    `fps=30,scale=${width}:${height}:flags=bicubic,format=yuv420p[cells];` +
    `[base][cells]blend=all_mode=normal:all_opacity=0.75:shortest=1,noise=alls=2:allf=t:all_seed=11,format=yuv420p[v];` +
    `sine=frequency=440:sample_rate=48000:duration=${seconds}[l];sine=frequency=660:sample_rate=48000:duration=${seconds}[r];` +
    `[l][r]join=inputs=2:channel_layout=stereo[a]`
  );
}

/** A 30 fps clip with stereo audio, as a camera-like mezzanine (x264 CRF 16, 2 s GOP, AAC 192k). */
export async function benchSource(width: number, height: number, seconds: number, log: (line: string) => void): Promise<BenchSource> {
  const path = join(BENCH_DIR, `source-${width}x${height}-${seconds}s-v2.mp4`);
  if (!existsSync(path)) {
    await mkdir(BENCH_DIR, { recursive: true });
    log(`generating ${path} (once; cached)`);
    const tmp = `${path}.${process.pid}.tmp.mp4`;
    try {
      await run('ffmpeg', [
        '-hide_banner', '-nostdin', '-loglevel', 'error', '-y',
        '-filter_complex', graph(width, height, seconds),
        '-map', '[v]', '-map', '[a]',
        // ultrafast keeps generation quick; CRF 16 keeps it visually lossless for SSIM.
        '-c:v', 'libx264', '-preset', 'ultrafast', '-crf', '16', '-g', '60', '-pix_fmt', 'yuv420p',
        '-c:a', 'aac', '-b:a', '192k', '-movflags', '+faststart', '-t', String(seconds), tmp,
      ]);
      await rename(tmp, path);
    } finally {
      await rm(tmp, { force: true });
    }
  }
  return { path, width, height, seconds };
}

// The demo's sample clip, generated with ffmpeg's lavfi sources (never downloaded) and cached in
// <dataDir>/samples/. Written under a temporary name and renamed, so an interrupted run leaves no
// half clip behind for the next one to trust.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface SampleOptions {
  seconds?: number;
  width?: number;
  height?: number;
}

export function sampleArgs(out: string, o: Required<SampleOptions>): string[] {
  return [
    '-hide_banner', '-loglevel', 'error', '-y',
    '-f', 'lavfi', '-i', `testsrc2=size=${o.width}x${o.height}:rate=30:duration=${o.seconds}`,
    '-f', 'lavfi', '-i', `sine=frequency=440:sample_rate=48000:duration=${o.seconds}`,
    '-c:v', 'libx264', '-preset', 'veryfast', '-pix_fmt', 'yuv420p', '-g', '60',
    '-c:a', 'aac', '-b:a', '128k', '-shortest', '-movflags', '+faststart', out,
  ];
}

/** Path of the sample, made on first use: default 10 s of 1280x720 test pattern with a tone. */
export async function ensureSample(samplesDir: string, options: SampleOptions = {}): Promise<string> {
  const o = { seconds: 10, width: 1280, height: 720, ...options };
  const path = join(samplesDir, `sample-${o.width}x${o.height}-${o.seconds}s.mp4`);
  if (existsSync(path)) return path;
  await mkdir(samplesDir, { recursive: true });
  const tmp = `${path}.${process.pid}.partial.mp4`;
  try {
    await run('ffmpeg', sampleArgs(tmp, o));
    await rename(tmp, path);
  } finally {
    await rm(tmp, { force: true });
  }
  return path;
}

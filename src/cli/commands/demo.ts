// `oci-transcode demo` (npm run demo): a generated sample through the whole local pipeline, ending
// with a published stream checked by ffprobe and a completed run in the Web UI.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { loadConfig } from '../../config.js';
import { bucketDir, stackPaths } from '../../stack/paths.js';
import { ensureSample } from '../../stack/sample.js';
import type { TranscodeResult } from '../../workflows/definitions.js';
import { CliError } from './cli-error.js';
import { runFile } from './run.js';

const run = promisify(execFile);

/** Reads the published master the way a player starts: through its variants. */
async function probeStreams(master: string): Promise<string> {
  const { stdout } = await run('ffprobe', ['-v', 'error', '-show_entries', 'stream=codec_type,width,height', '-of', 'json', master]);
  const streams = (JSON.parse(stdout) as { streams?: { codec_type: string; width?: number; height?: number }[] }).streams ?? [];
  const video = streams.filter((s) => s.codec_type === 'video');
  const audio = streams.filter((s) => s.codec_type === 'audio');
  if (video.length === 0) throw new CliError(`the published ${master} has no video stream ffprobe can read`);
  const sizes = [...new Set(video.map((v) => `${v.width}x${v.height}`))].join(', ');
  return `${video.length} video (${sizes}) and ${audio.length} audio streams`;
}

export async function demo(opts: { stop?: boolean }): Promise<void> {
  const config = loadConfig();
  const paths = stackPaths(config.dataDir);
  console.log('Generating the sample clip (10 s, 1280x720, test pattern + tone; cached)...');
  const sample = await ensureSample(paths.samplesDir);
  console.log(`Sample: ${sample}`);
  const outcome = await runFile(sample, { name: 'demo/sample.mp4', stop: opts.stop });
  const result = outcome.result as TranscodeResult;
  if (result.hls) {
    const master = join(bucketDir(paths, result.bucket), result.hls);
    console.log(`Playable: ffprobe reads ${await probeStreams(master)} through ${master}`);
    console.log(`Play it:  ffplay ${master}`);
  }
}

// `npm run bench:transcode -- --codecs`: what HEVC and AV1 rungs cost beside the H.264 ladder. The transcoder
// command on the 60 s 1280x720 benchmark source, default ladder (720p, 480p, 360p), once per codec list;
// the extra codec's CPU is the difference to the H.264-only run. SSIM of each codec's 720p rung against the
// source, with its written bit rate, shows the quality the bit rate factors buy (domain/codec-rungs.ts).
import { mkdir } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { MASTER_PLAYLIST } from '../../src/domain/layout.js';
import { readHls } from '../../tests/helpers/stream-audit/hls.js';
import { engineRevision, machine, outputBitrate } from './inspect.js';
import { measure, type Measured } from './measure.js';
import { benchSource } from './sources.js';
import { ssim, type Ssim } from './ssim.js';

const BIN = resolve('bin/oci-transcode.js');
const LISTS = ['h264', 'h264,hevc', 'h264,av1'] as const;

export async function codecsBench(o: { seconds: number; runDir: string; noSsim: boolean; log: (line: string) => void }): Promise<void> {
  const info = await machine();
  const src = await benchSource(1280, 720, o.seconds, o.log);
  const runs: { list: string; m: Measured; out: string }[] = [];
  for (const list of LISTS) {
    const out = join(o.runDir, `codecs-${list.replace(/,/g, '-')}`);
    await mkdir(out, { recursive: true });
    o.log(`ours, default ladder, --codecs ${list}`);
    const m = await measure(`--codecs ${list}`, process.execPath, [BIN, 'transcode', '--source', src.path, '--dest', out, '--publish', '--codecs', list]);
    if (!m.lastStdoutLine.includes('"result"')) throw new Error(`--codecs ${list} failed:\n${m.stderrTail}`);
    runs.push({ list, m, out });
  }
  const h264Cpu = runs[0]?.m.cpuSec ?? NaN;
  console.log(`\n## Modern codecs (bench:transcode --codecs), ${new Date().toISOString().slice(0, 10)}`);
  console.log(`Machine: ${info.cpus} CPUs (${info.model}), ${info.ffmpeg}; engine ${await engineRevision()}; load before ${info.load}`);
  console.log(`Source: ${o.seconds} s 1280x720 30 fps (bench/lib/sources.ts), default ladder 720p/480p/360p\n`);
  console.log('| codecs | wall s | CPU s | extra CPU s | 720p rung of each codec: Mbit/s written, SSIM vs source |');
  console.log('|---|---|---|---|---|');
  for (const r of runs) {
    const hls = await readHls(join(r.out, basename(src.path), MASTER_PLAYLIST));
    const tops: string[] = [];
    for (const entry of ['avc1', 'hvc1', 'av01']) {
      const top = hls.variants.find((v) => (v.attributes.CODECS as string | undefined)?.startsWith(entry) && (v.attributes.RESOLUTION as { height?: number } | undefined)?.height === 720);
      if (!top || (entry === 'avc1' && r.list !== 'h264')) continue;
      const q: Ssim | undefined = o.noSsim ? undefined : await ssim(top.path, src.path, src);
      tops.push(`${entry} ${((await outputBitrate(top)) / 1e6).toFixed(2)}${q ? `, ${q.all.toFixed(4)} (Y ${q.y.toFixed(4)})` : ''}`);
    }
    const extra = r.list === 'h264' ? '' : ((r.m.cpuSec ?? NaN) - h264Cpu).toFixed(1);
    console.log(`| ${r.list} | ${r.m.wallSec.toFixed(1)} | ${(r.m.cpuSec ?? NaN).toFixed(1)} | ${extra} | ${tops.join('; ')} |`);
  }
}

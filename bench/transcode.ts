// `npm run bench:transcode`: our engine against the original pipeline's ffmpeg commands, measured in
// one run on this machine, with the SSIM of each top rendition so speed is compared at equal quality.
//   (a) ours, seed ladder, HLS + DASH from one encode   vs  (b) the original's HLS run + DASH run
//   (c) ours, default ladder, on a 720p source           vs  the original's HLS run on that source
// With --codecs, only the cost of HEVC and AV1 rungs beside H.264 instead (bench/lib/codecs.ts).
// Prints figures (and PASS/MISS against the targets); it never fails a build.
import { mkdir, readdir, rm, stat } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { MASTER_PLAYLIST } from '../src/domain/layout.js';
import { originalDashArgs, originalHlsArgs, ORIGINAL_TOP } from './lib/baseline.js';
import { engineRevision, machine, outputBitrate, topVariant } from './lib/inspect.js';
import { measure, type Measured } from './lib/measure.js';
import { codecsBench } from './lib/codecs.js';
import { BENCH_DIR, benchSource } from './lib/sources.js';
import { ssim, type Ssim } from './lib/ssim.js';

const { values: opts } = parseArgs({
  options: {
    seconds: { type: 'string', default: '60' },
    keep: { type: 'boolean', default: false },
    'no-ssim': { type: 'boolean', default: false },
    codecs: { type: 'boolean', default: false },
  },
});
const seconds = Number(opts.seconds);
const BIN = resolve('bin/oci-transcode.js');
const log = (line: string): void => console.error(`[bench] ${line}`);
const FFMPEG = ['-hide_banner', '-nostdin', '-y'];

if (opts.codecs) {
  const runDir = join(BENCH_DIR, 'runs', new Date().toISOString().replace(/[:.]/g, '-'));
  await codecsBench({ seconds, runDir, noSsim: opts['no-ssim'], log });
  if (!opts.keep) await rm(runDir, { recursive: true, force: true });
  process.exit(0);
}

const info = await machine();
const revision = await engineRevision();
const src1080 = await benchSource(1920, 1080, seconds, log);
const src720 = await benchSource(1280, 720, seconds, log);
const runDir = join(BENCH_DIR, 'runs', new Date().toISOString().replace(/[:.]/g, '-'));
const dir = (name: string): string => join(runDir, name);
await Promise.all(['a-ours', 'b-hls', 'b-dash', 'c-ours', 'c-hls'].map((d) => mkdir(dir(d), { recursive: true })));

const ours = (label: string, source: string, out: string, preset: string): Promise<Measured> =>
  measure(label, process.execPath, [BIN, 'transcode', '--source', source, '--dest', out, '--publish', '--preset', preset]);

// Ours runs between the original's two runs, so a change in background load biases neither side.
log('(b) original HLS run, 1080p source');
const bHls = await measure('(b) original HLS run', 'ffmpeg', [...FFMPEG, ...originalHlsArgs(src1080.path, true)], { cwd: dir('b-hls') });
log('(a) ours, seed ladder');
const a = await ours('(a) ours, seed ladder, HLS+DASH', src1080.path, dir('a-ours'), 'seed');
log('(b) original DASH run, 1080p source');
const bDash = await measure('(b) original DASH run', 'ffmpeg', [...FFMPEG, ...originalDashArgs(src1080.path)], { cwd: dir('b-dash') });
log('(c) original HLS run, 720p source');
const cHls = await measure('(c) original HLS run, 720p source', 'ffmpeg', [...FFMPEG, ...originalHlsArgs(src720.path, true)], { cwd: dir('c-hls') });
log('(c) ours, default ladder, 720p source');
const c = await ours('(c) ours, default ladder, 720p source', src720.path, dir('c-ours'), 'default');
const loadAfter = (await machine()).load;

// Top renditions: ours from its master playlist, the original's is always stream_0 (1080p, even
// from a 720p source: it upscales).
const oursTopA = await topVariant(join(dir('a-ours'), basename(src1080.path), MASTER_PLAYLIST));
const oursTopC = await topVariant(join(dir('c-ours'), basename(src720.path), MASTER_PLAYLIST));
const origTopB = await topVariant(join(dir('b-hls'), 'master.m3u8'));
const origTopC = await topVariant(join(dir('c-hls'), 'master.m3u8'));
const quality = async (playlist: string, src: typeof src1080): Promise<Ssim | undefined> =>
  opts['no-ssim'] ? undefined : ssim(playlist, src.path, src);
log('SSIM of top renditions (this takes a while)');
const q = {
  a: await quality(oursTopA.path, src1080),
  b: await quality(origTopB.path, src1080),
  bDash: await quality(join(dir('b-dash'), ORIGINAL_TOP.dash), src1080),
  c: await quality(oursTopC.path, src720),
  cOrig: await quality(origTopC.path, src720),
};

async function folderBytes(dir: string): Promise<number> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  const sizes = await Promise.all(entries.filter((e) => e.isFile()).map((e) => stat(join(e.parentPath, e.name)).then((s) => s.size)));
  return sizes.reduce((a, b) => a + b, 0);
}

const fmt = (n: number | undefined, digits = 1): string => (n === undefined ? 'n/a' : n.toFixed(digits));
const ssimText = (s: Ssim | undefined): string => (s ? `${s.all.toFixed(4)} (Y ${s.y.toFixed(4)}, ${s.frames} frames)` : 'skipped');
/**
 * Scratch disk at its fullest: ours reports it (segments leave while it encodes); the original keeps every
 * output in its folder until the end, so its peak is the folder's final size.
 */
const scratchMiB = async (m: Measured, outDir?: string): Promise<number | undefined> => {
  if (outDir) return (await folderBytes(outDir)) / 2 ** 20;
  const event = JSON.parse(m.lastStdoutLine || '{}') as { peakScratchBytes?: number };
  return event.peakScratchBytes === undefined ? undefined : event.peakScratchBytes / 2 ** 20;
};
const row = async (m: Measured, top: string, s: Ssim | undefined, originalOut?: string): Promise<string> =>
  `| ${m.label} | ${fmt(m.wallSec)} | ${fmt(m.cpuSec)} | ${fmt(m.peakTreeMiB, 0)} | ${fmt(m.peakProcessMiB, 0)} | ${fmt(await scratchMiB(m, originalOut), 1)} | ${top} | ${ssimText(s)} |`;
const topText = async (t: Awaited<ReturnType<typeof topVariant>>): Promise<string> =>
  `${t.width}x${t.height} @ ${fmt((await outputBitrate(t)) / 1e6, 2)} Mbit/s`;

const b = { wallSec: bHls.wallSec + bDash.wallSec, cpuSec: (bHls.cpuSec ?? NaN) + (bDash.cpuSec ?? NaN) };
const verdict = (ratio: number, target: number, ours?: Ssim, theirs?: Ssim): string => {
  const dq = ours && theirs ? ours.all - theirs.all : undefined;
  const speed = ratio <= target ? 'PASS' : 'MISS';
  const qual = dq === undefined ? 'quality not measured' : `SSIM ours - original = ${dq >= 0 ? '+' : ''}${dq.toFixed(4)} (${dq >= -0.005 ? 'PASS' : 'MISS'}: at most 0.005 below)`;
  return `${ratio.toFixed(3)} (target <= ${target}: ${speed}); ${qual}`;
};

console.log(`\n## Transcode benchmark, ${new Date().toISOString().slice(0, 10)}`);
console.log(`Machine: ${info.cpus} CPUs (${info.model}), ${info.memGiB} GiB RAM, ${info.ffmpeg}, Node ${process.version}`);
console.log(`Engine: ${revision}`);
console.log(`Load average before / after: ${info.load} / ${loadAfter} (shared machine: compare the CPU-time ratio too)`);
console.log(`Sources: ${seconds} s 1920x1080 and 1280x720, 30 fps, stereo AAC (see bench/lib/sources.ts)\n`);
console.log('| run | wall s | CPU s | peak RSS tree MiB | peak RSS process MiB | peak scratch MiB | top rendition | SSIM of top vs source |');
console.log('|---|---|---|---|---|---|---|---|');
console.log(await row(a, await topText(oursTopA), q.a));
console.log(await row(bHls, await topText(origTopB), q.b, dir('b-hls')));
console.log(await row(bDash, '1920x1080 (same settings)', q.bDash, dir('b-dash')));
console.log(await row(c, await topText(oursTopC), q.c));
console.log(await row(cHls, await topText(origTopC), q.cOrig, dir('c-hls')));
console.log('');
console.log(`(a)/(b) wall: ${verdict(a.wallSec / b.wallSec, 0.55, q.a, q.b)}`);
console.log(`(a)/(b) CPU:  ${fmt(a.cpuSec !== undefined ? a.cpuSec / b.cpuSec : undefined, 3)}`);
console.log(`(c) wall:     ${verdict(c.wallSec / cHls.wallSec, 0.5, q.c, q.cOrig)}`);
console.log(`(c) CPU:      ${fmt(c.cpuSec !== undefined && cHls.cpuSec ? c.cpuSec / cHls.cpuSec : undefined, 3)}`);

if (!opts.keep) await rm(runDir, { recursive: true, force: true });
else log(`outputs kept in ${runDir}`);

// `npm run bench:long`: a time-split encode against the single-job encode of the same generated 1080p
// source with audio (default 3 minutes), in one run on this machine. Each job runs as the workflow runs
// it (the transcoder command with --plan and --job over a folder store), one after the other, so each is
// measured alone: the projected wall time with one instance per chunk is the longest job plus the
// stitching publish plus one poll interval (instance start-up on OCI is not included: no OCI here).
// Then the seam check (bench/lib/seams.ts) on the top and the lowest rung, and the audio.
// Prints figures (and PASS/MISS against the issue's targets); it never fails a build.
import { copyFile, mkdir, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { LocalFolderStore } from '../src/adapters/local/object-store.js';
import { chunkPlan, previewFirst, segmentFrames } from '../src/domain/chunks.js';
import { planLadder } from '../src/domain/ladder.js';
import type { Plan } from '../src/domain/types.js';
import { probeSource } from '../src/media/probe.js';
import { publishStream, readRenditionsFiles } from '../src/publish/publish.js';
import { engineRevision, machine } from './lib/inspect.js';
import { measure, type Measured } from './lib/measure.js';
import { schedule } from './lib/sim-model.js';
import { checkAudio, checkSeams } from './lib/seams.js';
import { vmafFfmpeg, vmafOf } from './lib/vmaf.js';
import { BENCH_DIR, benchSource } from './lib/sources.js';

const { values: opts } = parseArgs({
  options: {
    seconds: { type: 'string', default: '180' },
    'chunk-sec': { type: 'string', default: '30' },
    // The cap for the preview's time to first playable: fewer instances than jobs, so a preview goes first.
    instances: { type: 'string', default: '3' },
    keep: { type: 'boolean', default: false },
  },
});
const seconds = Number(opts.seconds);
const chunkSec = Number(opts['chunk-sec']);
const instances = Number(opts.instances);
const BIN = resolve('bin/oci-transcode.js');
const POLL_SEC = 2;
const log = (line: string): void => console.error(`[bench:long] ${line}`);
const f = (n: number, d = 1): string => n.toFixed(d);

const info = await machine();
const revision = await engineRevision();
const src = await benchSource(1920, 1080, seconds, log);
const work = join(BENCH_DIR, 'long');
await rm(work, { recursive: true, force: true });
const stores = { single: join(work, 'single'), chunked: join(work, 'chunked'), preview: join(work, 'preview') };
for (const store of Object.values(stores)) {
  await mkdir(join(store, 'media-in'), { recursive: true });
  await copyFile(src.path, join(store, 'media-in', 'film.mp4'));
}
const probe = await probeSource(src.path);
const single = planLadder(probe, { etag: 'bench' });
const chunked = chunkPlan(single, { thresholdSec: 1, chunkSec });
log(`source ${src.path}: ${seconds} s 1080p; ${chunked.jobs.length - 1} chunks of ${chunkSec} s + audio; rungs ${single.video.map((v) => v.id).join(', ')}`);

function job(store: string, plan: Plan, id: string): Promise<Measured> {
  process.env.OCI_TRANSCODE_STORE = `local:${store}`;
  log(`job ${id}…`);
  return measure(id, process.execPath, [BIN, 'transcode', '--source', 'oci://ns/media-in/film.mp4', '--dest', 'oci://ns/media-out/', '--plan', JSON.stringify(plan), '--job', id]);
}

async function publish(store: string, plan: Plan): Promise<number> {
  const t0 = performance.now();
  const s = new LocalFolderStore(store);
  const dest = { bucket: 'media-out', prefix: '' };
  const files = await readRenditionsFiles(s, { dest, sourceObject: 'film.mp4', plan });
  await publishStream({ store: s, dest, sourceObject: 'film.mp4', plan, files });
  return (performance.now() - t0) / 1000;
}

const one = await job(stores.single, single, 'all');
const singlePublish = await publish(stores.single, single);
const runs: Measured[] = [];
for (const spec of chunked.jobs) runs.push(await job(stores.chunked, chunked, spec.id));
const chunkedPublish = await publish(stores.chunked, chunked);
// Preview first under a cap of `instances`: the preview jobs (the lowest rung over longer ranges) for
// real, then the time to first playable from the schedule the workflow makes (audio and preview jobs
// first, in plan order), plus the preview's publish (the stitching publish's time) and a poll.
const previewed = previewFirst(chunked, instances);
const previewRuns: Measured[] = [];
for (const spec of previewed.jobs.filter((j) => j.preview && j.chunk)) previewRuns.push(await job(stores.preview, previewed, spec.id));
const audioRun = runs[chunked.jobs.findIndex((j) => !j.chunk)]!;
const firstWave = schedule([{ id: 'audio', sec: audioRun.wallSec }, ...previewRuns.map((m) => ({ id: m.label, sec: m.wallSec }))], instances, POLL_SEC);
const firstPlayable = firstWave.makespanSec + chunkedPublish + POLL_SEC;

const cpu = (m: Measured): number => m.cpuSec ?? Number.NaN;
const chunkedCpu = runs.reduce((s, m) => s + cpu(m), 0);
const longest = runs.reduce((a, b) => (b.wallSec > a.wallSec ? b : a));
const projected = longest.wallSec + chunkedPublish + POLL_SEC;
const singleWall = one.wallSec + singlePublish;

const stream = (store: string): string => join(store, 'media-out', 'film.mp4');
const rungs = [chunked.video[0]!, chunked.video.at(-1)!];
function seamInputs(store: string, plan: Plan, rung: Plan['video'][number]): string {
  return join(stream(store), plan.version, rung.id, 'playlist.m3u8');
}
const vmaf = await vmafFfmpeg(log);
const seams = [];
for (const rung of rungs) {
  log(`seam check ${rung.id}…`);
  const report = await checkSeams({
    chunked: seamInputs(stores.chunked, chunked, rung),
    single: seamInputs(stores.single, single, rung),
    source: src.path,
    width: rung.width,
    height: rung.height,
    fps: chunked.fps,
    joins: chunked.jobs.flatMap((j) => (j.chunk && j.chunk.index > 0 ? [j.chunk.startFrame] : [])),
    segmentFrames: segmentFrames(chunked)!,
  });
  // VMAF of the segment after each join, chunked and single (libvmaf at 1080p is slow: joins only).
  const vmafs = [];
  for (const j of report.joins) {
    if (!vmaf) break;
    const at = { source: src.path, width: rung.width, height: rung.height, startSec: j.frame / chunked.fps, durSec: chunked.segmentSeconds };
    const [c, s] = [await vmafOf(vmaf, { ...at, output: seamInputs(stores.chunked, chunked, rung) }), await vmafOf(vmaf, { ...at, output: seamInputs(stores.single, single, rung) })];
    vmafs.push({ frame: j.frame, chunked: c, single: s });
  }
  seams.push({ rung: rung.id, report, vmafs });
}
const audio = await checkAudio(join(stream(stores.chunked), 'master.m3u8'), join(stream(stores.single), 'master.m3u8'));

const verdict = (ok: boolean): string => (ok ? 'PASS' : 'MISS');
const lines = [
  `machine: ${info.cpus} cores, ${info.model}, ${info.memGiB} GiB, ${info.ffmpeg}, load ${info.load}; engine ${revision}`,
  `source: generated ${seconds} s 1920x1080 30 fps with stereo audio; ${chunked.jobs.length - 1} chunks of ${chunkSec} s + audio job; rungs ${single.video.map((v) => v.id).join(', ')}`,
  `single job: wall ${f(one.wallSec)} s, CPU ${f(cpu(one))} s, publish ${f(singlePublish, 2)} s, peak RSS ${f(one.peakTreeMiB, 0)} MiB`,
  ...runs.map((m) => `  ${m.label}: wall ${f(m.wallSec)} s, CPU ${f(cpu(m))} s, peak RSS ${f(m.peakTreeMiB, 0)} MiB`),
  `chunked CPU total ${f(chunkedCpu)} s = ${f(chunkedCpu / cpu(one), 3)} of single-job CPU (target <= 1.10: ${verdict(chunkedCpu / cpu(one) <= 1.1)})`,
  `longest job ${longest.label} ${f(longest.wallSec)} s; stitching publish ${f(chunkedPublish, 2)} s; projected wall with one instance per job ${f(projected)} s = ${f(projected / singleWall, 3)} of single-job wall (target <= 0.25: ${verdict(projected / singleWall <= 0.25)}; OCI instance start-up not included)`,
  `preview first with ${instances} instances: ${previewRuns.length} preview job(s) of the ${previewed.video.at(-1)!.id} rung (${previewRuns.map((m) => `${m.label} ${f(m.wallSec)} s wall, ${f(cpu(m))} s CPU`).join(', ')}) beside the audio job (${f(audioRun.wallSec)} s): ` +
    `time to first playable ${f(firstPlayable)} s = ${f(firstPlayable / singleWall, 3)} of single-job wall; with one instance per job there is no preview (first playable = complete = ${f(projected)} s)`,
  ...seams.map(({ rung, report }) => `seams ${rung}: frames ${report.frames.chunked} chunked / ${report.frames.single} single; duration ${f(report.durationSec.chunked, 3)} / ${f(report.durationSec.single, 3)} s; ` +
    `joins ${report.joins.map((j) => `@${j.frame}: offsets ${j.offsets.every((o) => o === 0) ? 'all 0' : j.offsets.join(',')}, SSIM ${f(j.chunkedSsim, 4)} vs ${f(j.singleSsim, 4)}`).join('; ')}; ${report.problems.length === 0 ? 'PASS' : `MISS: ${report.problems.join(' | ')}`}`),
  ...seams.map(({ rung, vmafs }) => (vmafs.length === 0 ? `VMAF ${rung}: not measured (no ffmpeg with libvmaf)` :
    `VMAF ${rung} of the segment after each join, chunked vs single: ${vmafs.map((v) => `@${v.frame} ${f(v.chunked, 2)} vs ${f(v.single, 2)}`).join('; ')}; worst difference ${f(Math.max(...vmafs.map((v) => v.single - v.chunked)), 2)}`)),
  `audio: ${audio.samples.chunked} / ${audio.samples.single} samples, worst packet gap ${audio.worstGapSec.toExponential(2)} s; ${audio.problems.length === 0 ? 'PASS' : `MISS: ${audio.problems.join(' | ')}`}`,
];
console.log(lines.join('\n'));
if (!opts.keep) await rm(work, { recursive: true, force: true });

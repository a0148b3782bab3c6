// bench:simulate, step 1: real encodes on this machine that the simulation's durations come from. A
// generated 1080p source with stereo audio (bench/lib/sources.ts), time-split with 60 s chunks, and each
// job run as the workflow runs it (the transcoder command with --plan/--job over a folder store, as
// bench/long.ts does), one after the other so each is measured alone: the jobs of the preview-first plan
// (previewFirst(plan, 1): the pictures-and-audio job, one preview job of the lowest rung over every chunk,
// the chunks without that rung), then the chunks of the plain plan (every rung), and the audio job once more
// over a longer source (the same one repeated by stream copy): it decodes keyframes only, so over 120 s its
// fixed costs (process and ffmpeg start, probing) would dominate its rate. The result is the seconds of wall
// per second of source for each job kind, saved as JSON so a rerun can skip the encodes (--measured).
import { execFile } from 'node:child_process';
import { copyFile, link, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { join, resolve } from 'node:path';
import { chunkPlan, jobSeconds, previewFirst } from '../../src/domain/chunks.js';
import { planLadder } from '../../src/domain/ladder.js';
import type { JobSpec, Plan } from '../../src/domain/types.js';
import { probeSource } from '../../src/media/probe.js';
import { machine, type Machine } from './inspect.js';
import { measure } from './measure.js';
import { jobKind, type JobKind } from './sim-model.js';
import { BENCH_DIR, benchSource } from './sources.js';

export interface MeasuredJob {
  id: string;
  /** audio-only: in measurements before preview first, the audio job without its thumbnails (a what-if). */
  kind: JobKind | 'audio-only';
  /** Seconds of source the job encodes. */
  sourceSec: number;
  wallSec: number;
  cpuSec?: number;
  peakTreeMiB: number;
}

export interface MeasuredRates {
  measuredAt: string;
  machine: Machine;
  /** Load average after the encodes (the machine is shared). */
  loadAfter: string;
  source: { width: number; height: number; seconds: number; chunkSec: number; rungs: string[] };
  jobs: MeasuredJob[];
  /** Seconds of wall per second of source per job kind (sim-model.ts Rates). */
  rates: { chunk: number; audio: number; rest?: number; preview?: number; audioOnly?: number };
}

const BIN = resolve('bin/oci-transcode.js');

export function ratesOf(jobs: MeasuredJob[]): MeasuredRates['rates'] {
  const of = (kind: MeasuredJob['kind']): number => {
    const all = jobs.filter((j) => j.kind === kind);
    // The audio job's rate from its longest measurement: a short one is mostly fixed costs.
    const longest = Math.max(...all.map((j) => j.sourceSec));
    const mine = kind === 'audio' ? all.filter((j) => j.sourceSec === longest) : all;
    const wall = mine.reduce((s, j) => s + j.wallSec, 0);
    const source = mine.reduce((s, j) => s + j.sourceSec, 0);
    return source > 0 ? wall / source : Number.NaN;
  };
  const optional = (kind: MeasuredJob['kind']): number | undefined => (of(kind) > 0 ? of(kind) : undefined);
  const [rest, preview, audioOnly] = [optional('rest'), optional('preview'), optional('audio-only')];
  return { chunk: of('chunk'), audio: of('audio'), ...(rest ? { rest } : {}), ...(preview ? { preview } : {}), ...(audioOnly ? { audioOnly } : {}) };
}

/** Runs one job of `plan` through the transcoder command, alone, over the store's media-in/`object`. */
async function measureJob(p: Plan, spec: JobSpec, object: string, log: (line: string) => void): Promise<MeasuredJob> {
  const kind = jobKind(p, spec);
  log(`measuring job ${spec.id} (${kind}, ${spec.videoIds.join(' ') || 'no video'}; ${jobSeconds(p, spec).toFixed(0)} s of source)…`);
  const args = [BIN, 'transcode', '--source', `oci://ns/media-in/${object}`, '--dest', 'oci://ns/media-out/', '--plan', JSON.stringify(p), '--job', spec.id];
  const m = await measure(spec.id, process.execPath, args);
  log(`  ${spec.id} (${kind}): wall ${m.wallSec.toFixed(1)} s, CPU ${m.cpuSec?.toFixed(1) ?? '?'} s`);
  return { id: spec.id, kind, sourceSec: jobSeconds(p, spec), wallSec: m.wallSec, ...(m.cpuSec !== undefined ? { cpuSec: m.cpuSec } : {}), peakTreeMiB: m.peakTreeMiB };
}

/** The preview-first plan of a source, as the workflow makes it when the cap makes chunks wait (here: any cap). */
const planOf = async (path: string, chunkSec: number): Promise<Plan> => previewFirst(chunkPlan(planLadder(await probeSource(path), { etag: 'bench' }), { thresholdSec: 1, chunkSec }), 1);

/**
 * The audio job over `repeat` copies of the source back to back (stream copy: no encode, about
 * `repeat` times its size on disk while it runs), in a store folder that holds only a link to it.
 */
export async function measureLongAudio(o: { src: string; store: string; repeat: number; chunkSec: number; log: (line: string) => void }): Promise<MeasuredJob> {
  const long = join(BENCH_DIR, `simulate-long-${o.repeat}x.mp4`);
  const list = `${long}.txt`;
  try {
    await writeFile(list, Array.from({ length: o.repeat }, () => `file '${resolve(o.src)}'\n`).join(''));
    o.log(`joining ${o.repeat} copies of the source (stream copy) for the audio job…`);
    await promisify(execFile)('ffmpeg', ['-hide_banner', '-nostdin', '-loglevel', 'error', '-y', '-f', 'concat', '-safe', '0', '-i', list, '-c', 'copy', '-movflags', '+faststart', long]);
    await rm(join(o.store, 'media-in', 'film-long.mp4'), { force: true });
    await link(long, join(o.store, 'media-in', 'film-long.mp4'));
    const plan = await planOf(long, o.chunkSec);
    return await measureJob(plan, plan.jobs.find((j) => !j.chunk)!, 'film-long.mp4', o.log);
  } finally {
    await rm(long, { force: true });
    await rm(list, { force: true });
    await rm(join(o.store, 'media-in', 'film-long.mp4'), { force: true });
  }
}

/** Encodes every job of both plans of a `chunks * chunkSec` source, one at a time, and the long audio job; saves to `out`. */
export async function measureRates(o: { chunks: number; chunkSec: number; audioRepeat: number; out: string; log: (line: string) => void }): Promise<MeasuredRates> {
  const seconds = o.chunks * o.chunkSec;
  const src = await benchSource(1920, 1080, seconds, o.log);
  const store = join(BENCH_DIR, 'simulate-measure');
  await rm(store, { recursive: true, force: true });
  await mkdir(join(store, 'media-in'), { recursive: true });
  await copyFile(src.path, join(store, 'media-in', 'film.mp4'));
  const probe = await probeSource(src.path);
  const plan: Plan = chunkPlan(planLadder(probe, { etag: 'bench' }), { thresholdSec: 1, chunkSec: o.chunkSec });
  const info = await machine();
  process.env.OCI_TRANSCODE_STORE = `local:${store}`;
  const jobs: MeasuredJob[] = [];
  // The workflow's plan whenever the cap makes chunks wait; then the plain chunks (a cap with a slot per job).
  const preview = previewFirst(plan, 1);
  const runs = [...preview.jobs.map((spec) => ({ spec, plan: preview })), ...plan.jobs.filter((j) => j.chunk).map((spec) => ({ spec, plan }))];
  try {
    for (const { spec, plan: p } of runs) jobs.push(await measureJob(p, spec, 'film.mp4', o.log));
    if (o.audioRepeat > 1) jobs.push(await measureLongAudio({ src: src.path, store, repeat: o.audioRepeat, chunkSec: o.chunkSec, log: o.log }));
  } finally {
    await rm(store, { recursive: true, force: true });
  }
  const measured: MeasuredRates = {
    measuredAt: new Date().toISOString(),
    machine: info,
    loadAfter: (await machine()).load,
    source: { width: 1920, height: 1080, seconds, chunkSec: o.chunkSec, rungs: plan.video.map((v) => v.id) },
    jobs,
    rates: ratesOf(jobs),
  };
  await mkdir(resolve(o.out, '..'), { recursive: true });
  await writeFile(o.out, `${JSON.stringify(measured, null, 2)}\n`);
  return measured;
}

export async function readRates(file: string): Promise<MeasuredRates> {
  const parsed = JSON.parse(await readFile(file, 'utf8')) as Partial<MeasuredRates>;
  if (!parsed.rates || !(parsed.rates.chunk > 0) || !(parsed.rates.audio > 0) || !Array.isArray(parsed.jobs)) {
    throw new Error(`${file} is not a bench:simulate measurement (no positive rates.chunk and rates.audio)`);
  }
  return parsed as MeasuredRates;
}

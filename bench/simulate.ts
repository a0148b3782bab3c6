// `npm run bench:simulate`: the scale this machine cannot reach, by simulation (issue 11, item 5). Real
// encodes here give each job kind's seconds of wall per second of source (bench/lib/sim-measure.ts; or
// --measured <file> reuses them): a chunk with every rung, a chunk without the lowest rung, a preview job
// (the lowest rung only) and the audio job (audio + pictures). Then the real `transcode` workflow runs a
// two-hour 1080p plan (60 s chunks) on a real dev server with a simulated JobRunner whose jobs take those
// durations, compressed, plus a Container Instance start-up time, once per instance cap (20 and 60): with
// more jobs than instances the workflow plans preview first (domain/chunks.ts previewFirst), and the model
// here plans exactly the same. It prints: completion, the peak of live instances against the cap, the
// parent's history against historyBudget and Temporal's limits, the worker's RSS (flat or not), the preview
// and full publishes the run made, and the projected time to first playable and to complete of the real
// film per cap, with PASS/MISS against the issue's targets. It never fails a build.
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { chunkPlan, historyBudget, previewFirst, TEMPORAL_LIMITS } from '../src/domain/chunks.js';
import { planLadder } from '../src/domain/ladder.js';
import type { Plan } from '../src/domain/types.js';
import { bundleWorkflows } from '../src/worker/create-worker.js';
import { startTemporal } from '../tests/helpers/temporal.js';
import { machine } from './lib/inspect.js';
import { measureRates, readRates, type MeasuredRates } from './lib/sim-measure.js';
import { busySec, planWork, project, schedule, turnover, type Rates } from './lib/sim-model.js';
import { filmProbe } from './lib/sim-outputs.js';
import { simulateRun, type RunResult } from './lib/sim-run.js';
import { BENCH_DIR } from './lib/sources.js';

const { values: opts } = parseArgs({
  options: {
    /** Reuse a measurement (written by an earlier run to .data/bench/simulate-measured.json). */
    measured: { type: 'string' },
    /** Chunks of 60 s to encode for the measurement (the audio job runs over all of them). */
    'measure-chunks': { type: 'string', default: '2' },
    /** The audio job is measured again over this many copies of the measured source back to back (1: not). */
    'audio-repeat': { type: 'string', default: '10' },
    caps: { type: 'string', default: '20,60' },
    compress: { type: 'string', default: '20' },
    /** Container Instances from create to running: ~30-60 s (an assumption; not measured here, no OCI). */
    'startup-sec': { type: 'string', default: '45' },
    /** The OCI deployment's poll interval (OCI_TRANSCODE_JOB_POLL_SEC defaults to 20 s in oci mode). */
    'poll-sec': { type: 'string', default: '20' },
    duration: { type: 'string', default: '7200' },
  },
});
const num = (name: keyof typeof opts, min: number): number => {
  const value = Number(opts[name]);
  if (!Number.isFinite(value) || value < min) throw new Error(`--${name} must be a number of at least ${min}, got ${String(opts[name])}`);
  return value;
};
const caps = opts.caps.split(',').map((c) => Number(c));
if (caps.some((c) => !Number.isInteger(c) || c < 1)) throw new Error(`--caps must be whole numbers of at least 1, got ${opts.caps}`);
const compress = num('compress', 1);
const startupSec = num('startup-sec', 0);
const pollSec = num('poll-sec', 0.1);
const durationSec = num('duration', 60);
const log = (line: string): void => console.error(`[bench:simulate] ${line}`);
const f = (n: number, d = 1): string => n.toFixed(d);
const verdict = (ok: boolean): string => (ok ? 'PASS' : 'MISS');
const CHUNK_SEC = 60;

const out = join(BENCH_DIR, 'simulate-measured.json');
let measured: MeasuredRates;
if (opts.measured) {
  if (!existsSync(opts.measured)) throw new Error(`--measured ${opts.measured}: no such file`);
  measured = await readRates(opts.measured);
  log(`rates from ${opts.measured} (measured ${measured.measuredAt})`);
} else {
  measured = await measureRates({ chunks: num('measure-chunks', 1), chunkSec: CHUNK_SEC, audioRepeat: num('audio-repeat', 1), out, log });
  log(`measured; saved to ${out} (rerun with --measured ${out})`);
}
const rates: Rates = measured.rates;

const ladder = planLadder(filmProbe(durationSec), { etag: 'sim' });
/** The plan the workflow makes for the film under `cap`, with the settings `chunking` (src/workflows/transcode.ts plan()). */
const planFor = (chunking: { thresholdSec: number; chunkSec: number; previewFirst: boolean }, cap: number): Plan => {
  const chunked = chunkPlan(ladder, chunking);
  return chunking.previewFirst ? previewFirst(chunked, cap) : chunked;
};
// Each job's kind and length as the model plans it and as the jobs' commands said (by id: starts may interleave).
const byId = (work: RunResult['work']): string => JSON.stringify([...work].sort((x, y) => x.id.localeCompare(y.id)));
const sameJobs = (a: Plan, started: RunResult['work']): boolean => byId(planWork(a)) === byId(started);
log(`film: ${durationSec} s 1080p, rungs ${ladder.video.map((v) => v.id).join(', ')}; compression ${compress}x`);

const env = await startTemporal();
const bundle = await bundleWorkflows();
const runs: { cap: number; run: RunResult }[] = [];
try {
  for (const cap of caps) {
    log(`run with OCI_TRANSCODE_MAX_INSTANCES=${cap}…`);
    runs.push({ cap, run: await simulateRun({ env, bundle, cap, rates, startupSec, compress, pollSec, durationSec, log }) });
  }
} finally {
  await env.teardown();
}

const info = await machine();
const kinds = (plan: Plan): string => {
  const counts = new Map<string, number>();
  for (const w of planWork(plan)) counts.set(w.kind, (counts.get(w.kind) ?? 0) + 1);
  return [...counts].map(([k, n]) => `${n} ${k}`).join(' + ');
};
const rate = (r: number | undefined): string => (r === undefined ? 'not measured' : f(r, 3));
const lines: string[] = [
  `machine: ${info.cpus} cores, ${info.model}, ${info.memGiB} GiB, load now ${info.load}`,
  `measured ${measured.measuredAt} (load ${measured.machine.load} before, ${measured.loadAfter} after): ` +
    measured.jobs.map((j) => `${j.id} ${j.kind} ${f(j.sourceSec, 0)} s of source in ${f(j.wallSec)} s wall / ${f(j.cpuSec ?? Number.NaN)} s CPU`).join('; '),
  `rates (wall s per source s): chunk (${measured.source.rungs.join(', ')}) ${rate(rates.chunk)}, chunk without the lowest rung ${rate(rates.rest)}, ` +
    `preview (${measured.source.rungs.at(-1) ?? '?'} only) ${rate(rates.preview)}, audio job (audio + pictures) ${rate(rates.audio)}`,
  `simulation: start-up ${startupSec} s per instance (assumed), poll ${pollSec} s, time compressed ${compress}x`,
];
const summary: Record<string, unknown>[] = [];
for (const { cap, run } of runs) {
  const plan = planFor(run.config.chunking, cap);
  const work = planWork(plan);
  const budget = historyBudget(plan, { maxAttempts: run.config.job.maxAttempts, instances: cap });
  const seenJobs = new Set(run.jobs.map((j) => j.jobId)).size;
  const t = turnover(run.jobs, cap);
  // The run's own milestones, ms from its start: the last preview job's and the last job's end seen by a
  // poll, and the first and last master written (the preview's and the full one's).
  const previewIds = new Set(plan.jobs.filter((j) => j.preview).map((j) => j.id));
  const seen = (jobs: RunResult['jobs']): number => Math.max(...jobs.map((j) => (j.detectedAt ?? Number.NaN) - run.t0));
  const previewSeenMs = seen(run.jobs.filter((j) => previewIds.has(j.jobId)));
  const lastSeenMs = seen(run.jobs);
  const masters = run.writes.filter((w) => w.object === 'master.m3u8');
  const records = run.writes.filter((w) => w.object === 'job.json');
  const previewRecord = records.find((r) => r.outcome === 'preview');
  const finalRecord = records.filter((r) => r.outcome === 'succeeded').at(-1);
  const previewMaster = previewRecord && masters.find((m) => m.at >= previewRecord.at);
  const finalMaster = finalRecord && masters.find((m) => m.at >= finalRecord.at);
  const previewFirstSeen = previewIds.size > 0 && previewMaster !== undefined && finalMaster !== undefined && previewMaster.at < finalMaster.at && masters[0] === previewMaster;
  const previewAfterMs = previewMaster ? previewMaster.at - previewSeenMs : Number.NaN;
  const afterMs = finalMaster ? finalMaster.at - lastSeenMs : run.afterMs;
  // The model against this very run: the compressed durations, the run's own turnover and ends.
  const compressed = schedule(work.map((w) => ({ id: w.id, sec: busySec(w, rates, startupSec) / compress })), cap, (t.detectMs + t.restartMs.mean) / 1000);
  const endOf = (ids: Set<string>): number => Math.max(...compressed.jobs.filter((j) => ids.has(j.id)).map((j) => j.endSec));
  const modelPreviewMs = run.beforeMs + endOf(previewIds) * 1000 + t.detectMs + previewAfterMs;
  const modelCompleteMs = run.beforeMs + compressed.makespanSec * 1000 + t.detectMs + afterMs;
  const shared = { rates, startupSec, cap, pollSec, restartSec: t.restartMs.mean / 1000, beforeSec: run.beforeMs / 1000, afterSec: afterMs / 1000, previewAfterSec: previewAfterMs / 1000 };
  const real = project({ work, ...shared });
  // The same cap without preview first: every chunk encodes every rung; playable only when complete.
  const plain = rates.chunk > 0 ? project({ work: planWork(planFor({ ...run.config.chunking, previewFirst: false }, cap)), ...shared }) : undefined;
  const ended = (share: number): number | undefined => run.rss.find((s) => s.ended >= Math.ceil(share * plan.jobs.length))?.rssMiB;
  const rss25 = ended(0.25) ?? Number.NaN;
  const rss100 = ended(1) ?? Number.NaN;
  const peakRss = Math.max(...run.rss.map((s) => s.rssMiB));
  const flat = rss100 <= rss25 * 1.2;
  const vsModel = (observed: number, model: number): string => `model ${f(model / 1000)} s, observed ${f(observed / 1000)} s (${f((100 * (observed - model)) / model)} %)`;
  const hold = (kind: string): string => {
    const mine = work.filter((w) => w.kind === kind);
    return mine.length ? `${mine.length} ${kind} ${f(Math.max(...mine.map((w) => busySec(w, rates, startupSec))) / 60)} min` : '';
  };
  lines.push(
    `cap ${cap}: plan ${kinds(plan)} (${plan.jobs.length} jobs; the workflow's: ${verdict(sameJobs(plan, run.work))}); ${run.result.outcome} in ${f(run.wallMs / 1000)} s simulated; ${seenJobs}/${plan.jobs.length} jobs started (${run.jobs.length} instances); ${verdict(run.result.outcome === 'published' && seenJobs === plan.jobs.length)}`,
    `  peak live instances ${run.peakInstances} (cap ${cap}): ${verdict(run.peakInstances <= cap)}`,
    `  parent history ${run.historyEvents} events (historyBudget ${budget.events}, worst case with every retry ${budget.worstEvents}; Temporal's limit ${TEMPORAL_LIMITS.events}): ${verdict(run.historyEvents <= budget.events && budget.worstEvents <= TEMPORAL_LIMITS.events)}`,
    `  peak pending activities ${run.peakPending} (budget ${budget.pendingActivities}, Temporal's limit ${TEMPORAL_LIMITS.pendingActivities}): ${verdict(run.peakPending <= budget.pendingActivities)}`,
    `  worker RSS ${f(rss25, 0)} MiB at 25 % of jobs ended, ${f(rss100, 0)} MiB at 100 %, peak ${f(peakRss, 0)} MiB: ${flat ? 'flat' : 'growing'} (within 20 %: ${verdict(flat)})`,
    `  orchestration per slot: end seen by a poll after ${f(t.detectMs / 1000, 2)} s (poll ${f(pollSec / compress, 2)} s), next job started ${f(t.restartMs.mean / 1000, 2)} s later (p50 ${f(t.restartMs.p50 / 1000, 2)}, p95 ${f(t.restartMs.p95 / 1000, 2)}, ${t.samples} slots); before the first job ${f(run.beforeMs / 1000, 2)} s; preview jobs' end seen to its master ${f(previewAfterMs / 1000, 2)} s; last end seen to the full master ${f(afterMs / 1000, 2)} s, to the run's end ${f(run.afterMs / 1000, 2)} s`,
    `  publishes: ${run.writes.map((w) => `${w.object}${w.outcome ? ` ${w.outcome}` : ''}${w.variants !== undefined ? ` (${w.variants} video)` : ''}${w.firstPlayableSec !== undefined ? ` firstPlayableSec ${w.firstPlayableSec}` : ''}${w.completeSec !== undefined ? ` completeSec ${w.completeSec}` : ''} at ${f(w.at / 1000)} s`).join('; ')}` +
      `; a preview master (${previewMaster?.variants ?? 0} video) before the full one: ${verdict(previewFirstSeen)}`,
    `  model check, first playable: ${vsModel(previewMaster?.at ?? Number.NaN, modelPreviewMs)}; complete: ${vsModel(finalMaster?.at ?? Number.NaN, modelCompleteMs)}`,
    `  projected for the real film with ${cap} instances: first playable ${real.firstPlayableSec === undefined ? 'n/a' : `${f(real.firstPlayableSec / 60)} min (last preview job ${real.lastPreview?.id} ends at ${f((real.lastPreview?.endSec ?? 0) / 60)} min)`}, ` +
      `complete ${f(real.publishSec / 60)} min (jobs ${f(real.makespanSec / 60)} min, last to end ${real.last.id} at ${f(real.last.endSec / 60)} min)${cap >= 60 ? `; target < 10 min: ${verdict(real.publishSec < 600)}` : ''}`,
    `  one instance held longest per kind: ${['audio', 'preview', 'rest', 'chunk'].map(hold).filter(Boolean).join(', ')}`,
    ...(plain ? [`  the same cap without preview first (chunks of every rung): complete ${f(plain.publishSec / 60)} min, nothing playable before`] : []),
  );
  summary.push({
    cap, outcome: run.result.outcome, plan: kinds(plan), wallSec: run.wallMs / 1000, peakInstances: run.peakInstances, historyEvents: run.historyEvents, budget, peakPending: run.peakPending,
    rss25, rss100, peakRss, turnover: t, writes: run.writes, previewFirstSeen, model: { firstPlayableSec: modelPreviewMs / 1000, completeSec: modelCompleteMs / 1000 }, projected: real, withoutPreview: plain,
  });
}
console.log(lines.join('\n'));
await mkdir(BENCH_DIR, { recursive: true });
await writeFile(join(BENCH_DIR, 'simulate-result.json'), `${JSON.stringify({ at: new Date().toISOString(), machine: info, compress, startupSec, pollSec, durationSec, rates, runs: summary }, null, 2)}\n`);

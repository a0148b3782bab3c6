// `npm run bench:simulate`: the scale this machine cannot reach, by simulation (issue 11, item 5). Real chunk
// encodes here give each job kind's seconds of wall per second of source (bench/lib/sim-measure.ts; or
// --measured <file> reuses them). Then the real `transcode` workflow runs a two-hour 1080p plan (60 s chunks:
// 120 chunk jobs + the audio job) on a real dev server with a simulated JobRunner whose jobs take those
// durations, compressed, plus a Container Instance start-up time, once per instance cap (20 and 60). It
// prints: completion, the peak of live instances against the cap, the parent's history against
// historyBudget and Temporal's limits, the worker's RSS (flat or not), and the projected publish time of
// the real film per cap, with PASS/MISS against the issue's targets. It never fails a build.
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { chunkPlan, historyBudget, jobSeconds, TEMPORAL_LIMITS } from '../src/domain/chunks.js';
import { planLadder } from '../src/domain/ladder.js';
import { bundleWorkflows } from '../src/worker/create-worker.js';
import { startTemporal } from '../tests/helpers/temporal.js';
import { machine } from './lib/inspect.js';
import { measureRates, readRates, type MeasuredRates } from './lib/sim-measure.js';
import { busySec, project, schedule, turnover, type JobWork } from './lib/sim-model.js';
import { filmProbe } from './lib/sim-outputs.js';
import { simulateRun, type RunResult } from './lib/sim-run.js';
import { BENCH_DIR } from './lib/sources.js';

const { values: opts } = parseArgs({
  options: {
    /** Reuse a measurement (written by an earlier run to .data/bench/simulate-measured.json). */
    measured: { type: 'string' },
    /** Chunks of 60 s to encode for the measurement (the audio job runs over all of them). */
    'measure-chunks': { type: 'string', default: '2' },
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
  measured = await measureRates({ chunks: num('measure-chunks', 1), chunkSec: CHUNK_SEC, out, log });
  log(`measured; saved to ${out} (rerun with --measured ${out})`);
}
const { rates } = measured;

const config = { chunking: { thresholdSec: 1200, chunkSec: CHUNK_SEC } };
const plan = chunkPlan(planLadder(filmProbe(durationSec), { etag: 'sim' }), config.chunking);
const work: JobWork[] = plan.jobs.map((j) => ({ id: j.id, kind: j.chunk ? 'chunk' : 'audio', sourceSec: jobSeconds(plan, j) }));
log(`plan: ${durationSec} s 1080p, ${plan.jobs.length - 1} chunks + audio, rungs ${plan.video.map((v) => v.id).join(', ')}; compression ${compress}x`);

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
const lines: string[] = [
  `machine: ${info.cpus} cores, ${info.model}, ${info.memGiB} GiB, load now ${info.load}`,
  `measured ${measured.measuredAt} (load ${measured.machine.load} before, ${measured.loadAfter} after): ` +
    measured.jobs.map((j) => `${j.id}${j.kind === 'audio-only' ? ' (no thumbnails)' : ''} ${f(j.sourceSec, 0)} s of source in ${f(j.wallSec)} s wall / ${f(j.cpuSec ?? Number.NaN)} s CPU`).join('; '),
  `rates (wall s per source s): chunk job (${measured.source.rungs.join(', ')}) ${f(rates.chunk, 3)}, audio job (audio + thumbnails) ${f(rates.audio, 3)}`,
  `simulation: ${plan.jobs.length} jobs (${plan.jobs.length - 1} chunks of ${CHUNK_SEC} s + audio over ${durationSec} s), start-up ${startupSec} s per instance (assumed), poll ${pollSec} s, time compressed ${compress}x`,
];
const summary: Record<string, unknown>[] = [];
const audioSec = work.filter((w) => w.kind === 'audio').reduce((s, w) => Math.max(s, busySec(w, rates, startupSec)), 0);
for (const { cap, run } of runs) {
  const budget = historyBudget(plan, { maxAttempts: run.config.job.maxAttempts, instances: cap });
  const seenJobs = new Set(run.jobs.map((j) => j.jobId)).size;
  const t = turnover(run.jobs, cap);
  // The model against this very run: the compressed durations, the run's own turnover and ends.
  const compressed = schedule(work.map((w) => ({ id: w.id, sec: busySec(w, rates, startupSec) / compress })), cap, (t.detectMs + t.restartMs.mean) / 1000);
  const modelMs = run.beforeMs + compressed.makespanSec * 1000 + t.detectMs + run.afterMs;
  const real = project({ work, rates, startupSec, cap, pollSec, restartSec: t.restartMs.mean / 1000, beforeSec: run.beforeMs / 1000, afterSec: run.afterMs / 1000 });
  // What the cap buys the chunks, were the audio job (one instance over the whole film) off the critical path.
  const chunksOnly = project({ work: work.filter((w) => w.kind === 'chunk'), rates, startupSec, cap, pollSec, restartSec: t.restartMs.mean / 1000, beforeSec: run.beforeMs / 1000, afterSec: run.afterMs / 1000 });
  const ended = (share: number): number | undefined => run.rss.find((s) => s.ended >= Math.ceil(share * plan.jobs.length))?.rssMiB;
  const rss25 = ended(0.25) ?? Number.NaN;
  const rss100 = ended(1) ?? Number.NaN;
  const peakRss = Math.max(...run.rss.map((s) => s.rssMiB));
  const flat = rss100 <= rss25 * 1.2;
  lines.push(
    `cap ${cap}: ${run.result.outcome} in ${f(run.wallMs / 1000)} s simulated; ${seenJobs}/${plan.jobs.length} jobs started (${run.jobs.length} instances); ${verdict(run.result.outcome === 'published' && seenJobs === plan.jobs.length)}`,
    `  peak live instances ${run.peakInstances} (cap ${cap}): ${verdict(run.peakInstances <= cap)}`,
    `  parent history ${run.historyEvents} events (historyBudget ${budget.events}, worst case with every retry ${budget.worstEvents}; Temporal's limit ${TEMPORAL_LIMITS.events}): ${verdict(run.historyEvents <= budget.events && budget.worstEvents <= TEMPORAL_LIMITS.events)}`,
    `  peak pending activities ${run.peakPending} (budget ${budget.pendingActivities}, Temporal's limit ${TEMPORAL_LIMITS.pendingActivities}): ${verdict(run.peakPending <= budget.pendingActivities)}`,
    `  worker RSS ${f(rss25, 0)} MiB at 25 % of jobs ended, ${f(rss100, 0)} MiB at 100 %, peak ${f(peakRss, 0)} MiB: ${flat ? 'flat' : 'growing'} (within 20 %: ${verdict(flat)})`,
    `  orchestration per slot: end seen by a poll after ${f(t.detectMs / 1000, 2)} s (poll ${f(pollSec / compress, 2)} s), next job started ${f(t.restartMs.mean / 1000, 2)} s later (p50 ${f(t.restartMs.p50 / 1000, 2)}, p95 ${f(t.restartMs.p95 / 1000, 2)}, ${t.samples} slots); before the first job ${f(run.beforeMs / 1000, 2)} s, after the last ${f(run.afterMs / 1000, 2)} s (verify, publish, cleanup)`,
    `  model check: the schedule model predicts this run at ${f(modelMs / 1000)} s, observed ${f(run.wallMs / 1000)} s (${f((100 * (run.wallMs - modelMs)) / modelMs)} %)`,
    `  projected publish of the real film with ${cap} instances: ${f(real.publishSec / 60)} min (jobs ${f(real.makespanSec / 60)} min, last to end ${real.last.id} at ${f(real.last.endSec / 60)} min)${cap >= 60 ? `; target < 10 min: ${verdict(real.publishSec < 600)}` : ''}`,
    `  the audio job alone holds an instance ${f(audioSec / 60)} min; the chunks alone would publish in ${f(chunksOnly.publishSec / 60)} min`,
  );
  if (rates.audioOnly) {
    // What-if: the chunks cut the thumbnails (their own ranges), the audio job encodes audio only.
    const lean = project({ work, rates: { chunk: rates.chunk, audio: rates.audioOnly }, startupSec, cap, pollSec, restartSec: t.restartMs.mean / 1000, beforeSec: run.beforeMs / 1000, afterSec: run.afterMs / 1000 });
    lines.push(`  what-if, the audio job without the thumbnails (measured ${f(rates.audioOnly, 3)} s per source s; the chunks' own thumbnail cost not counted): ${f(lean.publishSec / 60)} min, last to end ${lean.last.id}`);
    summary.push({ cap, whatIfAudioOnly: lean });
  }
  summary.push({ cap, outcome: run.result.outcome, wallSec: run.wallMs / 1000, peakInstances: run.peakInstances, historyEvents: run.historyEvents, budget, peakPending: run.peakPending, rss25, rss100, peakRss, turnover: t, modelSec: modelMs / 1000, projected: real, chunksOnly });
}
console.log(lines.join('\n'));
await mkdir(BENCH_DIR, { recursive: true });
await writeFile(join(BENCH_DIR, 'simulate-result.json'), `${JSON.stringify({ at: new Date().toISOString(), machine: info, compress, startupSec, pollSec, durationSec, rates, runs: summary }, null, 2)}\n`);

// bench:simulate's arithmetic, pure (unit tested in tests/unit/bench/sim-model.test.ts): how long each job
// of a plan keeps an instance, the schedule the workflow makes of them under an instance cap (jobs in plan
// order, each taking the first slot that frees, as src/workflows/slots.ts admits them), and what a
// simulated run's timeline says about orchestration (the time from a job's end to its slot's next start).
import { jobSeconds } from '../../src/domain/chunks.js';
import type { JobSpec, Plan } from '../../src/domain/types.js';

/**
 * What a job encodes, which sets its rate: `chunk` every video rung of its range; `rest` a chunk without the
 * lowest rung (preview first took it out); `preview` the lowest rung only, over several chunks' range;
 * `audio` the audio and the pictures (poster, storyboard) over the whole source.
 */
export type JobKind = 'chunk' | 'rest' | 'preview' | 'audio';

/** Seconds of wall per second of source, per job kind (measured; `rest` and `preview` only since preview first). */
export interface Rates {
  chunk: number;
  audio: number;
  rest?: number;
  preview?: number;
}

export interface JobWork {
  id: string;
  kind: JobKind;
  /** Seconds of source it encodes. */
  sourceSec: number;
  /** Part of the preview (JobSpec.preview): the preview is published once every such job has ended. */
  preview?: boolean;
}

export function jobKind(plan: Pick<Plan, 'video'>, job: JobSpec): JobKind {
  if (!job.chunk) return 'audio';
  if (job.preview) return 'preview';
  return job.videoIds.length < plan.video.length ? 'rest' : 'chunk';
}

/** The work of every job of a plan, in plan order (the order the workflow admits them in). */
export function planWork(plan: Plan): JobWork[] {
  return plan.jobs.map((j) => ({ id: j.id, kind: jobKind(plan, j), sourceSec: jobSeconds(plan, j), ...(j.preview ? { preview: true } : {}) }));
}

/** Seconds one job holds its instance: start-up, then its encode at the measured rate. */
export function busySec(job: JobWork, rates: Rates, startupSec: number): number {
  const rate = rates[job.kind];
  if (rate === undefined || !(rate > 0)) throw new Error(`no measured rate for a ${job.kind} job (${job.id}): measure again (without --measured)`);
  return startupSec + job.sourceSec * rate;
}

export interface Schedule {
  /** When the last job ends (seconds from the first start). */
  makespanSec: number;
  /** Start and end of each job, in plan order. */
  jobs: { id: string; startSec: number; endSec: number }[];
  /** Most jobs holding an instance at one moment. */
  peak: number;
}

/**
 * List scheduling as the workflow runs it: at most `cap` jobs at once, admitted in plan order, each into
 * the slot that frees first; a slot frees `turnoverSec` after its job ends (the next poll noticing the end,
 * the instance's deletion, the workflow task that starts the next job).
 */
export function schedule(durations: { id: string; sec: number }[], cap: number, turnoverSec: number): Schedule {
  if (!(cap >= 1) || !Number.isInteger(cap)) throw new Error(`schedule: cap must be a whole number of at least 1, got ${cap}`);
  if (!(turnoverSec >= 0)) throw new Error(`schedule: turnoverSec must be 0 or more, got ${turnoverSec}`);
  const free: number[] = Array.from({ length: Math.min(cap, Math.max(1, durations.length)) }, () => 0);
  const jobs: Schedule['jobs'] = [];
  for (const d of durations) {
    if (!(d.sec >= 0)) throw new Error(`schedule: job ${d.id} has no duration (${d.sec})`);
    let slot = 0;
    for (let i = 1; i < free.length; i++) if (free[i]! < free[slot]!) slot = i;
    const startSec = free[slot]!;
    const endSec = startSec + d.sec;
    free[slot] = endSec + turnoverSec;
    jobs.push({ id: d.id, startSec, endSec });
  }
  return { makespanSec: Math.max(0, ...jobs.map((j) => j.endSec)), jobs, peak: peakOverlap(jobs) };
}

/** Most intervals [start, end) open at one moment. */
export function peakOverlap(intervals: { startSec: number; endSec: number }[]): number {
  const edges = intervals.flatMap((i) => [{ t: i.startSec, d: 1 }, { t: i.endSec, d: -1 }]);
  // An end and a start at the same moment do not overlap: ends first.
  edges.sort((a, b) => a.t - b.t || a.d - b.d);
  let open = 0;
  let peak = 0;
  for (const e of edges) peak = Math.max(peak, (open += e.d));
  return peak;
}

/** One job as the simulated runner saw it, in ms of its own clock. */
export interface ObservedJob {
  startedAt: number;
  /** When the runner reported it succeeded (its outputs written). */
  endedAt?: number;
  /** When a state() call first saw the end. */
  detectedAt?: number;
  deletedAt?: number;
}

export interface Turnover {
  /** From a job's end to the poll that saw it, ms: mean. */
  detectMs: number;
  /** From that poll to the next job's start on the freed slot (deleteJobs, workflow tasks, startJob), ms. */
  restartMs: { mean: number; p50: number; p95: number };
  /** Pairs measured. */
  samples: number;
}

const mean = (xs: number[]): number => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : Number.NaN);
const pct = (xs: number[], p: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]! : Number.NaN;
};

/**
 * The orchestration between jobs, from a run's timeline: the k-th instance deleted frees the slot the
 * (cap + k)-th job starts in (the workflow admits queued jobs in order as slots free).
 */
export function turnover(jobs: ObservedJob[], cap: number): Turnover {
  const detect = jobs.flatMap((j) => (j.endedAt !== undefined && j.detectedAt !== undefined ? [j.detectedAt - j.endedAt] : []));
  const starts = jobs.map((j) => j.startedAt).sort((a, b) => a - b);
  const freed = jobs.filter((j) => j.deletedAt !== undefined && j.detectedAt !== undefined).sort((a, b) => a.deletedAt! - b.deletedAt!);
  const restart: number[] = [];
  for (const [k, job] of freed.entries()) {
    const next = starts[cap + k];
    if (next === undefined) break;
    restart.push(next - job.detectedAt!);
  }
  return { detectMs: mean(detect), restartMs: { mean: mean(restart), p50: pct(restart, 50), p95: pct(restart, 95) }, samples: restart.length };
}

export interface Projection {
  /** Seconds from the upload's run start to its full masters published. */
  publishSec: number;
  /** To the preview's masters published (absent: the plan has no preview jobs). */
  firstPlayableSec?: number;
  makespanSec: number;
  /** The job that ends last, and when; and the preview's last job. */
  last: { id: string; endSec: number };
  lastPreview?: { id: string; endSec: number };
}

export interface ProjectOptions {
  work: JobWork[];
  rates: Rates;
  startupSec: number;
  cap: number;
  pollSec: number;
  restartSec: number;
  /** Measured: before the first job starts (judge, inspect, planning). */
  beforeSec: number;
  /** From the last job's end seen to the full masters written (verify, publish). */
  afterSec: number;
  /** From the preview's last job's end seen to its masters written (verify and publish of the preview). */
  previewAfterSec?: number;
}

const latest = (jobs: Schedule['jobs']): { id: string; endSec: number } | undefined =>
  jobs.reduce<Schedule['jobs'][number] | undefined>((a, b) => (!a || b.endSec > a.endSec ? b : a), undefined);

/**
 * The real film's times: the measured work before the first job and after the last (or after the preview's
 * last), around the schedule of the real durations with a turnover of half a poll interval (the mean wait for
 * the next poll) plus the measured restart time; an end is seen half a poll after it, on average.
 */
export function project(o: ProjectOptions): Projection {
  const s = schedule(o.work.map((w) => ({ id: w.id, sec: busySec(w, o.rates, o.startupSec) })), o.cap, o.pollSec / 2 + o.restartSec);
  const last = latest(s.jobs)!;
  const previews = new Set(o.work.filter((w) => w.preview).map((w) => w.id));
  const lastPreview = latest(s.jobs.filter((j) => previews.has(j.id)));
  const firstPlayable = lastPreview && o.beforeSec + lastPreview.endSec + o.pollSec / 2 + (o.previewAfterSec ?? o.afterSec);
  return {
    publishSec: o.beforeSec + s.makespanSec + o.pollSec / 2 + o.afterSec,
    ...(firstPlayable !== undefined ? { firstPlayableSec: firstPlayable } : {}),
    makespanSec: s.makespanSec,
    last: { id: last.id, endSec: last.endSec },
    ...(lastPreview ? { lastPreview: { id: lastPreview.id, endSec: lastPreview.endSec } } : {}),
  };
}

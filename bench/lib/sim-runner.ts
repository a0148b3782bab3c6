// bench:simulate's JobRunner: each job is a timer, not a process. start() takes the instance's start-up
// time (the OCI runner's start() also waits until the instance leaves CREATING), the job is then 'running'
// for its encode time, measured from real encodes and divided by the compression factor, and it ends
// 'succeeded' once its outputs (sim-outputs.ts) are in the store, so verify and publish work on them.
// It records every job's timeline and the peak of live instances (started, not yet deleted), which the
// workflow's cap must bound.
import { parseArgs } from 'node:util';
import { planSchema } from '../../src/domain/contract.js';
import { parseOciUri } from '../../src/domain/oci-uri.js';
import { streamPrefix } from '../../src/domain/layout.js';
import type { Plan } from '../../src/domain/types.js';
import type { JobHandle, JobLaunch, JobPhase, JobRunner, JobState, ListedJob, ObjectStore } from '../../src/ports.js';
import { busySec, planWork, type JobWork, type ObservedJob, type Rates } from './sim-model.js';
import { simulatedOutputs } from './sim-outputs.js';

export interface SimRunnerOptions {
  store: ObjectStore;
  rates: Rates;
  /** Real seconds a Container Instance takes from create to running. */
  startupSec: number;
  /** Simulated seconds are real seconds divided by this. */
  compress: number;
}

export interface SimJob extends ObservedJob {
  id: string;
  key: string;
  jobId: string;
  tags: Record<string, string>;
  /** ms of (compressed) encoding after start-up; it succeeds then, or once its outputs are written if later. */
  encodeMs: number;
  runningAt?: number;
  writtenAt?: number;
  failed?: string;
  deleted: boolean;
}

const sleep = (ms: number): Promise<void> => new Promise((done) => setTimeout(done, ms));

/** What the transcoder's command line says (src/activities/jobs.ts transcoderArgs). */
function launchOf(args: string[]): { plan: Plan; jobId: string; bucket: string; prefix: string; object: string } {
  const { values } = parseArgs({ args: args.slice(1), options: { source: { type: 'string' }, dest: { type: 'string' }, plan: { type: 'string' }, job: { type: 'string' } }, strict: true });
  if (args[0] !== 'transcode' || !values.plan || !values.job || !values.dest || !values.source) throw new Error(`simulated runner: not a transcode command: ${args.slice(0, 2).join(' ')}`);
  const dest = parseOciUri(values.dest);
  const source = parseOciUri(values.source);
  if (!dest || !source) throw new Error(`simulated runner: not oci:// locations: ${values.source} ${values.dest}`);
  return { plan: planSchema.parse(JSON.parse(values.plan)), jobId: values.job, bucket: dest.bucket, prefix: dest.name, object: source.name };
}

export class SimJobRunner implements JobRunner {
  readonly jobs = new Map<string, SimJob>();
  /** Live instances now, and the most at any moment. */
  live = 0;
  peak = 0;
  /** Each started job's work, from the plan its command carries (a chunk's holds only its own job). */
  readonly work = new Map<string, JobWork>();
  private serial = 0;

  constructor(private readonly o: SimRunnerOptions) {}

  async start(launch: JobLaunch): Promise<JobHandle> {
    const existing = [...this.jobs.values()].find((j) => j.key === launch.idempotencyKey);
    if (existing) return { id: existing.id, placement: 'simulated' };
    const { plan, jobId, bucket, prefix, object } = launchOf(launch.args);
    const spec = plan.jobs.find((j) => j.id === jobId);
    if (!spec) throw new Error(`simulated runner: the plan has no job ${jobId}`);
    const startedAt = Date.now();
    // The kind (and so the rate) from the plan it was started with: a chunk with or without the lowest rung, a preview job, the audio job.
    const work = planWork(plan).find((w) => w.id === jobId)!;
    this.work.set(jobId, work);
    const job: SimJob = {
      id: `sim-${++this.serial}`,
      key: launch.idempotencyKey,
      jobId,
      tags: launch.tags,
      startedAt,
      encodeMs: (busySec(work, this.o.rates, 0) * 1000) / this.o.compress,
      deleted: false,
    };
    this.jobs.set(job.id, job);
    this.peak = Math.max(this.peak, ++this.live);
    // The instance is being created: start() returns once it runs.
    await sleep((this.o.startupSec * 1000) / this.o.compress);
    job.runningAt = Date.now();
    // Outputs are written while it "encodes", so writing them does not lengthen the job.
    const { objects } = simulatedOutputs(plan, spec);
    const base = streamPrefix({ bucket, prefix }, object);
    void (async () => {
      try {
        for (const obj of objects) await this.o.store.put(bucket, base + obj.name, obj.body);
        job.writtenAt = Date.now();
      } catch (error) {
        job.failed = `could not write outputs: ${String(error)}`;
      }
    })();
    return { id: job.id, placement: 'simulated' };
  }

  /** Sets endedAt once the job's time is up and its outputs are written: the later of the two. */
  private settle(job: SimJob, now: number): void {
    if (job.endedAt !== undefined || job.runningAt === undefined || job.writtenAt === undefined) return;
    const end = Math.max(job.runningAt + job.encodeMs, job.writtenAt);
    if (now >= end) job.endedAt = end;
  }

  private phase(job: SimJob, now = Date.now()): JobPhase {
    if (job.deleted) return 'gone';
    if (job.failed) return 'failed';
    if (job.runningAt === undefined) return 'starting';
    this.settle(job, now);
    return job.endedAt !== undefined ? 'succeeded' : 'running';
  }

  /** Settles every job's end (the detection delay is measured from it). */
  tick(): void {
    const now = Date.now();
    for (const job of this.jobs.values()) if (!job.deleted) this.settle(job, now);
  }

  state(handle: JobHandle): Promise<JobState> {
    const job = this.jobs.get(handle.id);
    if (!job) return Promise.resolve({ phase: 'gone', message: 'no such simulated job' });
    const phase = this.phase(job);
    if (phase === 'succeeded') job.detectedAt ??= Date.now();
    if (phase === 'failed') return Promise.resolve({ phase, exitCode: 70, message: job.failed });
    return Promise.resolve(phase === 'succeeded' ? { phase, exitCode: 0 } : { phase });
  }

  logTail(handle: JobHandle): Promise<string> {
    const job = this.jobs.get(handle.id);
    if (!job?.runningAt) return Promise.resolve('');
    const percent = Math.min(100, (100 * (Date.now() - job.runningAt)) / Math.max(1, job.encodeMs));
    return Promise.resolve(`${JSON.stringify({ event: 'progress', stage: 'encode', percent: Number(percent.toFixed(1)) })}\n`);
  }

  delete(handle: JobHandle): Promise<void> {
    const job = this.jobs.get(handle.id);
    if (job && !job.deleted) {
      job.deleted = true;
      job.deletedAt = Date.now();
      this.live--;
    }
    return Promise.resolve();
  }

  list(tags: Record<string, string>): Promise<ListedJob[]> {
    const match = [...this.jobs.values()].filter((j) => !j.deleted && Object.entries(tags).every(([k, v]) => j.tags[k] === v));
    return Promise.resolve(match.map((j) => ({ id: j.id, tags: j.tags, phase: this.phase(j), createdAt: new Date(j.startedAt).toISOString() })));
  }

  /** Jobs that ended (their outputs written, their time up). */
  ended(): number {
    return [...this.jobs.values()].filter((j) => j.endedAt !== undefined).length;
  }
}

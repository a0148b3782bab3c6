// The fast tier: the real `transcode` workflow on a real dev server, with the storage activities stubbed
// over a small in-memory world (what each object's HEAD says, what is published) and the real job
// activities over an in-memory job runner. Each ordering a test wants (an event before inspect, during
// publish, after completion; a reset; a terminate; a crash between create and record) takes seconds.
import { randomBytes } from 'node:crypto';
import type { Client } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { WorkflowBundle } from '@temporalio/worker';
import { createActivities, type Activities } from '../../src/activities/index.js';
import { resolveNotify, resolveSettings, validateRequest } from '../../src/activities/settings.js';
import type { RecordUndeliveredInput, RunFacts } from '../../src/activities/types.js';
import { loadConfig, type Config } from '../../src/config.js';
import { planLadder } from '../../src/domain/ladder.js';
import { JOB_RECORD, streamPrefix, versionFolder } from '../../src/domain/layout.js';
import type { SourceProbe, TranscodeRequest } from '../../src/domain/types.js';
import type { JobHandle, JobLaunch, JobPhase, JobRunner, ListedJob, ObjectStore } from '../../src/ports.js';
import { startTranscode, type StartResult } from '../../src/starter-fn/handler.js';
import { createTemporalStarter } from '../../src/starter-fn/temporal-starter.js';
import { createWorker, type TranscodeWorkers } from '../../src/worker/create-worker.js';
import { workflowBundle } from './temporal.js';

export const NAMESPACE = 'ns';
export const BUCKET = 'media-in';

/** A 10 s 640x360 source with stereo audio, as ffprobe would describe it. */
export const PROBE: SourceProbe = {
  formatName: 'mov,mp4,m4a,3gp,3g2,mj2',
  durationSec: 10,
  sizeBytes: 2_000_000,
  video: { index: 0, codec: 'h264', pixFmt: 'yuv420p', bitDepth: 8, codedWidth: 640, codedHeight: 360, rotation: 0, sar: [1, 1], displayWidth: 640, displayHeight: 360, fps: 30, vfr: false },
  audio: { index: 1, codec: 'aac', channels: 2, sampleRate: 48_000 },
  audioStreamCount: 1,
};

interface FakeJob extends ListedJob {
  key: string;
  percent: number;
  deleted: boolean;
}

/** Jobs in memory: found again by idempotency key, running until a test (or autoFinish) ends them. */
export class FakeJobRunner implements JobRunner {
  readonly jobs = new Map<string, FakeJob>();
  /** A job ends by itself this long after it started (undefined: only when the test says). */
  autoFinishMs: number | undefined = 50;
  /** Called after a job was created, before start() returns: may throw (a crash between create and record). */
  afterCreate?: (job: FakeJob) => void;
  private serial = 0;

  start(launch: JobLaunch): Promise<JobHandle> {
    const existing = [...this.jobs.values()].find((j) => j.key === launch.idempotencyKey && !j.deleted);
    if (existing) return Promise.resolve({ id: existing.id });
    const job: FakeJob = { id: `job-${++this.serial}`, key: launch.idempotencyKey, tags: launch.tags, phase: 'running', percent: 0, deleted: false, createdAt: new Date().toISOString() };
    this.jobs.set(job.id, job);
    if (this.autoFinishMs !== undefined) setTimeout(() => this.finish(job.id), this.autoFinishMs).unref();
    this.afterCreate?.(job);
    return Promise.resolve({ id: job.id });
  }

  finish(id: string, phase: JobPhase = 'succeeded'): void {
    const job = this.jobs.get(id);
    if (job && job.phase === 'running') Object.assign(job, { phase, percent: 100 });
  }

  progress(id: string, percent: number): void {
    const job = this.jobs.get(id);
    if (job) job.percent = percent;
  }

  state(handle: JobHandle): Promise<{ phase: JobPhase; exitCode?: number }> {
    const job = this.jobs.get(handle.id);
    if (!job || job.deleted) return Promise.resolve({ phase: 'gone' });
    return Promise.resolve(job.phase === 'succeeded' ? { phase: 'succeeded', exitCode: 0 } : job.phase === 'failed' ? { phase: 'failed', exitCode: 70 } : { phase: job.phase });
  }

  logTail(handle: JobHandle): Promise<string> {
    const job = this.jobs.get(handle.id);
    return Promise.resolve(job ? `${JSON.stringify({ event: 'progress', stage: 'encode', percent: job.percent })}\n` : '');
  }

  delete(handle: JobHandle): Promise<void> {
    const job = this.jobs.get(handle.id);
    if (job) job.deleted = true;
    return Promise.resolve();
  }

  list(tags: Record<string, string>): Promise<ListedJob[]> {
    return Promise.resolve([...this.jobs.values()].filter((j) => !j.deleted && Object.entries(tags).every(([k, v]) => j.tags[k] === v)));
  }

  /** Jobs not deleted. */
  live(): FakeJob[] {
    return [...this.jobs.values()].filter((j) => !j.deleted);
  }
}

/** A gate an activity waits at while a test holds it. */
class Gate {
  private waiting: Promise<void> | undefined;
  private open: (() => void) | undefined;
  entered = 0;
  /** Called on every pass, before any hold: a test's look at the world at that very moment. */
  onPass: (() => void) | undefined;

  hold(): void {
    this.waiting ??= new Promise((resolve) => (this.open = resolve));
  }

  release(): void {
    this.open?.();
    this.waiting = undefined;
    this.open = undefined;
  }

  async pass(): Promise<void> {
    this.entered += 1;
    this.onPass?.();
    await this.waiting;
  }
}

export class StubWorld {
  /** What each object's HEAD says (bucket/object -> eTag); absent: deleted. */
  readonly heads = new Map<string, string>();
  /** The published job.json per stream: the eTag it records. */
  readonly published = new Map<string, string>();
  readonly discarded: { object: string; outcome: string }[] = [];
  /** Every publish (a preview's too), with the renditions and the run's timings it was given. */
  readonly publishes: { object: string; preview: boolean; renditions: string[]; timings: RunFacts['timings'] }[] = [];
  /** What recordUndelivered was asked to add to job.json. */
  readonly undelivered: RecordUndeliveredInput[] = [];
  readonly calls: string[] = [];
  readonly gates = { inspect: new Gate(), publish: new Gate(), judge: new Gate() };
  readonly runner = new FakeJobRunner();
  /** When set, pruneVersions fails (best effort: the run must not). */
  failPrune = false;
  /** What inspect says of every source (a longer one makes a time-split plan). */
  probe: SourceProbe = PROBE;

  constructor(readonly config: Config) {}

  upload(object: string, etag = `e-${randomBytes(3).toString('hex')}`): string {
    this.heads.set(`${BUCKET}/${object}`, etag);
    return etag;
  }

  request(object: string, etag: string | undefined = this.heads.get(`${BUCKET}/${object}`)): TranscodeRequest {
    return { source: { namespace: NAMESPACE, bucket: BUCKET, object, ...(etag ? { etag } : {}) } };
  }

  activities(store: ObjectStore): Activities {
    const real = createActivities({ store, jobs: this.runner, config: this.config });
    const head = (object: string): string | undefined => this.heads.get(`${BUCKET}/${object}`);
    const log = <T>(type: string, value: T): T => (this.calls.push(type), value);
    return {
      ...real,
      judgeUpload: async (request) => {
        await this.gates.judge.pass();
        const { source } = validateRequest(request);
        const etag = head(source.object);
        const dest = resolveSettings(request, this.config).dest;
        const prefix = streamPrefix(dest, source.object);
        const published = etag !== undefined && this.published.get(prefix) === etag;
        const notify = resolveNotify(validateRequest(request), this.config);
        return log('judgeUpload', {
          ...(etag ? { etag } : {}),
          ...(notify ? { notify } : {}),
          ...(published ? { published: { version: versionFolder(etag), bucket: dest.bucket, streamPrefix: prefix, record: prefix + JOB_RECORD, renditions: ['360p', 'audio'], durationSec: 10 } } : {}),
        });
      },
      inspect: async (request) => {
        await this.gates.inspect.pass();
        const etag = head(request.source.object);
        if (!etag) throw new Error('stub: no such object');
        return log('inspect', { probe: this.probe, etag, size: this.probe.sizeBytes, settings: resolveSettings(validateRequest(request), this.config) });
      },
      headSource: (source) => Promise.resolve(log('headSource', head(source.object) ? { etag: head(source.object)! } : {})),
      verify: (input) => Promise.resolve(log('verify', { renditions: input.plan.video.length + 1, segments: 3 })),
      publish: async (input) => {
        await this.gates.publish.pass();
        const now = head(input.source.object);
        if (now && now !== input.source.etag) return log('publish', { status: 'superseded' as const, etag: now });
        const prefix = streamPrefix(input.dest, input.source.object);
        this.publishes.push({ object: input.source.object, preview: input.preview === true, renditions: input.plan.video.map((v) => v.id), timings: input.facts.timings });
        // A preview's job.json says 'preview': the upload is not published yet.
        if (!input.preview) this.published.set(prefix, input.source.etag);
        const rows = input.plan.video.map((v) => ({ id: v.id, kind: 'video' as const, codecs: 'avc1.64001f', width: v.width, height: v.height, averageBitrate: v.bitrate, peakBitrate: v.maxrate, segments: 3, durationSec: 10 }));
        return log('publish', {
          status: 'published' as const, record: prefix + JOB_RECORD, hls: `${prefix}master.m3u8`, renditions: input.plan.video.map((v) => v.id),
          details: { renditions: rows, poster: `${prefix}${input.plan.version}/poster.jpg` },
        });
      },
      pruneVersions: () => (this.failPrune ? Promise.reject(new Error('stub: storage down')) : Promise.resolve(log('pruneVersions', { removedVersions: [] }))),
      recordUndelivered: (input) => {
        this.undelivered.push(input);
        return Promise.resolve(log('recordUndelivered', { recorded: true }));
      },
      discard: (input) => {
        this.discarded.push({ object: input.source.object, outcome: input.outcome });
        return Promise.resolve(log('discard', { removedObjects: 0, recordWritten: input.outcome !== 'superseded' }));
      },
    };
  }
}

export interface StubStack {
  world: StubWorld;
  client: Client;
  config: Config;
  workers: TranscodeWorkers;
  /** The starter's own path: an upload event for the object at this eTag. */
  announce(object: string, etag: string): Promise<StartResult>;
  stop(): Promise<void>;
}

/** The plan the workflow makes for PROBE (what a test can expect of a job's renditions). */
export const stubPlan = (etag: string) => planLadder(PROBE, { preset: 'default', formats: ['hls', 'dash'], segmentFormat: 'cmaf', parallelism: 'single', etag });

export interface StubStackOptions {
  bundle?: WorkflowBundle;
  config?: Partial<Config>;
  world?: StubWorld;
  /** Activity slots of the main worker (startJob, deleteJobs, publish, the janitor's). */
  mainSlots?: number;
}

export async function startStubStack(env: TestWorkflowEnvironment, o: StubStackOptions = {}): Promise<StubStack> {
  const base = loadConfig({});
  const config: Config = {
    ...base,
    namespace: NAMESPACE,
    sourceBuckets: [BUCKET],
    taskQueue: `stub-${randomBytes(4).toString('hex')}`,
    job: { ...base.job, pollSec: 0.1, backoffSec: 0.1 },
    ...o.config,
  };
  config.jobsTaskQueue = `${config.taskQueue}-jobs`;
  const world = o.world ?? new StubWorld(config);
  const store = {} as ObjectStore;
  const workers = await createWorker({
    connection: env.nativeConnection,
    namespace: env.namespace ?? 'default',
    config,
    store,
    jobs: world.runner,
    activities: world.activities(store),
    workflowBundle: o.bundle ?? (await workflowBundle()),
    shutdownGraceTimeMs: 200,
    ...(o.mainSlots ? { maxConcurrentActivityTaskExecutions: o.mainSlots } : {}),
  });
  const running = workers.run();
  const starter = createTemporalStarter(env.client, config);
  return {
    world,
    client: env.client,
    config,
    workers,
    announce: (object, etag) => startTranscode(world.request(object, etag), { starter, config }),
    async stop() {
      workers.shutdown();
      await running;
    },
  };
}

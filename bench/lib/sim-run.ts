// bench:simulate, one run: the real `transcode` workflow and the real activities (judge, startJob, awaitJob,
// deleteJobs, verify, publish, prune) on a real dev server, over a folder store, with the simulated runner
// (sim-runner.ts). Only inspect is replaced: it describes a source that does not exist here (a two-hour
// 1080p film), as ffprobe would, and a tiny placeholder object stands in the source bucket for the HEADs.
// Samples the worker's RSS (this process hosts the worker) and the run's pending activities meanwhile, and
// records when job.json and the HLS master were written, and what they said (the preview's publish, then
// the full one's).
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { WorkflowBundle } from '@temporalio/worker';
import { createActivities } from '../../src/activities/index.js';
import { resolveSettings, validateRequest } from '../../src/activities/settings.js';
import { LocalFolderStore } from '../../src/adapters/local/object-store.js';
import { loadConfig, type Config } from '../../src/config.js';
import { JOB_RECORD, MASTER_PLAYLIST } from '../../src/domain/layout.js';
import type { JobRecord } from '../../src/domain/types.js';
import type { ObjectInfo, PutOptions } from '../../src/ports.js';
import type { TranscodeRequest } from '../../src/domain/types.js';
import { createWorker } from '../../src/worker/create-worker.js';
import { WORKFLOW_TYPE, type TranscodeResult } from '../../src/workflows/definitions.js';
import type { JobWork, Rates } from './sim-model.js';
import { filmProbe } from './sim-outputs.js';
import { SimJobRunner, type SimJob } from './sim-runner.js';

export const SOURCE = { namespace: 'ns', bucket: 'media-in', object: 'film-2h.mp4' } as const;
export const DEST_BUCKET = 'media-out';

export interface RunOptions {
  env: TestWorkflowEnvironment;
  bundle: WorkflowBundle;
  cap: number;
  rates: Rates;
  startupSec: number;
  compress: number;
  /** The real poll interval (OCI's default 20 s); the run polls every pollSec / compress. */
  pollSec: number;
  durationSec: number;
  log: (line: string) => void;
}

export interface RssSample {
  t: number;
  rssMiB: number;
  ended: number;
}

/** One write of job.json or of the HLS master, ms from the workflow's start. */
export interface PublishWrite {
  at: number;
  object: 'job.json' | 'master.m3u8';
  /** job.json: its outcome ('preview' for a preview's) and timings. */
  outcome?: JobRecord['outcome'];
  firstPlayableSec?: number;
  completeSec?: number;
  /** The master: how many video variants it lists. */
  variants?: number;
}

/** The folder store, noting each job.json and master it is given. */
class RecordingStore extends LocalFolderStore {
  readonly writes: PublishWrite[] = [];
  t0 = Date.now();

  override async put(bucket: string, name: string, body: Parameters<LocalFolderStore['put']>[2], options?: PutOptions): Promise<ObjectInfo> {
    const info = await super.put(bucket, name, body, options);
    const text = typeof body === 'string' ? body : Buffer.isBuffer(body) ? body.toString('utf8') : undefined;
    const at = Date.now() - this.t0;
    if (text !== undefined && name.endsWith(`/${JOB_RECORD}`)) {
      const record = JSON.parse(text) as Partial<JobRecord>;
      const t: Partial<JobRecord['timings']> = record.timings ?? {};
      this.writes.push({ at, object: JOB_RECORD, ...(record.outcome ? { outcome: record.outcome } : {}), ...(t.firstPlayableSec !== undefined ? { firstPlayableSec: t.firstPlayableSec } : {}), ...(t.completeSec !== undefined ? { completeSec: t.completeSec } : {}) });
    } else if (text !== undefined && name.endsWith(`/${MASTER_PLAYLIST}`)) {
      this.writes.push({ at, object: MASTER_PLAYLIST, variants: text.split('#EXT-X-STREAM-INF').length - 1 });
    }
    return info;
  }
}

export interface RunResult {
  config: Config;
  result: TranscodeResult;
  wallMs: number;
  /** From the workflow's start to the first job's start, and from the last job's end being seen to the result. */
  beforeMs: number;
  afterMs: number;
  jobs: SimJob[];
  peakInstances: number;
  peakPending: number;
  historyEvents: number;
  rss: RssSample[];
  /** job.json and master writes, in order. */
  writes: PublishWrite[];
  /** Each job's work as its command described it. */
  work: JobWork[];
  /** The workflow's start, ms of the clock the jobs' times use. */
  t0: number;
}

export async function simulateRun(o: RunOptions): Promise<RunResult> {
  const dataDir = await mkdtemp(join(tmpdir(), 'oci-transcode-sim-'));
  try {
    const store = new RecordingStore(join(dataDir, 'buckets'), SOURCE.namespace);
    const etag = (await store.put(SOURCE.bucket, SOURCE.object, 'placeholder: the film is described by the simulated inspect\n')).etag;
    // The settings as an operator sets them, by their environment names (src/config.ts).
    // No MP4 download: its remux job runs after the stream is published (workflows/remux-after.ts), so it
    // changes neither time to first playable nor publish time, and no remux rate is measured to model it.
    const base = loadConfig({
      OCI_TRANSCODE_DOWNLOADS: 'off',
      OCI_TRANSCODE_MAX_INSTANCES: String(o.cap),
      OCI_TRANSCODE_JOB_POLL_SEC: String(o.pollSec / o.compress),
    });
    const config: Config = { ...base, dataDir, namespace: SOURCE.namespace, sourceBuckets: [SOURCE.bucket], taskQueue: `sim-${o.cap}-${randomBytes(3).toString('hex')}` };
    config.jobsTaskQueue = `${config.taskQueue}-jobs`;
    const runner = new SimJobRunner({ store, rates: o.rates, startupSec: o.startupSec, compress: o.compress });
    const real = createActivities({ store, jobs: runner, config });
    const probe = filmProbe(o.durationSec);
    const worker = await createWorker({
      connection: o.env.nativeConnection,
      namespace: o.env.namespace ?? 'default',
      config,
      store,
      jobs: runner,
      activities: {
        ...real,
        inspect: async (request: TranscodeRequest) => {
          const head = await store.head(request.source.bucket, request.source.object);
          if (!head) throw new Error(`simulated inspect: no ${request.source.object}`);
          return { probe, etag: head.etag, size: probe.sizeBytes, settings: resolveSettings(validateRequest(request), config) };
        },
      },
      workflowBundle: o.bundle,
      shutdownGraceTimeMs: 500,
    });
    const running = worker.run();
    const rss: RssSample[] = [];
    let peakPending = 0;
    let sampling = true;
    const t0 = Date.now();
    store.t0 = t0;
    const handle = await o.env.client.workflow.start(WORKFLOW_TYPE, {
      taskQueue: config.taskQueue,
      workflowId: `sim-${o.cap}-${randomBytes(4).toString('hex')}`,
      args: [{ source: { ...SOURCE, etag }, dest: { bucket: DEST_BUCKET } } satisfies TranscodeRequest],
    });
    const sampler = (async () => {
      for (let i = 0; sampling; i++) {
        runner.tick();
        rss.push({ t: Date.now() - t0, rssMiB: process.memoryUsage().rss / 2 ** 20, ended: runner.ended() });
        if (i % 10 === 0) {
          const pending = (await handle.describe().catch(() => undefined))?.raw.pendingActivities?.length ?? 0;
          peakPending = Math.max(peakPending, pending);
          if (i % 300 === 0) o.log(`  cap ${o.cap}: ${runner.ended()}/${runner.jobs.size} jobs ended, ${runner.live} live, RSS ${rss.at(-1)!.rssMiB.toFixed(0)} MiB`);
        }
        await new Promise((r) => setTimeout(r, 100));
      }
    })();
    let result: TranscodeResult;
    try {
      result = (await handle.result()) as TranscodeResult;
    } finally {
      sampling = false;
      await sampler;
    }
    const wallMs = Date.now() - t0;
    const historyEvents = (await handle.fetchHistory()).events?.length ?? 0;
    worker.shutdown();
    await running;
    const jobs = [...runner.jobs.values()];
    const firstStart = Math.min(...jobs.map((j) => j.startedAt));
    const lastSeen = Math.max(...jobs.map((j) => j.detectedAt ?? 0));
    return { config, result, wallMs, beforeMs: firstStart - t0, afterMs: t0 + wallMs - lastSeen, jobs, peakInstances: runner.peak, peakPending, historyEvents, rss, writes: store.writes, work: [...runner.work.values()], t0 };
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
}

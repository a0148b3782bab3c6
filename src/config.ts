// Every setting of the pipeline, in one typed, validated schema, read from the environment in one
// place. Temporal's own connection settings (TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TEMPORAL_API_KEY,
// TLS) are read by @temporalio/envconfig, in the ecosystem's own form, not here.
import { z } from 'zod';
import { audioSelectionTextSchema, parallelismSchema, presetSchema, segmentFormatSchema, streamFormatSchema, videoCodecSchema } from './domain/contract.js';
import { targetListSchema } from './domain/notify-targets.js';

export const csv = z
  .string()
  .transform((s) => s.split(',').map((x) => x.trim()).filter(Boolean));

export const bool = z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1');

/**
 * Scratch disk a transcoder may fill: a Container Instance has 15 GB of ephemeral storage, and the image,
 * logs and the system need their share (the outputs stream out while encoding, so this is a ceiling).
 */
export const DEFAULT_SCRATCH_BYTES = 12 * 1024 ** 3;

const settingsSchema = z.object({
  /** local: folders, child processes, the embedded dev server. oci: Object Storage and Container Instances. */
  mode: z.enum(['local', 'oci']).default('local'),
  /** Local state: the dev server database, bucket folders, job logs. */
  dataDir: z.string().default('.data'),
  taskQueue: z.string().default('transcode'),
  /** awaitJob's own task queue (default `<taskQueue>-jobs`): hours-long waits never take the slots of the rest. */
  jobsTaskQueue: z.string().optional(),
  /**
   * Worker Versioning: with a build id, workers belong to deployment `deploymentName`, version `buildId`;
   * `transcode` runs are pinned to the version that started them, the janitor moves to the current one.
   */
  deploymentName: z.string().default('oci-transcode'),
  buildId: z.string().optional(),
  /**
   * Starter: how long it waits for the run's answer to an upload. A run whose workers are down (or far
   * behind) then answers `pending`: the run exists and holds the upload, it has just not said how yet.
   * Below the function's own timeout (func.yaml: 30 s), with room for a cold connection.
   */
  starterAnswerSec: z.coerce.number().positive().max(290).default(15),
  /** Prometheus scrape address of the worker's metrics (e.g. 0.0.0.0:9464); unset: no metrics endpoint. */
  metricsAddress: z.string().regex(/^[^:\s]+:\d+$/, 'must be host:port, e.g. 0.0.0.0:9464').optional(),
  /** Object Storage namespace (local mode: any name; it only appears in URIs and events). */
  namespace: z.string().default('local'),
  /** Buckets whose uploads start runs; events from any other bucket are ignored. */
  sourceBuckets: csv.default(['media-in']),
  destBucket: z.string().default('media-out'),
  destPrefix: z.string().default(''),
  preset: presetSchema.default('default'),
  formats: csv.pipe(z.array(streamFormatSchema).min(1)).default(['hls', 'dash']),
  parallelism: parallelismSchema.default('single'),
  segmentFormat: segmentFormatSchema.default('cmaf'),
  /** Video codecs of the ladder: `h264` (default), or with `hevc` and/or `av1` rungs beside it (CMAF only). */
  videoCodecs: csv.pipe(z.array(videoCodecSchema).min(1).refine((c) => c.includes('h264'), 'must include h264 (every player decodes it; HEVC and AV1 rungs come beside it)')).default(['h264']),
  /** Source audio tracks kept: `all`, `first` (the source's default track) or languages (`eng,fra`). */
  audioTracks: audioSelectionTextSchema.default('all'),
  /** A 5.1 AAC rendition besides the stereo one of each audio track with 6 or more channels (its own HLS group, DASH AdaptationSet). */
  surround: bool.default(true),
  /** The MP4 download's rung: `top`, a rung id (`720p`; a smaller source: the highest rung below it) or `off` (no MP4 nor M4A). */
  downloads: z.string().regex(/^[A-Za-z0-9_-]{1,23}$/, 'must be top, off or a rung id such as 720p').default('top'),
  /** EBU R128 loudness of every audio rendition: `measure` (source and output, in job.json), `normalize` (also two-pass loudnorm), `off`. */
  loudness: z.object({
    mode: z.enum(['off', 'measure', 'normalize']).default('measure'),
    targetLufs: z.coerce.number().min(-70).max(-5).default(-23),
    truePeakDbtp: z.coerce.number().min(-9).max(0).default(-1),
  }),
  limits: z.object({
    maxBytes: z.coerce.number().int().positive().default(50 * 1024 ** 3),
    maxDurationSec: z.coerce.number().positive().default(6 * 3600),
    maxWidth: z.coerce.number().int().positive().default(7680),
    maxHeight: z.coerce.number().int().positive().default(4320),
    scratchBytes: z.coerce.number().int().positive().default(DEFAULT_SCRATCH_BYTES),
  }),
  job: z.object({
    /** Fresh container instances tried per job before the workflow fails. */
    maxAttempts: z.coerce.number().int().min(1).max(10).default(3),
    /** Upper bound of one transcoder run. */
    timeoutSec: z.coerce.number().int().positive().default(4 * 3600),
    /** How often a running job is read: default 2 s locally (a child process is cheap to ask), 20 s on OCI. */
    pollSec: z.coerce.number().positive().optional(),
    /** Wait before the second attempt of a failed job; doubles for each further attempt (capped at 10 min). */
    backoffSec: z.coerce.number().min(0).default(10),
  }),
  dev: z.object({
    port: z.coerce.number().int().positive().default(7233),
    uiPort: z.coerce.number().int().positive().default(8233),
    /** Path of the `temporal` CLI; found on PATH or in Python's scripts folder when empty. */
    temporalBin: z.string().optional(),
    /** The local stack's preview page (src/preview), on 127.0.0.1. */
    previewPort: z.coerce.number().int().positive().default(8240),
  }),
  /** Completion notifications (src/notify): where they go, and the secret webhooks are signed with. */
  notify: z.object({
    targets: targetListSchema.optional(),
    webhookSecret: z.string().min(16, 'must be at least 16 characters (a random value, e.g. `openssl rand -hex 32`)').optional(),
    /** How long the workflow keeps retrying one target (backoff 2 s doubling to 5 min) before it records it undelivered. */
    retryForSec: z.coerce.number().int().min(1).max(7 * 24 * 3600).default(3600),
  }),
  /** The job API (`oci-transcode api`, src/api). */
  api: z.object({
    host: z.string().min(1).default('127.0.0.1'),
    port: z.coerce.number().int().min(0).max(65535).default(8080),
    /** Hashes of the API keys; `<dataDir>/api-keys.json` when unset. */
    keysFile: z.string().min(1).optional(),
    /** Requests per minute per API key (per client address before authentication). */
    rateLimit: z.coerce.number().int().min(1).default(300),
    /** Temporal Web UI base for run links; the local stack's own UI when unset in local mode. */
    temporalUiUrl: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).optional(),
  }),
  /** Time-split encoding of long sources (src/domain/chunks.ts, docs/workflow.md "Long sources"). */
  chunking: z.object({
    /** Sources longer than this are cut into chunk jobs on segment boundaries, plus one audio job. */
    thresholdSec: z.coerce.number().positive().default(1200),
    /** Target length of one chunk (whole segments; grown so that a plan has at most 300 chunks). */
    chunkSec: z.coerce.number().positive().default(60),
    /** Chunk jobs (container instances) of one run at once: match the tenancy's Container Instances limit. */
    maxInstances: z.coerce.number().int().min(1).max(500).default(20),
    /** When the cap leaves chunks waiting: publish a preview master (lowest rung + audio) first (domain/chunks.ts previewFirst). */
    previewFirst: bool.default(true),
  }),
  /** The janitor's reconciler: source objects whose event was lost get their run (src/janitor/reconcile.ts). */
  reconcile: z.object({
    /** Source objects listed per sweep, all source buckets together; the next scheduled sweep goes on from there. 0: off. */
    maxObjects: z.coerce.number().int().min(0).default(2000),
    /** Runs one sweep starts at most; it stops at the next such object, and the next sweep goes on from it. */
    maxStarts: z.coerce.number().int().min(1).default(20),
    /** Objects modified less than this long ago are left to their own event, which may still be on its way. */
    graceSec: z.coerce.number().int().min(0).default(600),
  }),
  verbose: bool.default(false),
});

/**
 * Defaults derived from other settings: an OCI job runs for minutes to hours, and each poll is three API
 * calls; the jobs task queue follows the main one.
 */
export const configSchema = settingsSchema.transform((c) => ({
  ...c,
  jobsTaskQueue: c.jobsTaskQueue ?? `${c.taskQueue}-jobs`,
  job: { ...c.job, pollSec: c.job.pollSec ?? (c.mode === 'oci' ? 20 : 2) },
}));

export type Config = z.infer<typeof configSchema>;

/** Environment variable of each setting; docs/operations.md's configuration reference is checked against it by a test. */
export const ENV_NAMES = {
  mode: 'OCI_TRANSCODE_MODE',
  dataDir: 'OCI_TRANSCODE_DATA_DIR',
  taskQueue: 'OCI_TRANSCODE_TASK_QUEUE',
  jobsTaskQueue: 'OCI_TRANSCODE_JOBS_TASK_QUEUE',
  deploymentName: 'OCI_TRANSCODE_DEPLOYMENT_NAME',
  buildId: 'OCI_TRANSCODE_BUILD_ID',
  metricsAddress: 'OCI_TRANSCODE_METRICS_ADDRESS',
  starterAnswerSec: 'OCI_TRANSCODE_STARTER_ANSWER_SEC',
  namespace: 'OCI_TRANSCODE_NAMESPACE',
  sourceBuckets: 'OCI_TRANSCODE_SOURCE_BUCKETS',
  destBucket: 'OCI_TRANSCODE_DEST_BUCKET',
  destPrefix: 'OCI_TRANSCODE_DEST_PREFIX',
  preset: 'OCI_TRANSCODE_PRESET',
  formats: 'OCI_TRANSCODE_FORMATS',
  parallelism: 'OCI_TRANSCODE_PARALLELISM',
  segmentFormat: 'OCI_TRANSCODE_SEGMENT_FORMAT',
  videoCodecs: 'OCI_TRANSCODE_CODECS',
  audioTracks: 'OCI_TRANSCODE_AUDIO_TRACKS',
  surround: 'OCI_TRANSCODE_SURROUND',
  downloads: 'OCI_TRANSCODE_DOWNLOADS',
  'loudness.mode': 'OCI_TRANSCODE_LOUDNESS',
  'loudness.targetLufs': 'OCI_TRANSCODE_LOUDNESS_TARGET',
  'loudness.truePeakDbtp': 'OCI_TRANSCODE_LOUDNESS_TRUE_PEAK',
  'limits.maxBytes': 'OCI_TRANSCODE_MAX_BYTES',
  'limits.maxDurationSec': 'OCI_TRANSCODE_MAX_DURATION_SEC',
  'limits.maxWidth': 'OCI_TRANSCODE_MAX_WIDTH',
  'limits.maxHeight': 'OCI_TRANSCODE_MAX_HEIGHT',
  'limits.scratchBytes': 'OCI_TRANSCODE_SCRATCH_BYTES',
  'job.maxAttempts': 'OCI_TRANSCODE_JOB_MAX_ATTEMPTS',
  'job.timeoutSec': 'OCI_TRANSCODE_JOB_TIMEOUT_SEC',
  'job.pollSec': 'OCI_TRANSCODE_JOB_POLL_SEC',
  'job.backoffSec': 'OCI_TRANSCODE_JOB_BACKOFF_SEC',
  'dev.port': 'OCI_TRANSCODE_DEV_PORT',
  'dev.uiPort': 'OCI_TRANSCODE_DEV_UI_PORT',
  'dev.temporalBin': 'OCI_TRANSCODE_TEMPORAL_BIN',
  'dev.previewPort': 'OCI_TRANSCODE_DEV_PREVIEW_PORT',
  'notify.targets': 'OCI_TRANSCODE_NOTIFY',
  'notify.webhookSecret': 'OCI_TRANSCODE_WEBHOOK_SECRET',
  'notify.retryForSec': 'OCI_TRANSCODE_NOTIFY_RETRY_SEC',
  'api.host': 'OCI_TRANSCODE_API_HOST',
  'api.port': 'OCI_TRANSCODE_API_PORT',
  'api.keysFile': 'OCI_TRANSCODE_API_KEYS_FILE',
  'api.rateLimit': 'OCI_TRANSCODE_API_RATE_LIMIT',
  'api.temporalUiUrl': 'OCI_TRANSCODE_TEMPORAL_UI_URL',
  'chunking.thresholdSec': 'OCI_TRANSCODE_CHUNK_THRESHOLD_SEC',
  'chunking.chunkSec': 'OCI_TRANSCODE_CHUNK_SEC',
  'chunking.maxInstances': 'OCI_TRANSCODE_MAX_INSTANCES',
  'chunking.previewFirst': 'OCI_TRANSCODE_PREVIEW_FIRST',
  'reconcile.maxObjects': 'OCI_TRANSCODE_RECONCILE_MAX_OBJECTS',
  'reconcile.maxStarts': 'OCI_TRANSCODE_RECONCILE_MAX_STARTS',
  'reconcile.graceSec': 'OCI_TRANSCODE_RECONCILE_GRACE_SEC',
  verbose: 'OCI_TRANSCODE_VERBOSE',
} as const;

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/** Builds the nested input object from the environment, then validates it. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, overrides: Partial<Config> = {}): Config {
  const raw: Record<string, unknown> = {};
  for (const [path, variable] of Object.entries(ENV_NAMES)) {
    const value = env[variable];
    if (value === undefined || value === '') continue;
    const [head, leaf] = path.split('.') as [string, string | undefined];
    if (leaf === undefined) raw[head] = value;
    else raw[head] = { ...(raw[head] as Record<string, unknown> | undefined), [leaf]: value };
  }
  for (const section of ['limits', 'job', 'dev', 'reconcile', 'notify', 'api', 'chunking', 'loudness']) raw[section] ??= {};
  const parsed = configSchema.safeParse(raw);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => {
      const key = issue.path.filter((p) => typeof p === 'string').join('.') as keyof typeof ENV_NAMES;
      return `  ${ENV_NAMES[key] ?? key}: ${issue.message}`;
    });
    throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}`);
  }
  const config = { ...parsed.data, ...overrides };
  // The jobs queue follows the main one unless it was named itself (also when overrides name the main one).
  if (!env[ENV_NAMES.jobsTaskQueue] && overrides.jobsTaskQueue === undefined) config.jobsTaskQueue = `${config.taskQueue}-jobs`;
  if (config.jobsTaskQueue === config.taskQueue) {
    throw new ConfigError(`Invalid configuration:\n  ${ENV_NAMES.jobsTaskQueue}: must differ from ${ENV_NAMES.taskQueue} (${config.taskQueue}): job waits have workers of their own`);
  }
  // A folder cannot be both the object `a.mp4` and the stream folder `a.mp4/`: locally, outputs written
  // into a source bucket need a prefix of their own (Object Storage has no such clash).
  if (config.mode === 'local' && config.sourceBuckets.includes(config.destBucket) && !config.destPrefix) {
    throw new ConfigError(
      `Invalid configuration:\n  ${ENV_NAMES.destPrefix}: must be set when ${ENV_NAMES.destBucket} (${config.destBucket}) is also a source bucket in local mode`,
    );
  }
  return config;
}

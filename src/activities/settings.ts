// Validates a workflow request (it may come from `temporal workflow start --input`, not only from the
// starter) and fills every default from the worker's config.
import { ApplicationFailure } from '@temporalio/common';
import type { Config } from '../config.js';
import { transcodeRequestSchema } from '../domain/contract.js';
import { defaultDest } from '../domain/layout.js';
import { formatTarget } from '../domain/notify-targets.js';
import type { TranscodeRequest } from '../domain/types.js';
import type { JobRunner } from '../ports.js';
import type { NotifyPlan, RunSettings } from './types.js';

/** Runners that start synchronously (a child process) take seconds; this leaves room for a slow disk. */
const DEFAULT_START_BUDGET_SEC = 180;

/** Non-retryable 'InvalidRequest' naming every bad field. */
export function validateRequest(request: unknown): TranscodeRequest {
  const parsed = transcodeRequestSchema.safeParse(request);
  if (parsed.success) return parsed.data;
  const lines = parsed.error.issues.map((i) => `${i.path.join('.') || 'request'}: ${i.message}`);
  throw ApplicationFailure.nonRetryable(`Invalid transcode request: ${lines.join('; ')}`, 'InvalidRequest');
}

/** A start that takes longer than its runner says it can is stuck: this is the bound the workflow sets. */
export function resolveSettings(request: TranscodeRequest, config: Config, jobs: Pick<JobRunner, 'startBudgetSec'> = {}): RunSettings {
  return {
    dest: request.dest ? { bucket: request.dest.bucket, prefix: request.dest.prefix ?? '' } : { bucket: config.destBucket, prefix: defaultDest(config, request.source.bucket).prefix ?? '' },
    preset: request.preset ?? config.preset,
    formats: request.formats ?? config.formats,
    parallelism: request.parallelism ?? config.parallelism,
    segmentFormat: request.segmentFormat ?? config.segmentFormat,
    audioTracks: config.audioTracks,
    surround: config.surround,
    videoCodecs: config.videoCodecs,
    downloads: config.downloads,
    ...(config.loudness.mode === 'off' ? {} : { loudness: { mode: config.loudness.mode, targetLufs: config.loudness.targetLufs, truePeakDbtp: config.loudness.truePeakDbtp } }),
    job: {
      maxAttempts: config.job.maxAttempts,
      timeoutSec: config.job.timeoutSec,
      pollSec: config.job.pollSec,
      backoffSec: config.job.backoffSec,
      startTimeoutSec: Math.ceil(jobs.startBudgetSec ?? DEFAULT_START_BUDGET_SEC),
      taskQueue: config.jobsTaskQueue,
    },
    chunking: { ...config.chunking },
  };
}

/** The operator's targets, then the job's own (a target named by both is notified once, as the operator's). */
export function resolveNotify(request: TranscodeRequest, config: Pick<Config, 'notify'>): NotifyPlan | undefined {
  const targets: NotifyPlan['targets'] = (config.notify.targets ?? []).map((t) => ({ target: formatTarget(t), from: 'config' }));
  for (const target of request.notify ?? []) {
    if (!targets.some((t) => t.target === target)) targets.push({ target, from: 'request' });
  }
  return targets.length > 0 ? { targets, retryForSec: config.notify.retryForSec } : undefined;
}

// How the API starts a job: through the starter's one start path (startTranscode with Update-with-start),
// so a job submitted here gets the same workflow id, dedupe and supersede as an upload event, and the
// same answer from the workflow. The server only knows the JobStarter function (tests give their own).
import type { Client } from '@temporalio/client';
import type { Config } from '../config.js';
import type { TranscodeRequest } from '../domain/types.js';
import { startTranscode, type StartResult } from '../starter-fn/handler.js';
import { createTemporalStarter } from '../starter-fn/temporal-starter.js';

/** The workflow's request, the job's own notification targets included (`webhook:…`, `ons:…`). */
export type JobRequest = TranscodeRequest;

/** started | superseding | duplicate | stale | pending, with the workflow id and the run that answered. */
export type JobStartAnswer = StartResult;

export type JobStarter = (request: JobRequest) => Promise<JobStartAnswer>;

export function temporalJobStarter(client: Client, config: Pick<Config, 'taskQueue' | 'sourceBuckets' | 'destBucket' | 'destPrefix'>): JobStarter {
  const starter = createTemporalStarter(client, config);
  // No preset, formats, … here: a job's own choices stay in its request, and the worker fills the rest.
  const starterConfig = { sourceBuckets: config.sourceBuckets, destBucket: config.destBucket, destPrefix: config.destPrefix };
  return (request) => startTranscode(request, { starter, config: starterConfig });
}

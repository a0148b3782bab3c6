// Activity stubs with their timeouts and retry policies. Quick storage work retries a few times;
// BadInput, InvalidRequest, SourceNotFound and VerifyFailed are raised non-retryable by the activities.
import type { ActivityOptions } from '@temporalio/workflow';
import { proxyActivities } from '@temporalio/workflow';
import type { Activities, RunSettings } from '../activities/index.js';

/** Errors that are facts about the input, not accidents: retrying cannot help. */
const DETERMINISTIC_ERRORS = ['BadInput', 'InvalidRequest', 'SourceNotFound', 'VerifyFailed', 'ManifestError', 'PlanError'];

/** How long a silent worker is trusted before its activity is retried elsewhere (see worker/liveness.ts). */
const LIVENESS_TIMEOUT = '30s';

const quickRetry: ActivityOptions['retry'] = {
  initialInterval: '2s',
  backoffCoefficient: 2,
  maximumInterval: '30s',
  maximumAttempts: 5,
  nonRetryableErrorTypes: DETERMINISTIC_ERRORS,
};

/** judgeUpload, inspect (head + probe), headSource, verify, publish, discard, recordUndelivered: seconds of storage I/O each. */
export const storage = proxyActivities<Pick<Activities, 'judgeUpload' | 'inspect' | 'headSource' | 'verify' | 'publish' | 'discard' | 'recordUndelivered'>>({
  startToCloseTimeout: '5 min',
  // The worker heartbeats for them (worker/liveness.ts): a killed worker costs 30 s, not 5 min.
  heartbeatTimeout: LIVENESS_TIMEOUT,
  retry: quickRetry,
});

/** Best-effort chores after publishing: a few tries, then the run goes on (the activity heartbeats per folder). */
export const housekeeping = proxyActivities<Pick<Activities, 'pruneVersions'>>({
  startToCloseTimeout: '10 min',
  heartbeatTimeout: LIVENESS_TIMEOUT,
  retry: { initialInterval: '5s', backoffCoefficient: 2, maximumAttempts: 3 },
});

const jobRetry: ActivityOptions['retry'] = { initialInterval: '5s', backoffCoefficient: 2, maximumInterval: '2 min', nonRetryableErrorTypes: DETERMINISTIC_ERRORS };

/** Deleting jobs: the backend may throttle, or refuse (409) while an instance is still being created. */
export const jobControl = proxyActivities<Pick<Activities, 'deleteJobs'>>({
  startToCloseTimeout: '5 min',
  scheduleToCloseTimeout: '30 min',
  heartbeatTimeout: LIVENESS_TIMEOUT,
  retry: jobRetry,
});

/**
 * Starting a job: placement failover, backoffs and the wait for the instance to leave CREATING, bounded by
 * what the job runner says one start can take (settings.job.startTimeoutSec). Runs recorded before that
 * setting existed keep the old 3 minutes.
 */
export function jobStart(settings: RunSettings): Pick<Activities, 'startJob'> {
  const budget = settings.job.startTimeoutSec ?? 180;
  return proxyActivities<Pick<Activities, 'startJob'>>({
    startToCloseTimeout: `${budget}s`,
    scheduleToCloseTimeout: `${Math.max(1800, 3 * budget)}s`,
    heartbeatTimeout: LIVENESS_TIMEOUT,
    retry: jobRetry,
  });
}

/**
 * awaitJob polls one job for as long as it runs: bounded by the job timeout, heartbeating from a timer
 * (not per poll: polls are tens of seconds apart on OCI), retried (same handle, progress from heartbeat
 * details) after a worker crash or shutdown.
 */
export function jobWatch(settings: RunSettings): Pick<Activities, 'awaitJob'> {
  const { timeoutSec, taskQueue } = settings.job;
  return proxyActivities<Pick<Activities, 'awaitJob'>>({
    // Its own task queue and workers: a burst of hours-long waits never holds the slots that starts,
    // deletes, publishing and the janitor need.
    ...(taskQueue ? { taskQueue } : {}),
    startToCloseTimeout: `${timeoutSec}s`,
    scheduleToCloseTimeout: `${timeoutSec + 600}s`,
    heartbeatTimeout: LIVENESS_TIMEOUT,
    retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s', nonRetryableErrorTypes: DETERMINISTIC_ERRORS },
  });
}

// The pipeline's own retries and pools (the OCI SDK retries its calls itself): one retry policy,
// exponential backoff with jitter over p-retry, and one limiter, p-limit.
import pLimit from 'p-limit';
import pRetry from 'p-retry';
import { TransientError } from './ports.js';

export { pLimit };
export type { LimitFunction } from 'p-limit';

export interface RetryPolicy {
  attempts: number;
  /** First pause; each next one doubles (with jitter), up to maxMs. */
  baseMs: number;
  maxMs: number;
}

/** By name as well as class: adapters loaded dynamically may carry their own copy of the class. */
export const isTransient = (error: unknown): boolean => error instanceof TransientError || (error instanceof Error && error.name === 'TransientError');

/**
 * p-retry retries only Error instances; some SDKs reject with plain objects ({code, message}). Those
 * become Errors that keep every field, so classifiers still read them.
 */
function asError(reason: unknown): Error {
  if (reason instanceof Error) return reason;
  const fields = typeof reason === 'object' && reason !== null ? reason : {};
  const message = String((fields as { message?: unknown }).message ?? reason);
  return Object.assign(new Error(message), fields);
}

/** Runs `run` until it succeeds, fails with an error `isRetryable` refuses, or the attempts are spent. */
export function retrying<T>(policy: RetryPolicy, run: () => Promise<T>, isRetryable: (error: unknown) => boolean = isTransient, signal?: AbortSignal): Promise<T> {
  return pRetry(() => run().catch((reason: unknown) => Promise.reject(asError(reason))), {
    retries: Math.max(0, policy.attempts - 1),
    factor: 2,
    minTimeout: policy.baseMs,
    maxTimeout: policy.maxMs,
    randomize: true,
    shouldRetry: ({ error }) => isRetryable(error),
    ...(signal ? { signal } : {}),
  });
}

/** Runs fn over items with at most `limit` in flight; once all settled, rejects with the first failure. */
export async function forEachLimit<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  const run = pLimit(limit);
  const results = await Promise.allSettled(items.map((item) => run(() => fn(item))));
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
}

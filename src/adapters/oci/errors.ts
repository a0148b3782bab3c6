// SDK failures translated into the ports' vocabulary, so activities decide retries without knowing OCI.
// The SDK throws OciError for service answers, plain objects ({code, message}) for network failures and
// plain objects ({message, troubleShootingInfo}) from UploadManager when parts keep failing.
import { ChangedError, NotFoundError, TransientError } from '../../ports.js';

export { JobLaunchError } from '../../ports.js';

export interface ServiceError {
  statusCode?: number;
  serviceCode?: string;
  message?: string;
  code?: string;
  opcRequestId?: string | null;
}

function fields(error: unknown): ServiceError {
  return typeof error === 'object' && error !== null ? error : { message: String(error) };
}

export function statusOf(error: unknown): number | undefined {
  const status = fields(error).statusCode;
  return typeof status === 'number' && status > 0 ? status : undefined;
}

/** Failures worth another attempt: throttling, 5xx, a conflicting in-flight state, the network. */
export function isRetryable(error: unknown): boolean {
  const { serviceCode } = fields(error);
  const status = statusOf(error);
  if (status === undefined) return true; // no HTTP answer at all: connection refused, reset, DNS, timeout
  if (status === 429 || status >= 500) return true;
  return status === 409 && serviceCode === 'IncorrectState';
}

/**
 * Container Instances could not place the instance here: another availability domain or shape may work.
 * Throttling (429) is not a refusal of the placement: it is retried, with backoff, in the same one.
 */
export function isCapacityError(error: unknown): boolean {
  const { serviceCode, message = '' } = fields(error);
  const status = statusOf(error);
  if (serviceCode === 'LimitExceeded' || serviceCode === 'QuotaExceeded') return true;
  return (status === 500 || status === 503) && CAPACITY_TEXT.test(message);
}

const CAPACITY_TEXT = /out of host capacity|insufficient capacity/i;

/**
 * An accepted instance that failed while being created (work request error, lifecycleDetails) because
 * its image could not be pulled: a configuration problem (image URL, or the instances' `read repos`
 * grant), the same in every placement.
 */
export function isImagePullFailure(text: string): boolean {
  return /pull(ing)? (the )?image|image pull|ImagePull/i.test(text);
}

/** One line, without the SDK's troubleshooting boilerplate, with the request id Oracle support asks for. */
export function describe(error: unknown): string {
  const { serviceCode, message, code, opcRequestId } = fields(error);
  const status = statusOf(error);
  const request = opcRequestId ? ` (opc-request-id ${opcRequestId})` : '';
  if (status !== undefined) return `${status}${serviceCode && serviceCode !== 'None' ? ` ${serviceCode}` : ''}: ${message ?? 'no message'}${request}`;
  return `${code ? `${code}: ` : ''}${message ?? String(error)}${request}`;
}

/** The port error for a failed SDK call; `what` names the operation and its object. */
export function toPortError(error: unknown, what: string): Error {
  if (error instanceof NotFoundError || error instanceof TransientError || error instanceof ChangedError) return error;
  const status = statusOf(error);
  const text = `${what}: ${describe(error)}`;
  if (status === 404) return new NotFoundError(text);
  if (status === 412) return new ChangedError(text);
  if (isRetryable(error)) return new TransientError(text);
  return new Error(text);
}

export interface PlacementMiss {
  availabilityDomain: string;
  shape: string;
  reason: string;
}

/**
 * Every configured availability domain and shape refused the instance for capacity or limits.
 * Thrown by OciJobRunner.start; activities surface it to the workflow under this name.
 */
export class CapacityExhaustedError extends Error {
  override readonly name = 'CapacityExhaustedError';
  constructor(readonly misses: PlacementMiss[]) {
    super(
      `No capacity for the transcoder in any configured placement: ${misses
        .map((m) => `${m.availabilityDomain}/${m.shape} (${m.reason})`)
        .join('; ')}`,
    );
  }
}

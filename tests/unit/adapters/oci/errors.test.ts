import { describe, expect, it } from 'vitest';
import { OciError } from 'oci-common';
import { CapacityExhaustedError, isCapacityError, isRetryable, toPortError } from '../../../../src/adapters/oci/errors.js';
import { NotFoundError, TransientError } from '../../../../src/ports.js';

const oci = (status: number, code: string, message: string) => new OciError(status, code, message, 'req-1', 'Test', 'op', '', '', '');

describe('OCI error mapping', () => {
  it('maps 404 to NotFoundError, throttling, 5xx and network failures to TransientError, the rest to Error', () => {
    expect(toPortError(oci(404, 'ObjectNotFound', 'gone'), 'get x')).toBeInstanceOf(NotFoundError);
    expect(toPortError(oci(429, 'TooManyRequests', 'slow down'), 'get x')).toBeInstanceOf(TransientError);
    expect(toPortError(oci(503, 'ServiceUnavailable', 'later'), 'get x')).toBeInstanceOf(TransientError);
    expect(toPortError({ code: 'ECONNREFUSED', message: 'connect ECONNREFUSED 127.0.0.1:1' }, 'get x')).toBeInstanceOf(TransientError);
    const denied = toPortError(oci(403, 'NotAuthorized', 'no'), 'put oci://ns/b/o');
    expect(denied).not.toBeInstanceOf(TransientError);
    expect(denied.message).toBe('put oci://ns/b/o: 403 NotAuthorized: no (opc-request-id req-1)');
  });

  it('retries 409 only for IncorrectState', () => {
    expect(isRetryable(oci(409, 'IncorrectState', 'busy'))).toBe(true);
    expect(isRetryable(oci(409, 'Conflict', 'retry token reused'))).toBe(false);
  });

  it('recognises capacity and limit refusals', () => {
    expect(isCapacityError(oci(500, 'InternalError', 'Out of host capacity.'))).toBe(true);
    expect(isCapacityError(oci(400, 'LimitExceeded', 'ci-count'))).toBe(true);
    // Throttling is retried in the same placement, not counted as a refusal of it.
    expect(isCapacityError(oci(429, 'TooManyRequests', 'x'))).toBe(false);
    expect(isCapacityError(oci(500, 'InternalError', 'database down'))).toBe(false);
    expect(isCapacityError(oci(400, 'InvalidParameter', 'bad shape'))).toBe(false);
  });

  it('lists every refused placement when capacity is exhausted', () => {
    const error = new CapacityExhaustedError([
      { availabilityDomain: 'AD-1', shape: 'E4', reason: '500 InternalError: Out of host capacity.' },
      { availabilityDomain: 'AD-2', shape: 'E4', reason: '400 LimitExceeded: ci-count' },
    ]);
    expect(error.name).toBe('CapacityExhaustedError');
    expect(error.message).toBe('No capacity for the transcoder in any configured placement: AD-1/E4 (500 InternalError: Out of host capacity.); AD-2/E4 (400 LimitExceeded: ci-count)');
  });
});

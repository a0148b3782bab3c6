// The transcoder's failure classes and the exit codes the orchestrator acts on (see domain/types EXIT):
// 65 bad input (never retried), 75 transient I/O (retried), anything else a crash.
import { EXIT, type TranscoderEvent } from '../domain/types.js';
import { TransientError } from '../ports.js';

export { TransientError };

/** The source cannot become a stream; the message names the problem for the uploader. */
export class BadInputError extends Error {
  override readonly name = 'BadInputError';
  readonly exitCode = EXIT.BAD_INPUT;
}

/** Wrong arguments or settings (sysexits EX_USAGE): a bug in the caller, not in the input. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
  readonly exitCode = 64;
}

/** Anything unexpected: the orchestrator treats it as a crash. */
export const CRASH_EXIT = 70;

export type ErrorEvent = Extract<TranscoderEvent, { event: 'error' }>;

/** Maps any thrown value to the error event and exit code of the contract. */
export function classifyError(error: unknown): ErrorEvent {
  const name = (error as Error | undefined)?.name;
  const message = error instanceof Error ? error.message : String(error);
  // By name as well as class: adapters loaded dynamically may carry their own copy of a class.
  if (error instanceof BadInputError || name === 'BadInputError' || name === 'PlanError') {
    return { event: 'error', code: EXIT.BAD_INPUT, kind: 'bad-input', message };
  }
  if (error instanceof TransientError || name === 'TransientError') {
    return { event: 'error', code: EXIT.TRANSIENT, kind: 'transient', message };
  }
  const code = error instanceof UsageError || name === 'UsageError' || name === 'UriError' || name === 'StoreConfigError' ? 64 : CRASH_EXIT;
  return { event: 'error', code, kind: 'crash', message };
}

// The transcoder's failure classes and the exit codes the orchestrator acts on (see domain/types EXIT):
// 65 bad input (never retried), 75 transient I/O (retried), anything else a crash.
import { EXIT, type TranscoderEvent } from '../domain/types.js';
import { BadInputError } from '../media/errors.js';
import { TransientError } from '../ports.js';

export { TransientError };
export { BadInputError };


/** Wrong arguments or settings (sysexits EX_USAGE): a bug in the caller, not in the input. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
  readonly exitCode = EXIT.USAGE;
}

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
  // Anything unexpected is a crash to the orchestrator.
  const code = error instanceof UsageError || name === 'UsageError' || name === 'UriError' || name === 'StoreConfigError' ? EXIT.USAGE : EXIT.CRASH;
  return { event: 'error', code, kind: 'crash', message };
}

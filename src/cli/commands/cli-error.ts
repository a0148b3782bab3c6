// How stack commands fail: one clear line (or a few) on stderr and a non-zero exit code, never a
// stack trace for a problem the user can fix.
export class CliError extends Error {
  override readonly name = 'CliError';
  constructor(message: string, readonly exitCode = 1) {
    super(message);
  }
}

/** Errors whose message is the whole story: no trace needed. */
const EXPECTED = new Set(['CliError', 'ConfigError', 'PortInUseError', 'StackAlreadyRunningError', 'StackStartError', 'DevServerError', 'StackStateError', 'HistoryFileError']);

export function reportError(error: unknown): number {
  const e = error instanceof Error ? error : new Error(String(error));
  const prefix = 'oci-transcode:';
  const verbose = ['true', '1'].includes(process.env.OCI_TRANSCODE_VERBOSE ?? '');
  if (EXPECTED.has(e.name) || !verbose) console.error(`${prefix} ${e.message}`);
  else console.error(prefix, e);
  return error instanceof CliError ? error.exitCode : 1;
}

/** Wraps a commander action: errors become a message and an exit code. */
export function action<A extends unknown[]>(fn: (...args: A) => Promise<void>): (...args: A) => Promise<void> {
  return async (...args: A) => {
    try {
      await fn(...args);
    } catch (error) {
      process.exitCode = reportError(error);
    }
  };
}

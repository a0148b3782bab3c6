// Runs `oci-transcode <args>` as an operator would: a child process with its own environment, killed
// if it outlives the timeout.
import { execFile } from 'node:child_process';
import { CLI_ENTRY, REPO_ROOT } from '../../../src/stack/paths.js';

export interface CliOutcome {
  code: number;
  stdout: string;
  stderr: string;
}

export function oci(args: string[], env: Record<string, string | undefined>, timeoutMs = 60_000): Promise<CliOutcome> {
  return new Promise((done) => {
    execFile(
      process.execPath,
      [CLI_ENTRY, ...args],
      { cwd: REPO_ROOT, env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env }, timeout: timeoutMs, killSignal: 'SIGKILL', maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) => done({ code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, stdout, stderr }),
    );
  });
}

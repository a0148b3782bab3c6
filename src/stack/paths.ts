// Where the local stack keeps its files under the data dir. One place decides, so `dev`, `run`,
// `status` and `stop` (separate processes) always agree.
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (this file is src/stack/paths.ts). */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/** The CLI entry point, for child processes (detached `dev`, the local transcoder jobs). */
export const CLI_ENTRY = join(REPO_ROOT, 'bin', 'oci-transcode.js');

export interface StackPaths {
  dataDir: string;
  /** Written by a running `dev`: how other commands find it. */
  stateFile: string;
  /** Output of a `dev` started in the background by `run`. */
  logFile: string;
  /** The dev server's SQLite database: runs survive restarts. */
  dbFile: string;
  /** Root of the local buckets: one folder per bucket. */
  bucketsDir: string;
  /** One JSON line per watcher event and the starter's answer, so `run` can explain a run that never started. */
  eventsFile: string;
  samplesDir: string;
}

export function stackPaths(dataDir: string): StackPaths {
  const root = resolve(dataDir);
  return {
    dataDir: root,
    stateFile: join(root, 'stack.json'),
    logFile: join(root, 'stack.log'),
    dbFile: join(root, 'temporal.db'),
    bucketsDir: join(root, 'buckets'),
    eventsFile: join(root, 'events.jsonl'),
    samplesDir: join(root, 'samples'),
  };
}

export const bucketDir = (paths: StackPaths, bucket: string): string => join(paths.bucketsDir, bucket);

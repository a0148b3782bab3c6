// The OCI adapters, as the worker (mode 'oci') and the transcoder load them.
import { ConfigError } from '../../config.js';
import type { JobRunner, ObjectStore } from '../../ports.js';
import { createOciJobRunner, type OciJobRunnerOptions } from './job-runner.js';
import { createOciObjectStore } from './object-store.js';

export { createOciObjectStore, OciObjectStore } from './object-store.js';
export { createOciJobRunner, OciJobRunner, type OciJobRunnerOptions } from './job-runner.js';
export { CapacityExhaustedError, type PlacementMiss } from './errors.js';
export { openClient } from './clients.js';
export { createAuthProvider, resolveAuthKind } from './auth.js';

/** Both adapters from one environment (OCI_TRANSCODE_OCI_*, OCI_TRANSCODE_NAMESPACE). */
export function createOciAdapters(
  env: Record<string, string | undefined> = process.env,
  options: OciJobRunnerOptions = {},
): { store: ObjectStore & { close(): Promise<void> }; jobs: JobRunner & { close(): Promise<void> } } {
  if (!env.OCI_TRANSCODE_NAMESPACE) {
    // The worker writes it into every transcoder's --dest: it must be known before the first job.
    throw new ConfigError('OCI mode needs OCI_TRANSCODE_NAMESPACE (the Object Storage namespace: `oci os ns get`)');
  }
  return { store: createOciObjectStore(env), jobs: createOciJobRunner(env, options) };
}

// The OCI adapters, as the worker (mode 'oci') and the transcoder load them.
import type { JobRunner, ObjectStore } from '../../ports.js';
import { createOciJobRunner, type OciJobRunnerOptions } from './job-runner.js';
import { createOciObjectStore } from './object-store.js';

export { createOciObjectStore, OciObjectStore } from './object-store.js';
export { createOciJobRunner, OciJobRunner, type OciJobRunnerOptions } from './job-runner.js';
export { CapacityExhaustedError, type PlacementMiss } from './errors.js';
export { createOciClients, type OciClients } from './clients.js';
export { createAuthProvider, resolveAuthKind } from './auth.js';

/** Both adapters from one environment (OCI_TRANSCODE_OCI_*, OCI_TRANSCODE_NAMESPACE). */
export function createOciAdapters(
  env: Record<string, string | undefined> = process.env,
  options: OciJobRunnerOptions = {},
): { store: ObjectStore & { close(): Promise<void> }; jobs: JobRunner } {
  return { store: createOciObjectStore(env), jobs: createOciJobRunner(env, options) };
}

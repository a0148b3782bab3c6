// The two ports for the configured mode: folders and child processes locally, Object Storage and
// Container Instances on OCI (loaded only in that mode, so the local path never needs the OCI SDK).
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createLocalJobRunner } from '../adapters/local/job-runner.js';
import { LocalFolderStore } from '../adapters/local/object-store.js';
import { DEFAULT_SCRATCH_BYTES, ENV_NAMES, type Config } from '../config.js';
import { notifySenders, type NotifySenders } from '../notify/index.js';
import type { JobRunner, ObjectStore } from '../ports.js';

export interface Adapters {
  store: ObjectStore;
  jobs: JobRunner;
  transcoderEnv: Record<string, string>;
  /** What completion notifications are sent with (webhook secret, OCI Notifications publisher). */
  notify: NotifySenders;
  close(): Promise<void>;
}

/** The CLI entry a local job runs, like the transcoder image's entrypoint. */
export const TRANSCODER_BIN = fileURLToPath(new URL('../../bin/oci-transcode.js', import.meta.url));

/** What a container image would provide: a search path, a home, a temp dir, a locale; nothing else. */
export function baseJobEnv(env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const keep = ['PATH', 'HOME', 'TMPDIR', 'LANG', 'TZ'];
  return Object.fromEntries(keep.flatMap((k) => (env[k] === undefined ? [] : [[k, env[k]]])));
}

/** Settings the transcoder reads from its environment wherever it runs (its own defaults otherwise). */
export function transcoderEnv(config: Config): Record<string, string> {
  return {
    ...(config.verbose ? { [ENV_NAMES.verbose]: 'true' } : {}),
    ...(config.limits.scratchBytes !== DEFAULT_SCRATCH_BYTES ? { [ENV_NAMES['limits.scratchBytes']]: String(config.limits.scratchBytes) } : {}),
  };
}

export async function openAdapters(config: Config): Promise<Adapters> {
  if (config.mode === 'local') {
    const bucketsDir = resolve(config.dataDir, 'buckets');
    const notify = notifySenders(config, process.env);
    return {
      store: new LocalFolderStore(bucketsDir, config.namespace),
      jobs: createLocalJobRunner({ dataDir: config.dataDir, bucketsDir, command: [process.execPath, TRANSCODER_BIN], env: baseJobEnv() }),
      transcoderEnv: transcoderEnv(config),
      notify,
      close: () => Promise.resolve(notify.close()),
    };
  }
  // Loaded on demand: the local path never pays for the OCI SDK.
  const { createOciAdapters } = await import('../adapters/oci/index.js');
  const { createOciTopicPublisher } = await import('../adapters/oci/notifications.js');
  const { store, jobs } = createOciAdapters(process.env);
  const notify = notifySenders(config, process.env, (oci) => createOciTopicPublisher(oci, process.env));
  return {
    store,
    jobs,
    transcoderEnv: transcoderEnv(config),
    notify,
    close: async () => {
      notify.close();
      await store.close();
    },
  };
}

import type { Config } from '../config.js';
import type { JobRunner, ObjectStore } from '../ports.js';
import type { NotifyDeps } from './notify.js';

/** Everything the activities know about the world: two ports and the config. */
export interface ActivityDeps {
  store: ObjectStore;
  jobs: JobRunner;
  config: Config;
  /** Environment every transcoder job gets (a container's environmentVariables). */
  transcoderEnv?: Record<string, string>;
  /** What notifications are sent with; without it, webhooks signed with the config's secret only, no topics. */
  notify?: NotifyDeps;
}

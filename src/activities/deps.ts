import type { Config } from '../config.js';
import type { JobRunner, ObjectStore } from '../ports.js';

/** Everything the activities know about the world: two ports and the config. */
export interface ActivityDeps {
  store: ObjectStore;
  jobs: JobRunner;
  config: Config;
  /** Environment every transcoder job gets (a container's environmentVariables). */
  transcoderEnv?: Record<string, string>;
}

// `oci-transcode dev`: the whole local stack in the foreground until Ctrl-C (or `oci-transcode stop`).
import { Runtime } from '@temporalio/worker';
import { loadConfig } from '../../config.js';
import { compactLogger } from '../../stack/log-format.js';
import { startStack } from '../../stack/stack.js';
import { bucketDir } from '../../stack/paths.js';

export async function dev(): Promise<void> {
  const config = loadConfig();
  const log = (line: string): void => console.log(`${new Date().toISOString().slice(11, 19)} ${line}`);
  // Worker, workflow and activity logs: one line each, beside the stack's own lines.
  Runtime.install({ logger: compactLogger((line) => console.log(line), config.verbose ? 'DEBUG' : 'INFO') });
  const stack = await startStack(config, log);
  const { state, paths } = stack;
  const sources = config.sourceBuckets.map((b) => bucketDir(paths, b)).join(', ');
  console.log(
    [
      '',
      `Temporal Web UI   ${state.uiUrl}/namespaces/${state.namespace}/workflows`,
      ...(state.previewUrl ? [`Preview page      ${state.previewUrl}   <- players, thumbnails and the ladder of each run`] : []),
      `Temporal server   ${state.address} (namespace ${state.namespace}, task queue ${state.taskQueue})`,
      `Source bucket     ${sources}   <- drop media files here, or: npx oci-transcode run <file>`,
      `Outputs           ${bucketDir(paths, config.destBucket)}`,
      'Stop with Ctrl-C or `npx oci-transcode stop`.',
      '',
    ].join('\n'),
  );
  let signals = 0;
  const onSignal = (signal: NodeJS.Signals): void => {
    // A second Ctrl-C means "now": skip the graceful drain.
    if (++signals > 1) process.exit(130);
    void stack.stop(`${signal} received`);
  };
  process.on('SIGINT', onSignal).on('SIGTERM', onSignal);
  const failure = await stack.stopped;
  log(failure ? `[stack] stopped after a failure: ${failure}` : '[stack] stopped');
  // Everything we started is stopped; do not wait for idle gRPC channels to time out.
  process.exit(failure ? 1 : 0);
}

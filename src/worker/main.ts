// The worker process: `npx tsx src/worker/main.ts`.
// Temporal connection settings come in the ecosystem's own form (@temporalio/envconfig: TEMPORAL_ADDRESS,
// TEMPORAL_NAMESPACE, TEMPORAL_API_KEY, TEMPORAL_TLS_*, or a TOML profile); everything else from loadConfig().
// SIGTERM / SIGINT shut it down gracefully: polling stops, in-flight activities get a grace period,
// and an interrupted awaitJob resumes the same job on another worker.
import { pathToFileURL } from 'node:url';
import { loadClientConnectConfig } from '@temporalio/envconfig';
import { DefaultLogger, NativeConnection, Runtime } from '@temporalio/worker';
import { loadConfig } from '../config.js';
import { openAdapters } from './adapters.js';
import { createWorker } from './create-worker.js';
import { checkSearchAttributes } from './preflight.js';

export async function main(): Promise<void> {
  const config = loadConfig();
  Runtime.install({
    logger: new DefaultLogger(config.verbose ? 'DEBUG' : 'INFO'),
    shutdownSignals: ['SIGINT', 'SIGTERM'],
    // The SDK's own metrics (task latencies, slots, failures) and the pipeline's (domain/metrics.ts).
    ...(config.metricsAddress ? { telemetryOptions: { metrics: { prometheus: { bindAddress: config.metricsAddress } } } } : {}),
  });
  const { connectionOptions, namespace = 'default' } = loadClientConnectConfig();
  const connection = await NativeConnection.connect(connectionOptions);
  const adapters = await openAdapters(config);
  try {
    await checkSearchAttributes(connection, namespace, (line) => console.error(`worker: ${line}`));
    const worker = await createWorker({ connection, namespace, config, store: adapters.store, jobs: adapters.jobs, transcoderEnv: adapters.transcoderEnv, notify: adapters.notify });
    const version = config.buildId ? `, deployment ${config.deploymentName} build ${config.buildId}` : ', unversioned';
    const metrics = config.metricsAddress ? `, metrics on http://${config.metricsAddress}/metrics` : '';
    console.error(`worker: ${config.mode} mode, task queues ${config.taskQueue} + ${config.jobsTaskQueue}, namespace ${namespace}, server ${connectionOptions.address ?? 'localhost:7233'}${version}${metrics}`);
    await worker.run(); // resolves once a shutdown signal has drained it
  } finally {
    await adapters.close();
    await connection.close();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exitCode = 1;
  });
}

// A worker process for the benchmark's concurrency part: the real workflow and activities, local
// folder store, and the replaying no-op JobRunner. Its own process, so its peak RSS is its own.
// Env: BENCH_ADDRESS, BENCH_TEMPLATE (JSON), and the usual OCI_TRANSCODE_* settings.
import { DefaultLogger, NativeConnection, Runtime } from '@temporalio/worker';
import { LocalFolderStore } from '../../src/adapters/local/object-store.js';
import { loadConfig } from '../../src/config.js';
import { cachedWorkflowBundle } from '../../src/stack/bundle-cache.js';
import { stackPaths } from '../../src/stack/paths.js';
import { createWorker } from '../../src/worker/create-worker.js';
import { createReplayingJobRunner, type Template } from './replaying-job-runner.js';

Runtime.install({ logger: new DefaultLogger('WARN') });
const config = loadConfig();
const store = new LocalFolderStore(stackPaths(config.dataDir).bucketsDir, config.namespace);
const jobs = createReplayingJobRunner(store, JSON.parse(process.env.BENCH_TEMPLATE ?? '') as Template);
const connection = await NativeConnection.connect({ address: process.env.BENCH_ADDRESS ?? '' });
const worker = await createWorker({ connection, namespace: 'default', config, store, jobs, workflowBundle: await cachedWorkflowBundle() });
process.once('SIGTERM', () => worker.shutdown());
const running = worker.run();
console.log('ready');
await running;
await connection.close();
console.error(`[noop-worker] copied ${jobs.copied()} objects`);

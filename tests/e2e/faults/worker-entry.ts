// A worker process for the fault tests, wired exactly like src/worker/main.ts (envconfig connection,
// config, openAdapters, createWorker), plus two test hooks: a prebuilt workflow bundle (restarts take
// seconds, not a re-bundle) and freeze points from FREEZE_RULES, each announced by a marker file in
// FREEZE_DIR, where the test SIGKILLs this process.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadClientConnectConfig } from '@temporalio/envconfig';
import { DefaultLogger, NativeConnection, Runtime } from '@temporalio/worker';
import { loadConfig } from '../../../src/config.js';
import { openAdapters } from '../../../src/worker/adapters.js';
import { createWorker } from '../../../src/worker/create-worker.js';
import { installFreezes, type FreezeRule } from '../../functional/reliability/freeze.js';

const config = loadConfig();
Runtime.install({ logger: new DefaultLogger(config.verbose ? 'DEBUG' : 'INFO'), shutdownSignals: ['SIGINT', 'SIGTERM'] });
const { connectionOptions, namespace = 'default' } = loadClientConnectConfig();
const connection = await NativeConnection.connect(connectionOptions);
const adapters = await openAdapters(config);
const rules = JSON.parse(process.env.FREEZE_RULES ?? '[]') as (FreezeRule & { target: 'store' | 'jobs' })[];
const marker = (name: string): void => writeFileSync(join(process.env.FREEZE_DIR ?? '.', `${name}.frozen`), String(process.pid));
for (const target of ['store', 'jobs'] as const) {
  const mine = rules.filter((r) => r.target === target);
  if (mine.length) installFreezes(adapters[target], mine, (f) => marker(f.rule.name));
}
const worker = await createWorker({
  connection, namespace, config, store: adapters.store, jobs: adapters.jobs, transcoderEnv: adapters.transcoderEnv, notify: adapters.notify,
  workflowBundle: { code: readFileSync(process.env.WORKFLOW_BUNDLE!, 'utf8') }, shutdownGraceTimeMs: 500,
});
console.error(`fault-test worker ${process.pid} ready on ${config.taskQueue}`);
await worker.run();
await connection.close();

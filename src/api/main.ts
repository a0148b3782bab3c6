// `oci-transcode api`: the job API as a process. Temporal comes from the ecosystem's variables
// (TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TEMPORAL_API_KEY, TLS: @temporalio/envconfig), or in local mode
// from the running local stack; the buckets from the configured mode's store (folders, or Object Storage
// with the worker's identity). SIGINT/SIGTERM close it (in-flight requests finish).
import { join, resolve } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { loadClientConnectConfig } from '@temporalio/envconfig';
import { LocalFolderStore } from '../adapters/local/object-store.js';
import { CliError } from '../cli/commands/cli-error.js';
import { loadConfig, ENV_NAMES, type Config } from '../config.js';
import type { ObjectStore } from '../ports.js';
import { stackPaths } from '../stack/paths.js';
import { liveState } from '../stack/state.js';
import { temporalJobs } from './jobs.js';
import { ApiKeyStore } from './keys.js';
import { buildApiServer } from './server.js';
import { temporalJobStarter } from './start.js';

export const keysFileOf = (config: Config): string => resolve(config.api.keysFile ?? join(config.dataDir, 'api-keys.json'));

async function connect(config: Config): Promise<{ client: Client; namespace: string; uiUrl?: string; close(): Promise<void> }> {
  const { connectionOptions, namespace } = loadClientConnectConfig();
  let options = connectionOptions;
  let ns = namespace ?? 'default';
  let uiUrl = config.api.temporalUiUrl;
  if (!options.address) {
    const state = config.mode === 'local' ? await liveState(stackPaths(config.dataDir).stateFile) : undefined;
    if (!state) throw new CliError('no Temporal server to talk to: set TEMPORAL_ADDRESS (and TEMPORAL_NAMESPACE, TEMPORAL_API_KEY), or start the local stack with `npx oci-transcode dev`');
    options = { ...options, address: state.address };
    ns = namespace ?? state.namespace;
    uiUrl ??= state.uiUrl;
  }
  const connection = await Connection.connect({ ...options, connectTimeout: '10 seconds' });
  return { client: new Client({ connection, namespace: ns }), namespace: ns, ...(uiUrl ? { uiUrl } : {}), close: () => connection.close() };
}

async function openStore(config: Config): Promise<{ store: ObjectStore; close(): Promise<void> }> {
  if (config.mode === 'local') return { store: new LocalFolderStore(resolve(config.dataDir, 'buckets'), config.namespace), close: () => Promise.resolve() };
  // Loaded on demand: the local path never pays for the OCI SDK.
  const { createOciObjectStore } = await import('../adapters/oci/index.js');
  const store = createOciObjectStore(process.env);
  return { store, close: () => store.close() };
}

export interface ApiCommandOptions {
  host?: string;
  port?: number;
}

export async function apiCommand(opts: ApiCommandOptions): Promise<void> {
  const config = loadConfig();
  const host = opts.host ?? config.api.host;
  const port = opts.port ?? config.api.port;
  const keys = new ApiKeyStore(keysFileOf(config));
  if (keys.size === 0) {
    throw new CliError(`no API keys in ${keys.path}: create one with \`npx oci-transcode api-key create <name>\` (or point ${ENV_NAMES['api.keysFile']} at the key file)`);
  }
  const temporal = await connect(config);
  const opened = await openStore(config);
  const app = await buildApiServer({
    jobs: temporalJobs(temporal.client, temporal.uiUrl ? { webUiUrl: temporal.uiUrl } : {}),
    start: temporalJobStarter(temporal.client, config),
    store: opened.store,
    config,
    keys,
    logger: config.verbose,
  });
  const closed = new Promise<void>((done) => {
    for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => void app.close().then(done));
  });
  await app.listen({ host, port });
  const where = `http://${host.includes(':') ? `[${host}]` : host}:${(app.server.address() as { port: number }).port}`;
  console.log(`job API on ${where}  (OpenAPI: ${where}/openapi.json, preview: ${where}/preview/)`);
  console.log(`  Temporal namespace ${temporal.namespace}, ${config.mode} mode, ${keys.size} API key(s) in ${keys.path}`);
  await closed;
  await opened.close();
  await temporal.close();
}

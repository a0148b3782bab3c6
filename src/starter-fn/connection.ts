// The starter function's Temporal client. Address, namespace and TLS come from the function's config in
// the Temporal ecosystem's own variables (TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TEMPORAL_TLS*, read by
// @temporalio/envconfig); the API key (or the mTLS client key) comes from OCI Vault, read with the
// function's resource principal. Client and secrets are cached across invocations of a hot function.
import { createHash } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { loadClientConnectConfig } from '@temporalio/envconfig';
import { SecretsClient } from 'oci-secrets';
import { openClient } from '../adapters/oci/clients.js';
import { toPortError } from '../adapters/oci/errors.js';
import { ConfigError } from '../config.js';
import { loadOciConfig, OCI_ENV_NAMES, type OciConfig } from '../config-oci.js';

export type Env = Record<string, string | undefined>;

/** Reads a Vault secret's current version as text. */
export type SecretReader = (secretId: string) => Promise<string>;

export function vaultSecretReader(config: OciConfig, env: Env): SecretReader {
  let client: Promise<SecretsClient> | undefined;
  return async (secretId) => {
    client ??= openClient(SecretsClient, config, config.endpoints.secrets, env);
    const secrets = await client.catch((error: unknown) => {
      client = undefined;
      throw error;
    });
    try {
      const { secretBundle } = await secrets.getSecretBundle({ secretId });
      const content = secretBundle.secretBundleContent;
      if (!content?.content || content.contentType !== 'BASE64') throw new Error(`secret ${secretId} has no BASE64 content`);
      return Buffer.from(content.content, 'base64').toString('utf8').trim();
    } catch (error) {
      throw toPortError(error, `read Vault secret ${secretId}`);
    }
  };
}

/** Secret values kept for secretCacheSec, so a hot function reads Vault about once per period, not per event. */
export class SecretCache {
  private readonly values = new Map<string, { value: string; until: number }>();

  constructor(
    private readonly read: SecretReader,
    private readonly ttlMs: number,
  ) {}

  async get(secretId: string, now = Date.now()): Promise<string> {
    const hit = this.values.get(secretId);
    if (hit && hit.until > now) return hit.value;
    const value = await this.read(secretId);
    this.values.set(secretId, { value, until: now + this.ttlMs });
    return value;
  }
}

export interface TemporalSettings {
  address: string;
  namespace: string;
  /** What authenticates us, for logs: never the secret itself. */
  auth: 'api-key' | 'mtls' | 'none';
}

interface Cached {
  fingerprint: string;
  client: Client;
  connection: Connection;
  settings: TemporalSettings;
}

let cached: Promise<Cached> | undefined;

const stringsOnly = (env: Env): Record<string, string> =>
  Object.fromEntries(Object.entries(env).filter((e): e is [string, string] => typeof e[1] === 'string'));

/**
 * The client for this invocation: the cached one while the settings (including the secrets, re-read
 * after their cache period) are unchanged, else a new connection (a rotated key takes effect here).
 */
export async function temporalClient(env: Env, secrets?: SecretCache): Promise<{ client: Client; settings: TemporalSettings }> {
  const oci = loadOciConfig(env);
  const cache = secrets ?? defaultSecrets(oci, env);
  const vars = stringsOnly(env);
  if (oci.temporalApiKeySecretId) vars.TEMPORAL_API_KEY = await cache.get(oci.temporalApiKeySecretId);
  if (oci.temporalTlsKeySecretId) vars.TEMPORAL_TLS_CLIENT_KEY_DATA = await cache.get(oci.temporalTlsKeySecretId);
  if (!vars.TEMPORAL_ADDRESS) throw new ConfigError('TEMPORAL_ADDRESS is not set in the function configuration');
  if (vars.TEMPORAL_API_KEY && !oci.temporalApiKeySecretId) {
    throw new ConfigError(`TEMPORAL_API_KEY must not be plain function configuration: store it in Vault and set ${OCI_ENV_NAMES.temporalApiKeySecretId}`);
  }
  const { connectionOptions, namespace = 'default' } = loadClientConnectConfig({ overrideEnvVars: vars, disableFile: true });
  const settings: TemporalSettings = {
    address: connectionOptions.address ?? vars.TEMPORAL_ADDRESS,
    namespace,
    auth: connectionOptions.apiKey ? 'api-key' : vars.TEMPORAL_TLS_CLIENT_KEY_DATA ? 'mtls' : 'none',
  };
  const fingerprint = createHash('sha256').update(JSON.stringify([connectionOptions, namespace])).digest('hex');

  const current = await cached?.catch(() => undefined);
  if (current?.fingerprint === fingerprint) return current;
  cached = (async () => {
    const connection = await Connection.connect({ ...connectionOptions, connectTimeout: '10 seconds' });
    return { fingerprint, connection, client: new Client({ connection, namespace }), settings };
  })();
  const next = await cached.catch((error: unknown) => {
    cached = undefined;
    throw error;
  });
  if (current) void current.connection.close().catch(() => undefined);
  return next;
}

let secretCache: { key: string; cache: SecretCache } | undefined;

function defaultSecrets(oci: OciConfig, env: Env): SecretCache {
  const key = JSON.stringify([oci.endpoints.secrets, oci.region, oci.auth, oci.secretCacheSec]);
  if (secretCache?.key !== key) secretCache = { key, cache: new SecretCache(vaultSecretReader(oci, env), oci.secretCacheSec * 1000) };
  return secretCache.cache;
}

/** Test hook: forget the cached connection (closing it). */
export async function resetTemporalClient(): Promise<void> {
  const current = await cached?.catch(() => undefined);
  cached = undefined;
  secretCache = undefined;
  await current?.connection.close();
}

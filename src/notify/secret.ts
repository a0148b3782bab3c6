// The webhook signing secret: OCI_TRANSCODE_WEBHOOK_SECRET, or a Vault secret (OCI_TRANSCODE_OCI_WEBHOOK_SECRET)
// read with the worker's identity through the same reader and cache the starter function uses for its
// Temporal key, so a rotated secret takes effect within OCI_TRANSCODE_OCI_SECRET_CACHE_SEC.
import { ConfigError, ENV_NAMES, type Config } from '../config.js';
import { OCI_ENV_NAMES, type OciConfig } from '../config-oci.js';

/** The current secret, or undefined when none is configured. */
export type SecretSource = () => Promise<string | undefined>;

export function webhookSecretSource(
  config: Pick<Config, 'notify'>,
  oci: OciConfig | undefined,
  env: Record<string, string | undefined> = process.env,
): SecretSource {
  const plain = config.notify.webhookSecret;
  if (plain !== undefined && oci?.webhookSecretId !== undefined) {
    throw new ConfigError(`set one of ${ENV_NAMES['notify.webhookSecret']} and ${OCI_ENV_NAMES.webhookSecretId}, not both`);
  }
  if (plain !== undefined) return () => Promise.resolve(plain);
  if (oci?.webhookSecretId === undefined) return () => Promise.resolve(undefined);
  const { webhookSecretId: secretId, secretCacheSec } = oci;
  let cache: Promise<{ get(id: string): Promise<string> }> | undefined;
  return async () => {
    // Loaded on first use: a worker without a Vault secret never opens the Secrets client.
    cache ??= import('../starter-fn/connection.js').then(({ SecretCache, vaultSecretReader }) => new SecretCache(vaultSecretReader(oci, env), secretCacheSec * 1000));
    const value = await (await cache).get(secretId);
    if (value.length < 16) throw new ConfigError(`the webhook secret in Vault secret ${secretId} is shorter than 16 characters`);
    return value;
  };
}

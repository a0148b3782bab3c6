// Which OCI identity signs our requests, chosen by config:
//   resource principals  - the starter function and the transcoder container (the platform injects them);
//   instance principals  - a worker on an OCI compute instance;
//   ~/.oci/config         - a worker on a laptop or any other host;
//   api-key               - the same fields as a config file profile, from variables (tests, secrets managers).
import { existsSync } from 'node:fs';
import {
  ConfigFileAuthenticationDetailsProvider,
  InstancePrincipalsAuthenticationDetailsProviderBuilder,
  Region,
  ResourcePrincipalAuthenticationDetailsProvider,
  SimpleAuthenticationDetailsProvider,
  type AuthenticationDetailsProvider,
} from 'oci-common';
import { ConfigError } from '../../config.js';
import { OCI_ENV_NAMES, type OciAuthKind, type OciConfig } from '../../config-oci.js';

export type ResolvedAuthKind = Exclude<OciAuthKind, 'auto'>;

/** The variable the OCI platform sets wherever resource principals are available. */
export const RESOURCE_PRINCIPAL_VERSION_VAR = 'OCI_RESOURCE_PRINCIPAL_VERSION';

/** Resolves `auto` without touching the network: platform variables, then an env key, then a config file. */
export function resolveAuthKind(config: OciConfig, env: Record<string, string | undefined> = process.env): ResolvedAuthKind {
  if (config.auth !== 'auto') return config.auth;
  if (env[RESOURCE_PRINCIPAL_VERSION_VAR]) return 'resource-principal';
  if (config.privateKey) return 'api-key';
  if (existsSync(config.configFile)) return 'config-file';
  return 'instance-principal';
}

export function regionOf(id: string): Region {
  const region = Region.fromRegionId(Region.getRegionIdFromShortCode(id));
  if (!region) throw new ConfigError(`${OCI_ENV_NAMES.region}: unknown region "${id}"`);
  return region;
}

export interface AuthChoice {
  kind: ResolvedAuthKind;
  provider: AuthenticationDetailsProvider;
}

export async function createAuthProvider(config: OciConfig, env: Record<string, string | undefined> = process.env): Promise<AuthChoice> {
  const kind = resolveAuthKind(config, env);
  switch (kind) {
    case 'resource-principal': {
      if (!env[RESOURCE_PRINCIPAL_VERSION_VAR]) {
        throw new ConfigError(`auth resource-principal: ${RESOURCE_PRINCIPAL_VERSION_VAR} is not set (not running in a Function or Container Instance?)`);
      }
      // The SDK builder reads process.env itself.
      return { kind, provider: ResourcePrincipalAuthenticationDetailsProvider.builder() };
    }
    case 'instance-principal':
      return { kind, provider: await new InstancePrincipalsAuthenticationDetailsProviderBuilder().build() };
    case 'config-file': {
      if (!existsSync(config.configFile)) {
        throw new ConfigError(`auth config-file: ${config.configFile} does not exist (${OCI_ENV_NAMES.configFile})`);
      }
      return { kind, provider: new ConfigFileAuthenticationDetailsProvider(config.configFile, config.profile) };
    }
    case 'api-key': {
      const { tenancy, user, fingerprint, privateKey } = config;
      if (!tenancy || !user || !fingerprint || !privateKey) {
        throw new ConfigError(
          `auth api-key needs ${OCI_ENV_NAMES.tenancy}, ${OCI_ENV_NAMES.user}, ${OCI_ENV_NAMES.fingerprint} and ${OCI_ENV_NAMES.privateKey}`,
        );
      }
      const region = config.region ? regionOf(config.region) : undefined;
      return {
        kind,
        provider: new SimpleAuthenticationDetailsProvider(tenancy, user, fingerprint, privateKey, config.passphrase ?? null, region),
      };
    }
  }
}

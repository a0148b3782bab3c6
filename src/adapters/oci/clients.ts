// SDK clients built one way everywhere: the chosen identity, our retry policy, endpoint overrides.
import {
  CircuitBreaker,
  MaxAttemptsTerminationStrategy,
  type ClientConfiguration,
  type DelayStrategy,
  type OciError,
  type RetryConfiguration,
} from 'oci-common';
import { ContainerInstanceClient } from 'oci-containerinstances';
import { ObjectStorageClient } from 'oci-objectstorage';
import { SecretsClient } from 'oci-secrets';
import type { OciConfig } from '../../config-oci.js';
import { createAuthProvider, regionOf, type ResolvedAuthKind } from './auth.js';
import { isRetryable } from './errors.js';

type WaitContext = Parameters<DelayStrategy['delay']>[0];

/** Exponential backoff with full jitter, in the SDK's unit (seconds). */
export function backoffDelay(config: Pick<OciConfig, 'retryBaseMs' | 'retryMaxMs'>): DelayStrategy {
  return {
    delay(context: WaitContext): number {
      const ceiling = Math.min(config.retryMaxMs, config.retryBaseMs * 2 ** context.attemptCount);
      return (ceiling / 2 + (Math.random() * ceiling) / 2) / 1000;
    },
  };
}

export function retryConfiguration(
  config: Pick<OciConfig, 'maxAttempts' | 'retryBaseMs' | 'retryMaxMs'>,
  retryCondition: (error: OciError) => boolean = isRetryable,
): RetryConfiguration {
  return {
    terminationStrategy: new MaxAttemptsTerminationStrategy(config.maxAttempts),
    delayStrategy: backoffDelay(config),
    retryCondition,
  };
}

export interface OciClients {
  authKind: ResolvedAuthKind;
  objectStorage: ObjectStorageClient;
  containerInstances: ContainerInstanceClient;
  secrets: SecretsClient;
  close(): void;
}

type AnyClient = ObjectStorageClient | ContainerInstanceClient | SecretsClient;

/** Builds the three clients lazily-used by the adapters. Endpoint overrides win over the region. */
export async function createOciClients(config: OciConfig, env: Record<string, string | undefined> = process.env): Promise<OciClients> {
  const { kind, provider } = await createAuthProvider(config, env);
  const clientConfiguration: ClientConfiguration = {
    retryConfiguration: retryConfiguration(config),
    // The SDK opens a per-client breaker by default; our callers retry with backoff themselves, and a breaker
    // that stays open 30 s turns a short burst of throttling into a long stall, so it can be switched off.
    ...(config.circuitBreaker ? {} : { circuitBreaker: new CircuitBreaker({ disableClientCircuitBreaker: true }) }),
  };
  const params = { authenticationDetailsProvider: provider };
  const objectStorage = new ObjectStorageClient(params, clientConfiguration);
  const containerInstances = new ContainerInstanceClient(params, clientConfiguration);
  const secrets = new SecretsClient(params, clientConfiguration);
  const setup = (client: AnyClient, endpoint: string | undefined): void => {
    if (config.region) client.region = regionOf(config.region);
    if (endpoint) client.endpoint = endpoint.replace(/\/+$/, '');
  };
  setup(objectStorage, config.endpoints.objectStorage);
  setup(containerInstances, config.endpoints.containerInstances);
  setup(secrets, config.endpoints.secrets);
  return {
    authKind: kind,
    objectStorage,
    containerInstances,
    secrets,
    close() {
      for (const client of [objectStorage, containerInstances, secrets]) client.close();
    },
  };
}

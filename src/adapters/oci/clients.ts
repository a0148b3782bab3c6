// SDK clients built one way everywhere: the chosen identity, our retry policy, endpoint overrides.
import {
  CircuitBreaker,
  MaxAttemptsTerminationStrategy,
  type AuthParams,
  type ClientConfiguration,
  type DelayStrategy,
  type OciError,
  type Region,
  type RetryConfiguration,
} from 'oci-common';
import type { OciConfig } from '../../config-oci.js';
import { createAuthProvider, regionOf } from './auth.js';
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

/** What every per-service SDK client has in common, as far as we configure it. */
export interface SdkClient {
  set region(region: Region);
  get endpoint(): string;
  set endpoint(endpoint: string);
  close(): void;
}

export type SdkClientClass<T extends SdkClient> = new (params: AuthParams, clientConfiguration?: ClientConfiguration) => T;

/**
 * One service client with the chosen identity, our retry policy and an optional endpoint override (which
 * wins over the region). Each adapter opens only its own service, so bundles carry only what they use.
 */
export async function openClient<T extends SdkClient>(
  Client: SdkClientClass<T>,
  config: OciConfig,
  endpoint: string | undefined,
  env: Record<string, string | undefined> = process.env,
): Promise<T> {
  const { provider } = await createAuthProvider(config, env);
  const client = new Client(
    { authenticationDetailsProvider: provider },
    {
      retryConfiguration: retryConfiguration(config),
      // The SDK opens a per-client breaker by default; our callers retry with backoff themselves, and a
      // breaker that stays open 30 s turns a short burst of throttling into a long stall: it can be switched off.
      ...(config.circuitBreaker ? {} : { circuitBreaker: new CircuitBreaker({ disableClientCircuitBreaker: true }) }),
    },
  );
  if (config.region) client.region = regionOf(config.region);
  if (endpoint) client.endpoint = endpoint.replace(/\/+$/, '');
  return client;
}

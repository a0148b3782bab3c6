// Secrets never reach errors or the environment a job runs with: configuration errors name the variable,
// never its value; a job (container or local process) gets a fixed, secret-free environment; a key that
// cannot sign fails without quoting itself. The end-to-end proof (logs, histories, container env) is
// tests/functional/reliability/secrets.test.ts.
import { Client } from '@temporalio/client';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config.js';
import { loadOciConfig } from '../../../src/config-oci.js';
import { createOciObjectStore } from '../../../src/adapters/oci/object-store.js';
import { temporalClient } from '../../../src/starter-fn/connection.js';
import { baseJobEnv, transcoderEnv } from '../../../src/worker/adapters.js';

const CANARY = 'canary-s3cr3t-4b1d';
const messageOf = async (run: () => unknown): Promise<string> => {
  try {
    await run();
  } catch (error) {
    const cause = (error as { cause?: unknown }).cause;
    const causeText = cause instanceof Error ? cause.message : JSON.stringify(cause ?? '');
    return error instanceof Error ? `${error.name}: ${error.message} ${causeText}` : String(error);
  }
  throw new Error('expected a failure');
};

describe('secrets in configuration errors', () => {
  it('name the variable, never echo the value', async () => {
    const cases: (() => unknown)[] = [
      () => loadOciConfig({ OCI_TRANSCODE_OCI_PRIVATE_KEY: CANARY }),
      () => loadOciConfig({ OCI_TRANSCODE_OCI_FINGERPRINT: CANARY }),
      () => loadOciConfig({ OCI_TRANSCODE_OCI_AUTH: 'api-key', OCI_TRANSCODE_OCI_PRIVATE_KEY: `-----BEGIN PRIVATE KEY-----\n${CANARY}\n-----END PRIVATE KEY-----` }),
      () => loadOciConfig({ OCI_TRANSCODE_OCI_TEMPORAL_API_KEY_SECRET: CANARY }),
      () => loadConfig({ OCI_TRANSCODE_MODE: CANARY }),
      () => loadConfig({ OCI_TRANSCODE_MAX_BYTES: CANARY }),
      // The starter refuses an API key given as plain function configuration, without repeating it.
      () => temporalClient({ TEMPORAL_ADDRESS: '127.0.0.1:1', TEMPORAL_API_KEY: CANARY }),
    ];
    for (const run of cases) {
      const message = await messageOf(run);
      expect(message).toMatch(/OCI_TRANSCODE_|TEMPORAL_API_KEY/);
      expect(message).not.toContain(CANARY);
    }
  });

  it('a private key that cannot sign fails the request without quoting the key', async () => {
    const pem = `-----BEGIN PRIVATE KEY-----\nMIIB${CANARY}${'A'.repeat(60)}\n-----END PRIVATE KEY-----`;
    const store = createOciObjectStore({
      OCI_TRANSCODE_OCI_AUTH: 'api-key',
      OCI_TRANSCODE_OCI_TENANCY: 'ocid1.tenancy.oc1..aaaa',
      OCI_TRANSCODE_OCI_USER: 'ocid1.user.oc1..aaaa',
      OCI_TRANSCODE_OCI_FINGERPRINT: '00:11:22:33:44:55:66:77:88:99:aa:bb:cc:dd:ee:ff',
      OCI_TRANSCODE_OCI_PRIVATE_KEY: pem,
      OCI_TRANSCODE_OCI_REGION: 'eu-frankfurt-1',
      OCI_TRANSCODE_OCI_ENDPOINT_OBJECTSTORAGE: 'http://127.0.0.1:9',
      OCI_TRANSCODE_OCI_MAX_ATTEMPTS: '1',
      OCI_TRANSCODE_NAMESPACE: 'ns',
    });
    try {
      const message = await messageOf(() => store.head('b', 'o'));
      expect(message).not.toContain(CANARY);
    } finally {
      await store.close();
    }
  });

  it('a Temporal connection that fails does not quote its API key', async () => {
    const message = await messageOf(async () => {
      const { Connection } = await import('@temporalio/client');
      const connection = await Connection.connect({ address: '127.0.0.1:9', apiKey: CANARY, tls: false, connectTimeout: '2 seconds' });
      await new Client({ connection }).workflow.count();
    });
    expect(message).not.toContain(CANARY);
  });
});

describe('the environment a job runs with', () => {
  it('is a fixed allow-list: none of the worker\'s credentials reach a transcoder', () => {
    const workerEnv = {
      PATH: '/usr/bin', HOME: '/home/w', TMPDIR: '/tmp', LANG: 'C.UTF-8', TZ: 'UTC',
      TEMPORAL_API_KEY: CANARY, TEMPORAL_TLS_CLIENT_KEY_DATA: CANARY, OCI_TRANSCODE_OCI_PRIVATE_KEY: CANARY,
      OCI_TRANSCODE_OCI_PRIVATE_KEY_PASSPHRASE: CANARY, OCI_RESOURCE_PRINCIPAL_PRIVATE_PEM: CANARY, AWS_SECRET_ACCESS_KEY: CANARY,
    };
    expect(baseJobEnv(workerEnv)).toEqual({ PATH: '/usr/bin', HOME: '/home/w', TMPDIR: '/tmp', LANG: 'C.UTF-8', TZ: 'UTC' });
    const config = loadConfig({ OCI_TRANSCODE_VERBOSE: 'true' });
    expect(transcoderEnv(config)).toEqual({ OCI_TRANSCODE_VERBOSE: 'true' });
  });
});

import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { resolveAuthKind } from '../../../../src/adapters/oci/auth.js';
import { ConfigError } from '../../../../src/config.js';
import { loadOciConfig, OCI_ENV_NAMES, requireJobRunnerConfig } from '../../../../src/config-oci.js';

const nowhere = { OCI_TRANSCODE_OCI_CONFIG_FILE: '/nonexistent/oci-config' };

describe('OCI configuration', () => {
  it('has defaults that need nothing set', () => {
    const config = loadOciConfig({});
    expect(config).toMatchObject({ auth: 'auto', profile: 'DEFAULT', uploadPartBytes: 20 * 1024 * 1024, uploadConcurrency: 5, maxAttempts: 8, circuitBreaker: true });
    expect(config.shapes).toEqual([{ shape: 'CI.Standard.E4.Flex', ocpus: 2, memoryInGBs: 8 }]);
  });

  it('parses lists, shapes and numbers from the environment', () => {
    const config = loadOciConfig({
      [OCI_ENV_NAMES.availabilityDomains]: 'Uocm:PHX-AD-1, Uocm:PHX-AD-2',
      [OCI_ENV_NAMES.shapes]: 'CI.Standard.E4.Flex:4:16,CI.Standard.E3.Flex:1.5:6',
      [OCI_ENV_NAMES.uploadPartBytes]: '1048576',
      [OCI_ENV_NAMES.circuitBreaker]: 'false',
      [OCI_ENV_NAMES['endpoints.objectStorage']]: 'http://127.0.0.1:9000',
    });
    expect(config.availabilityDomains).toEqual(['Uocm:PHX-AD-1', 'Uocm:PHX-AD-2']);
    expect(config.shapes).toEqual([
      { shape: 'CI.Standard.E4.Flex', ocpus: 4, memoryInGBs: 16 },
      { shape: 'CI.Standard.E3.Flex', ocpus: 1.5, memoryInGBs: 6 },
    ]);
    expect(config.uploadPartBytes).toBe(1048576);
    expect(config.circuitBreaker).toBe(false);
    expect(config.endpoints.objectStorage).toBe('http://127.0.0.1:9000');
  });

  it('names each bad variable', () => {
    const attempt = () =>
      loadOciConfig({
        [OCI_ENV_NAMES.compartmentId]: 'compartment-1',
        [OCI_ENV_NAMES.uploadPartBytes]: '12',
        [OCI_ENV_NAMES['endpoints.secrets']]: 'ftp://x',
        [OCI_ENV_NAMES.auth]: 'password',
      });
    expect(attempt).toThrow(ConfigError);
    expect(attempt).toThrow(/OCI_TRANSCODE_OCI_COMPARTMENT: must be the OCID of a compartment/);
    expect(attempt).toThrow(/OCI_TRANSCODE_OCI_UPLOAD_PART_BYTES/);
    expect(attempt).toThrow(/OCI_TRANSCODE_OCI_ENDPOINT_SECRETS: must be an http\(s\) URL/);
    expect(attempt).toThrow(/OCI_TRANSCODE_OCI_AUTH/);
  });

  it('requires the key fields for api-key auth and the placement fields for the job runner', () => {
    expect(() => loadOciConfig({ OCI_TRANSCODE_OCI_AUTH: 'api-key', OCI_TRANSCODE_OCI_TENANCY: 'ocid1.tenancy.oc1..aaa' })).toThrow(
      /api-key needs OCI_TRANSCODE_OCI_USER, OCI_TRANSCODE_OCI_FINGERPRINT, OCI_TRANSCODE_OCI_PRIVATE_KEY/,
    );
    expect(() => requireJobRunnerConfig(loadOciConfig({}))).toThrow(
      'The OCI job runner needs OCI_TRANSCODE_OCI_COMPARTMENT, OCI_TRANSCODE_OCI_AVAILABILITY_DOMAINS, OCI_TRANSCODE_OCI_SUBNET, OCI_TRANSCODE_OCI_IMAGE',
    );
  });

  it('resolves auth auto: platform resource principal, env key, config file, instance principal', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'oci-cfg-')), 'config');
    writeFileSync(file, '[DEFAULT]\n');
    expect(resolveAuthKind(loadOciConfig(nowhere), { OCI_RESOURCE_PRINCIPAL_VERSION: '2.2' })).toBe('resource-principal');
    expect(resolveAuthKind(loadOciConfig({ ...nowhere, OCI_TRANSCODE_OCI_PRIVATE_KEY: '-----BEGIN PRIVATE KEY-----' }), {})).toBe('api-key');
    expect(resolveAuthKind(loadOciConfig({ OCI_TRANSCODE_OCI_CONFIG_FILE: file }), {})).toBe('config-file');
    expect(resolveAuthKind(loadOciConfig(nowhere), {})).toBe('instance-principal');
    expect(resolveAuthKind(loadOciConfig({ OCI_TRANSCODE_OCI_AUTH: 'config-file' }), { OCI_RESOURCE_PRINCIPAL_VERSION: '2.2' })).toBe('config-file');
  });
});

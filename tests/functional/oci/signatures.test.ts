// The stand-in accepts only correctly signed requests: real SDK signatures (API key and resource
// principal) pass; unsigned, unknown-key, stale, re-targeted and body-tampered requests get 401.
import { createSign } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DefaultRequestSigner, SimpleAuthenticationDetailsProvider, type Method } from 'oci-common';
import { ObjectStorageClient } from 'oci-objectstorage';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOciObjectStore } from '../../../src/adapters/oci/object-store.js';
import { ADMIN_GROUP } from '../../oci-stand-in/iam/stand-in-iam.js';
import { makeApiKey, type ApiKey } from '../../oci-stand-in/keys.js';
import { startOciStandIn, type OciStandIn } from '../../oci-stand-in/server.js';

let standIn: OciStandIn;
let key: ApiKey;

beforeAll(async () => {
  standIn = await startOciStandIn({ buckets: ['media-out'] });
  key = standIn.createApiKey({ groups: [ADMIN_GROUP] }); // signatures, not policies, are under test here
});
afterAll(async () => standIn?.stop());

/** Signs like the SDK does (its own signer), then lets the test alter the request before sending. */
async function signed(method: Method, path: string, body?: string, preset: Record<string, string> = {}) {
  const headers = new Headers({ 'content-type': 'application/json', ...preset });
  const uri = `${standIn.url}${path}`;
  const provider = new SimpleAuthenticationDetailsProvider(key.tenancy, key.user, key.fingerprint, key.privateKeyPem, null);
  await new DefaultRequestSigner(provider).signHttpRequest({ method, headers, uri, body });
  return { uri, headers, body };
}

const send = (method: Method, uri: string, headers: Headers, body?: string) => fetch(uri, { method, headers, body });

describe('request signatures', () => {
  it('verifies SDK-signed requests and records the principal', async () => {
    const client = new ObjectStorageClient({
      authenticationDetailsProvider: new SimpleAuthenticationDetailsProvider(key.tenancy, key.user, key.fingerprint, key.privateKeyPem, null),
    });
    client.endpoint = standIn.url;
    const before = standIn.stats.verified;
    expect((await client.getNamespace({})).value).toBe(standIn.namespace);
    expect(standIn.stats.verified).toBe(before + 1);
    expect(standIn.requests.at(-1)).toMatchObject({ operation: 'GetNamespace', status: 200, principal: { kind: 'user', user: key.user } });
    const { uri, headers } = await signed('GET', `/n/${standIn.namespace}/b/media-out/o`);
    expect((await send('GET', uri, headers)).status).toBe(200);
  });

  it('rejects an unsigned request', async () => {
    const before = standIn.stats.rejected;
    const response = await fetch(`${standIn.url}/n/${standIn.namespace}/b/media-out/o`);
    expect(response.status).toBe(401);
    expect(((await response.json()) as { code: string }).code).toBe('NotAuthenticated');
    expect(standIn.stats.rejected).toBe(before + 1);
  });

  it('rejects a key the tenancy does not know', async () => {
    const stranger = makeApiKey(key.tenancy);
    const store = createOciObjectStore({
      ...standIn.workerEnv(stranger),
      OCI_TRANSCODE_OCI_MAX_ATTEMPTS: '1',
    });
    await expect(store.head('media-out', 'x')).rejects.toThrow(/401/);
    expect(standIn.requests.at(-1)?.rejected).toMatch(/unknown keyId/);
    await store.close();
  });

  it('rejects a request sent to another path than the one signed', async () => {
    const { headers } = await signed('GET', `/n/${standIn.namespace}/b/media-out/o/allowed`);
    const response = await send('GET', `${standIn.url}/n/${standIn.namespace}/b/media-out/o/secret`, headers);
    expect(response.status).toBe(401);
    expect(standIn.requests.at(-1)?.rejected).toBe('signature does not verify');
  });

  it('rejects a body that differs from the signed one', async () => {
    const path = `/n/${standIn.namespace}/b/media-out/p`;
    const good = JSON.stringify({ name: 'p', objectName: 'a', accessType: 'ObjectRead', timeExpires: new Date(Date.now() + 60_000).toISOString() });
    const { uri, headers } = await signed('POST', path, good);
    const evil = good.replace('"a"', '"b"');
    expect((await send('POST', uri, headers, evil)).status).toBe(401);
    expect(standIn.requests.at(-1)?.rejected).toBe('x-content-sha256 does not match the body');
    expect((await send('POST', uri, headers, good)).status).toBe(200);
  });

  it('rejects a replayed request signed more than five minutes ago', async () => {
    const old = new Date(Date.now() - 10 * 60_000).toUTCString();
    const { uri, headers } = await signed('GET', `/n/${standIn.namespace}/b/media-out/o`, undefined, { 'x-date': old });
    expect((await send('GET', uri, headers)).status).toBe(401);
    expect(standIn.requests.at(-1)?.rejected).toMatch(/outside 5 minutes/);
  });

  it('rejects a POST whose body headers are not signed', async () => {
    const path = `/n/${standIn.namespace}/b/media-out/p`;
    const date = new Date().toUTCString();
    const host = new URL(standIn.url).host;
    const signingString = `(request-target): post ${path}\nhost: ${host}\nx-date: ${date}`;
    const signature = createSign('sha256').update(signingString).sign(key.privateKeyPem, 'base64');
    const headers = new Headers({
      'x-date': date,
      'content-type': 'application/json',
      authorization: `Signature version="1",keyId="${key.tenancy}/${key.user}/${key.fingerprint}",algorithm="rsa-sha256",headers="(request-target) host x-date",signature="${signature}"`,
    });
    expect((await send('POST', `${standIn.url}${path}`, headers, '{}')).status).toBe(401);
    expect(standIn.requests.at(-1)?.rejected).toMatch(/headers not signed: content-type, content-length, x-content-sha256/);
  });

  it('signs with a key from an OCI config file (auth config-file)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'oci-config-'));
    try {
      await writeFile(join(dir, 'key.pem'), key.privateKeyPem);
      await writeFile(
        join(dir, 'config'),
        `[DEFAULT]\nuser=ocid1.user.oc1..other\n[PIPELINE]\nuser=${key.user}\nfingerprint=${key.fingerprint}\ntenancy=${key.tenancy}\nregion=${standIn.region}\nkey_file=${join(dir, 'key.pem')}\n`,
      );
      const store = createOciObjectStore({
        ...standIn.endpointEnv(),
        OCI_TRANSCODE_OCI_AUTH: 'config-file',
        OCI_TRANSCODE_OCI_CONFIG_FILE: join(dir, 'config'),
        OCI_TRANSCODE_OCI_PROFILE: 'PIPELINE',
      });
      expect(await store.resolveNamespace()).toBe(standIn.namespace);
      expect(standIn.requests.at(-1)?.principal).toMatchObject({ kind: 'user', user: key.user });
      await store.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('accepts a resource principal it minted, and nothing once the token is revoked', async () => {
    const principal = standIn.functionPrincipalEnv();
    const saved = { ...process.env };
    Object.assign(process.env, principal); // the SDK's resource principal builder reads process.env
    try {
      const store = createOciObjectStore({ ...principal, ...standIn.endpointEnv(), OCI_TRANSCODE_OCI_MAX_ATTEMPTS: '1' });
      expect(await store.resolveNamespace()).toBe(standIn.namespace);
      expect(standIn.requests.at(-1)?.principal).toMatchObject({ kind: 'resource', resourceType: 'fnfunc' });
      standIn.keys.revokeToken(principal.OCI_RESOURCE_PRINCIPAL_RPST!);
      await expect(store.head('media-out', 'x')).rejects.toThrow(/401/);
      await store.close();
    } finally {
      for (const k of Object.keys(principal)) if (!(k in saved)) delete process.env[k];
    }
  });
});

// Identities the stand-in knows: API keys (tenancy/user/fingerprint) and resource principal session
// tokens it mints for the "platform" parts (the function, each container instance), as OCI does.
import { createPrivateKey, createPublicKey, generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import { fingerprintOf, type KeyEntry, type Principal } from './signature.js';

export interface ApiKey {
  tenancy: string;
  user: string;
  fingerprint: string;
  privateKeyPem: string;
  publicKeyPem: string;
}

export const ocid = (kind: string, region = ''): string => `ocid1.${kind}.oc1.${region}.${randomBytes(20).toString('hex')}`;

export function rsaKeyPair(): { privateKeyPem: string; publicKeyPem: string } {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return {
    privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  };
}

/** A fresh API key for a new user of a tenancy (the tenancy is shared when given). */
export function makeApiKey(tenancy = ocid('tenancy')): ApiKey {
  const pair = rsaKeyPair();
  return { tenancy, user: ocid('user'), fingerprint: fingerprintOf(pair.publicKeyPem), ...pair };
}

const b64url = (value: object | Buffer): string =>
  (Buffer.isBuffer(value) ? value : Buffer.from(JSON.stringify(value))).toString('base64url');

export class KeyRing {
  private readonly entries = new Map<string, KeyEntry>();
  /** IAM facts the signature does not carry: each user's groups, each resource's type and compartment. */
  private readonly memberships = new Map<string, string[]>();
  private readonly resources = new Map<string, { resourceType: string; compartmentId: string }>();
  /** Signs the session tokens (the SDK only decodes them; the stand-in looks them up). */
  private readonly tokenKey = createPrivateKey(rsaKeyPair().privateKeyPem);

  constructor(readonly tenancy: string) {}

  /** Registers a key; `groups` are the IAM groups its user is in (replacing any the user had). */
  addApiKey(key: Pick<ApiKey, 'tenancy' | 'user' | 'fingerprint' | 'publicKeyPem'>, groups: readonly string[] = []): void {
    this.memberships.set(key.user, [...groups]);
    this.entries.set(`${key.tenancy}/${key.user}/${key.fingerprint}`, {
      publicKey: createPublicKey(key.publicKeyPem),
      principal: { kind: 'user', tenancy: key.tenancy, user: key.user },
    });
  }

  /**
   * Resource principal v2.2 for a resource: the variables OCI sets in a Function or a Container Instance
   * (session token, session private key, region). The SDK signs with keyId "ST$<token>".
   */
  mintResourcePrincipal(resourceType: string, resourceId: string, compartmentId: string, region: string): Record<string, string> {
    const pair = rsaKeyPair();
    const now = Math.floor(Date.now() / 1000);
    const header = b64url({ alg: 'RS256', typ: 'JWT', kid: 'stand-in' });
    const payload = b64url({
      sub: resourceId,
      res_type: resourceType,
      res_id: resourceId,
      res_compartment: compartmentId,
      res_tenant: this.tenancy,
      ttype: 'res',
      iat: now,
      exp: now + 3600,
      jti: randomBytes(8).toString('hex'),
    });
    const signature = sign('sha256', Buffer.from(`${header}.${payload}`), this.tokenKey).toString('base64url');
    const token = `${header}.${payload}.${signature}`;
    const principal: Principal = { kind: 'resource', resourceType, resourceId };
    this.resources.set(resourceId, { resourceType, compartmentId });
    this.entries.set(`ST$${token}`, { publicKey: createPublicKey(pair.publicKeyPem), principal });
    return {
      OCI_RESOURCE_PRINCIPAL_VERSION: '2.2',
      OCI_RESOURCE_PRINCIPAL_RPST: token,
      OCI_RESOURCE_PRINCIPAL_PRIVATE_PEM: pair.privateKeyPem,
      OCI_RESOURCE_PRINCIPAL_REGION: region,
    };
  }

  revokeToken(token: string): void {
    this.entries.delete(`ST$${token}`);
  }

  lookup = (keyId: string): KeyEntry | undefined => this.entries.get(keyId);

  groupsOf(user: string): readonly string[] {
    return this.memberships.get(user) ?? [];
  }

  /** The compartment of a resource this ring minted a principal for. */
  compartmentOf(resourceId: string): string | undefined {
    return this.resources.get(resourceId)?.compartmentId;
  }
}

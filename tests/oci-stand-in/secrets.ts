// Vault secret bundles (/20190301/secretbundles/{secretId}): the current version, base64 content.
import { ApiError, sendJson, type Call } from './http.js';

export type SecretsRoute = { operation: string; run(call: Call): void };

export class SecretsService {
  readonly secrets = new Map<string, { content: string; version: number }>();
  reads = 0;

  set(secretId: string, plain: string): void {
    const version = (this.secrets.get(secretId)?.version ?? 0) + 1;
    this.secrets.set(secretId, { content: Buffer.from(plain).toString('base64'), version });
  }

  route(method: string, segments: string[]): SecretsRoute | undefined {
    const [collection, secretId, more] = segments;
    if (collection !== 'secretbundles' || !secretId || more !== undefined || method !== 'GET') return undefined;
    return {
      operation: 'GetSecretBundle',
      run: (call) => {
        const secret = this.secrets.get(secretId);
        if (!secret) throw new ApiError(404, 'NotAuthorizedOrNotFound', `Secret ${secretId} not found or not authorized`);
        this.reads += 1;
        sendJson(call, 200, {
          secretId,
          versionNumber: secret.version,
          stages: ['CURRENT', 'LATEST'],
          timeCreated: new Date().toISOString(),
          secretBundleContent: { contentType: 'BASE64', content: secret.content },
        });
      },
    };
  }
}

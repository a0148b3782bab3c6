// Verifies OCI request signatures (draft-cavage HTTP signatures, as oci-common's DefaultRequestSigner
// writes them) with the public half of the caller's key. Anything unsigned, stale or altered fails.
import { createHash, createPublicKey, verify, type KeyObject } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

export type Principal = { kind: 'user'; tenancy: string; user: string } | { kind: 'resource'; resourceType: string; resourceId: string };

export interface KeyEntry {
  publicKey: KeyObject;
  principal: Principal;
}

export type Verdict = { ok: true; principal: Principal } | { ok: false; reason: string };

const MAX_SKEW_MS = 5 * 60 * 1000;
const BODY_METHODS = new Set(['POST', 'PUT', 'PATCH']);

/** OCI's key fingerprint: MD5 of the DER public key, colon-separated hex. */
export function fingerprintOf(publicKeyPem: string | KeyObject): string {
  const key = typeof publicKeyPem === 'string' ? createPublicKey(publicKeyPem) : publicKeyPem;
  const der = key.export({ type: 'spki', format: 'der' });
  return createHash('md5').update(der).digest('hex').match(/../g)!.join(':');
}

function parseAuthorization(header: string): Record<string, string> | undefined {
  if (!header.startsWith('Signature ')) return undefined;
  const params: Record<string, string> = {};
  for (const match of header.slice('Signature '.length).matchAll(/([a-zA-Z]+)="([^"]*)"/g)) params[match[1]!] = match[2]!;
  return params;
}

function headerValue(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value.join(', ') : value;
}

export interface VerifyInput {
  req: IncomingMessage;
  body: Buffer;
  /** putObject and uploadPart: the SDK leaves the body (and its hash) out of the signature. */
  bodyExempt: boolean;
  lookup: (keyId: string) => KeyEntry | undefined;
  now?: number;
}

export function verifyRequest({ req, body, bodyExempt, lookup, now = Date.now() }: VerifyInput): Verdict {
  const authorization = headerValue(req, 'authorization');
  if (!authorization) return { ok: false, reason: 'no authorization header' };
  const params = parseAuthorization(authorization);
  if (!params) return { ok: false, reason: 'authorization is not an HTTP signature' };
  const { version, keyId, algorithm, headers, signature } = params;
  if (version !== '1') return { ok: false, reason: `unsupported signature version ${version ?? '(none)'}` };
  if (algorithm !== 'rsa-sha256') return { ok: false, reason: `unsupported algorithm ${algorithm ?? '(none)'}` };
  if (!keyId || !headers || !signature) return { ok: false, reason: 'keyId, headers and signature are required' };

  const signed = headers.toLowerCase().split(' ').filter(Boolean);
  const required = ['(request-target)', 'host'];
  if (BODY_METHODS.has(req.method ?? '') && !bodyExempt) required.push('content-type', 'content-length', 'x-content-sha256');
  const missing = required.filter((h) => !signed.includes(h));
  if (!signed.includes('date') && !signed.includes('x-date')) missing.push('date or x-date');
  if (missing.length) return { ok: false, reason: `headers not signed: ${missing.join(', ')}` };

  const date = headerValue(req, signed.includes('x-date') ? 'x-date' : 'date');
  const time = date ? Date.parse(date) : NaN;
  if (Number.isNaN(time) || Math.abs(now - time) > MAX_SKEW_MS) return { ok: false, reason: `date ${date ?? '(none)'} outside 5 minutes` };

  if (signed.includes('x-content-sha256')) {
    const digest = createHash('sha256').update(body).digest('base64');
    if (headerValue(req, 'x-content-sha256') !== digest) return { ok: false, reason: 'x-content-sha256 does not match the body' };
  }
  if (signed.includes('content-length') && Number(headerValue(req, 'content-length')) !== body.length) {
    return { ok: false, reason: 'content-length does not match the body' };
  }

  const lines: string[] = [];
  for (const name of signed) {
    if (name === '(request-target)') {
      lines.push(`(request-target): ${(req.method ?? '').toLowerCase()} ${req.url ?? ''}`);
      continue;
    }
    const value = headerValue(req, name);
    if (value === undefined) return { ok: false, reason: `signed header ${name} is missing` };
    lines.push(`${name}: ${value}`);
  }
  const entry = lookup(keyId);
  if (!entry) return { ok: false, reason: `unknown keyId ${keyId.startsWith('ST$') ? 'ST$<token>' : keyId}` };
  const good = verify('sha256', Buffer.from(lines.join('\n')), entry.publicKey, Buffer.from(signature, 'base64'));
  return good ? { ok: true, principal: entry.principal } : { ok: false, reason: 'signature does not verify' };
}

// Job ids (an opaque, URL-safe name for one run, or for the latest run of a workflow id) and API keys
// (random, shown once, stored as a SHA-256, compared in constant time, re-read when the file changes).
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { jobId, parseJobId } from '../../../src/api/ids.js';
import { ApiKeyFileError, ApiKeyStore, bearerKey, createKey, readKeyFile, revokeKey } from '../../../src/api/keys.js';

const dir = mkdtempSync(join(tmpdir(), 'api-keys-unit-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('job ids', () => {
  const workflowId = 'transcode/ns/media-in/a folder/ünïcode & co.mp4';
  const runId = '0195f3c2-7b3c-7000-8000-00000000abcd';

  it('round-trip a workflow id with any characters, with or without a run, in URL-safe form', () => {
    const id = jobId({ workflowId, runId });
    expect(id).toMatch(/^[A-Za-z0-9_-]+\.[0-9a-f-]+$/);
    expect(parseJobId(id)).toEqual({ workflowId, runId });
    expect(parseJobId(jobId({ workflowId }))).toEqual({ workflowId });
  });

  it('refuse what is not one of ours', () => {
    for (const bad of ['', 'a.b.c', 'not~base64', `${jobId({ workflowId })}.not-a-uuid`, 'dHJhbnNjb2Rl=', '%%']) expect(parseJobId(bad), bad).toBeUndefined();
  });
});

describe('API keys', () => {
  it('are shown once and stored only as a hash, in a file only its owner reads', () => {
    const file = join(dir, 'k1.json');
    const { key, entry } = createKey(file, 'cms', new Date('2026-01-01T00:00:00Z'));
    expect(key).toMatch(/^otk_[0-9a-f]{12}_[A-Za-z0-9_-]{43}$/);
    const text = readFileSync(file, 'utf8');
    expect(text).not.toContain(key.slice(17));
    expect(readKeyFile(file)).toEqual([entry]);
    expect(entry).toMatchObject({ name: 'cms', createdAt: '2026-01-01T00:00:00.000Z' });
    expect(statSync(file).mode & 0o777).toBe(0o600);
  });

  it('verify only the exact key; a revoked key stops working at once', () => {
    const file = join(dir, 'k2.json');
    const a = createKey(file, 'a');
    const b = createKey(file, 'b');
    const store = new ApiKeyStore(file);
    expect(store.verify(a.key)).toEqual({ id: a.entry.id, name: 'a' });
    expect(store.verify(b.key)).toEqual({ id: b.entry.id, name: 'b' });
    expect(store.verify(`${a.key.slice(0, -1)}${a.key.endsWith('A') ? 'B' : 'A'}`)).toBeUndefined();
    expect(store.verify(a.key.replace(a.entry.id, b.entry.id))).toBeUndefined(); // a's secret under b's id
    expect(store.verify(undefined)).toBeUndefined();
    expect(store.verify('Bearer x')).toBeUndefined();
    expect(revokeKey(file, 'a')).toBe(true);
    expect(revokeKey(file, 'a')).toBe(false);
    expect(store.verify(a.key)).toBeUndefined();
    expect(store.verify(b.key)).toMatchObject({ name: 'b' });
  });

  it('name a broken key file, and a missing one holds no keys', () => {
    const file = join(dir, 'broken.json');
    writeFileSync(file, '{"schema":1,"keys":[{"id":"zz"}]}');
    expect(() => readKeyFile(file)).toThrow(ApiKeyFileError);
    expect(() => readKeyFile(file)).toThrow(/is not a key file: keys\.0\.id/);
    writeFileSync(file, 'not json');
    expect(() => new ApiKeyStore(file)).toThrow(/is not JSON/);
    expect(new ApiKeyStore(join(dir, 'absent.json')).size).toBe(0);
    expect(() => createKey(join(dir, 'k3.json'), 'bad/name')).toThrow(/key name/);
  });

  it('read the bearer scheme only', () => {
    expect(bearerKey('Bearer otk_x')).toBe('otk_x');
    expect(bearerKey('bearer   otk_x ')).toBe('otk_x');
    expect(bearerKey('Basic b3RrOng=')).toBeUndefined();
    expect(bearerKey(undefined)).toBeUndefined();
  });
});

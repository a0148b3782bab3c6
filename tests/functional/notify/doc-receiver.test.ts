// The webhook receiver docs/operations.md (and the README) show a newcomer ("A complete receiver in
// Node") is run here as written, in its own Node process, against real deliveries from the notify
// activity: it accepts a signed delivery and prints its event id, and refuses a tampered body, a wrong
// secret and a stale timestamp.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createNotifyActivities, type NotifyInput } from '../../../src/activities/notify.js';
import { buildNotification, type RunSummary } from '../../../src/notify/payload.js';
import { EVENT_ID_HEADER, SIGNATURE_HEADER, signatureHeader } from '../../../src/notify/signature.js';
import { freePort } from '../../helpers/net.js';

const SECRET = 'doc-snippet-secret-0123456789abcdef';
const summary: RunSummary = {
  workflowId: 'transcode/local/media-in/doc.mp4',
  runId: '33333333-4444-4555-8666-777777777777',
  outcome: 'completed',
  source: { namespace: 'local', bucket: 'media-in', object: 'doc.mp4', etag: 'e' },
  dest: { bucket: 'media-out' },
  outputs: { hls: 'doc.mp4/master.m3u8' },
};

let dir: string;
let child: ChildProcess;
let url: string;
let output = '';

async function snippet(): Promise<string> {
  const doc = await readFile(new URL('../../../docs/operations.md', import.meta.url), 'utf8');
  const at = doc.indexOf('A complete');
  const match = /```js\n([\s\S]*?)```/.exec(doc.slice(at));
  if (at < 0 || !match) throw new Error('docs/operations.md has no receiver snippet after "A complete receiver"');
  return match[1]!;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'doc-receiver-'));
  await writeFile(join(dir, 'receiver.mjs'), await snippet());
  const port = await freePort();
  url = `http://127.0.0.1:${port}/`;
  child = spawn(process.execPath, [join(dir, 'receiver.mjs')], { env: { PATH: process.env.PATH, OCI_TRANSCODE_WEBHOOK_SECRET: SECRET, PORT: String(port) }, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout!.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (output += c.toString()));
  for (let i = 0; i < 100; i++) {
    if (await fetch(url, { method: 'POST' }).then(() => true, () => false)) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`the documented receiver did not start: ${output}`);
});

afterAll(async () => {
  child?.kill();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('the documented webhook receiver', () => {
  it('is the same block in the README', async () => {
    const readme = await readFile(new URL('../../../README.md', import.meta.url), 'utf8');
    expect(readme).toContain(`\`\`\`js\n${await snippet()}\`\`\``);
  });

  it('accepts a real delivery and logs its event id', async () => {
    output = '';
    const { notify } = createNotifyActivities({ webhookSecret: () => Promise.resolve(SECRET), topics: () => ({ publish: () => Promise.reject(new Error('unused')) }), allowLocalTargets: false });
    const result = await new MockActivityEnvironment({}, { logger: new DefaultLogger('ERROR') }).run(notify, { target: `webhook:${url}`, from: 'config', summary } satisfies NotifyInput);
    expect(result).toMatchObject({ status: 204, eventId: buildNotification(summary).id });
    await expect.poll(() => output).toContain(`${buildNotification(summary).id} completed oci://local/media-out/doc.mp4/master.m3u8`);
  });

  it('refuses a tampered body, a wrong secret and a stale timestamp', async () => {
    const body = JSON.stringify(buildNotification(summary));
    const now = Math.floor(Date.now() / 1000);
    const post = (b: string, signature: string) =>
      fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', [SIGNATURE_HEADER]: signature, [EVENT_ID_HEADER]: 'evt_x' }, body: b }).then((r) => r.status);
    expect(await post(body, signatureHeader(SECRET, now, body))).toBe(204);
    expect(await post(body.replace('completed', 'failed'), signatureHeader(SECRET, now, body))).toBe(400);
    expect(await post(body, signatureHeader('another-secret-0123456789', now, body))).toBe(400);
    expect(await post(body, signatureHeader(SECRET, now - 301, body))).toBe(400);
    expect(await post(body, '')).toBe(400);
    expect(await post(body, `t=${now},v1=${'z'.repeat(64)}`)).toBe(400); // malformed: refused, the receiver stays up
    expect(await post(body, signatureHeader(['old-secret-0123456789', SECRET], now, body))).toBe(204); // a rotation
  });
});

// The job API through HTTP against a real Temporal dev server and a real worker with local adapters
// (ffmpeg jobs): with and without a valid key; submit, poll, list and cancel; a malformed body gets a
// 400 naming the field; the OpenAPI document the service serves validates (@apidevtools/swagger-parser);
// rate limits answer 429. Jobs start through the starter's own start path (startTranscode), so a second
// submit of the same upload is a duplicate of the first run.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import SwaggerParser from '@apidevtools/swagger-parser';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jobId } from '../../../src/api/ids.js';
import { temporalJobs } from '../../../src/api/jobs.js';
import { ApiKeyStore, createKey } from '../../../src/api/keys.js';
import { buildApiServer, type ApiDeps } from '../../../src/api/server.js';
import { temporalJobStarter } from '../../../src/api/start.js';
import { workflowIdFor } from '../../../src/domain/events.js';
import { makeClip } from '../../helpers/clips.js';
import { SOURCE_BUCKET, startStack, startTemporal, type TestStack } from '../../helpers/temporal.js';

let env: TestWorkflowEnvironment;
let stack: TestStack;
let dir: string;
let key: string;
let app: FastifyInstance;
let base: string;

function deps(overrides: Partial<ApiDeps> = {}): ApiDeps {
  return {
    jobs: temporalJobs(env.client, { webUiUrl: 'http://127.0.0.1:8233' }),
    start: temporalJobStarter(env.client, stack.config),
    store: stack.store,
    config: stack.config,
    keys: new ApiKeyStore(join(dir, 'api-keys.json')),
    ...overrides,
  };
}

async function serve(d: ApiDeps): Promise<{ app: FastifyInstance; base: string }> {
  const server = await buildApiServer(d);
  await server.listen({ host: '127.0.0.1', port: 0 });
  return { app: server, base: `http://127.0.0.1:${(server.server.address() as { port: number }).port}` };
}

interface Answer<T = Record<string, unknown>> {
  status: number;
  body: T;
  headers: Headers;
}

async function call<T = Record<string, unknown>>(method: string, path: string, o: { body?: unknown; key?: string | null; at?: string } = {}): Promise<Answer<T>> {
  const headers: Record<string, string> = {};
  const k = o.key === undefined ? key : o.key;
  if (k) headers.authorization = `Bearer ${k}`;
  if (o.body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(`${o.at ?? base}${path}`, { method, headers, ...(o.body !== undefined ? { body: JSON.stringify(o.body) } : {}) });
  return { status: res.status, body: (await res.json()) as T, headers: res.headers };
}

type Job = { id: string; status: string; stage?: string; percent?: number; source?: string; result?: { hls?: string; dash?: string }; links: Record<string, string>; error?: string };

async function pollUntil(id: string, until: (j: Job) => boolean, timeoutMs = 150_000): Promise<Job> {
  const deadline = Date.now() + timeoutMs;
  let last: Job | undefined;
  while (Date.now() < deadline) {
    const { status, body } = await call<Job>('GET', `/v1/jobs/${id}`);
    expect(status).toBe(200);
    last = body;
    if (until(body)) return body;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`job ${id} never got there; last ${JSON.stringify(last)}`);
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'api-test-'));
  key = createKey(join(dir, 'api-keys.json'), 'tests').key;
  env = await startTemporal();
  stack = await startStack(env);
  ({ app, base } = await serve(deps()));
}, 180_000);

afterAll(async () => {
  await app?.close();
  await stack?.close();
  await env?.teardown();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('API keys', () => {
  it('refuses every job route without a valid key, and serves the OpenAPI document to anyone', async () => {
    for (const [method, path] of [['GET', '/v1/jobs'], ['POST', '/v1/jobs'], ['GET', '/v1/jobs/abc'], ['POST', '/v1/jobs/abc/cancel'], ['GET', '/preview/data/runs']] as const) {
      const none = await call(method, path, { key: null, ...(method === 'POST' ? { body: {} } : {}) });
      expect(none.status, `${method} ${path}`).toBe(401);
      expect(none.body).toMatchObject({ error: 'unauthorized' });
      expect(none.headers.get('www-authenticate')).toMatch(/^Bearer/);
    }
    expect((await call('GET', '/v1/jobs', { key: `${key.slice(0, -1)}x` })).status).toBe(401);
    expect((await call('GET', '/v1/jobs', { key: 'otk_000000000000_' + 'a'.repeat(43) })).status).toBe(401);
    expect((await call('GET', '/openapi.json', { key: null })).status).toBe(200);
    expect((await call('GET', '/v1/jobs')).status).toBe(200);
  });

  it('takes a key created or revoked while it runs, without a restart', async () => {
    const file = join(dir, 'api-keys.json');
    const later = createKey(file, 'later').key;
    expect((await call('GET', '/v1/jobs', { key: later })).status).toBe(200);
    const { revokeKey } = await import('../../../src/api/keys.js');
    expect(revokeKey(file, 'later')).toBe(true);
    expect((await call('GET', '/v1/jobs', { key: later })).status).toBe(401);
  });
});

describe('validation', () => {
  it('answers a malformed body with a 400 that names the field', async () => {
    const field = async (body: unknown) => {
      const { status, body: answer } = await call<{ error: string; field?: string; message: string }>('POST', '/v1/jobs', { body });
      expect(status, JSON.stringify(answer)).toBe(400);
      expect(answer.error).toBe('invalid_request');
      expect(answer.message.startsWith(`${answer.field}:`), answer.message).toBe(true);
      return answer.field;
    };
    expect(await field({ source: { bucket: SOURCE_BUCKET } })).toBe('source.object');
    expect(await field({})).toBe('source');
    expect(await field({ source: { bucket: SOURCE_BUCKET, object: 'a.mp4' }, formats: ['mp4'] })).toBe('formats.0');
    expect(await field({ source: { bucket: SOURCE_BUCKET, object: 'a.mp4' }, presett: 'seed' })).toBe('presett');
    expect(await field({ source: { bucket: SOURCE_BUCKET, object: 'a.mp4' }, preset: 'fast' })).toBe('preset');
    expect(await field({ source: { bucket: 'elsewhere', object: 'a.mp4' } })).toBe('source.bucket');
    expect(await field({ source: { bucket: SOURCE_BUCKET, object: 'folder/' } })).toBe('source.object');
    expect(await field({ source: { bucket: SOURCE_BUCKET, object: 'a.mp4' }, segmentFormat: 'ts', formats: ['hls', 'dash'] })).toBe('formats');
    expect(await field({ source: { bucket: SOURCE_BUCKET, object: 'a.mp4' }, notify: ['mailto:ops@example.com'] })).toBe('notify.0');
    const res = await fetch(`${base}/v1/jobs`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: '{"source": ' });
    expect(res.status).toBe(400);
  });

  it('answers 422 for an object that is not there, 404 for an unknown job, 400 for a bad list query', async () => {
    const missing = await call('POST', '/v1/jobs', { body: { source: { bucket: SOURCE_BUCKET, object: 'no/such.mp4' } } });
    expect(missing).toMatchObject({ status: 422, body: { error: 'source_not_found', field: 'source.object' } });
    expect((await call('GET', `/v1/jobs/${jobId({ workflowId: 'transcode/local/media-in/never.mp4' })}`)).status).toBe(404);
    expect((await call('GET', '/v1/jobs/not~a~job')).status).toBe(404);
    expect((await call('GET', `/v1/jobs/${jobId({ workflowId: 'transcode/x', runId: 'not-a-run' })}`)).status).toBe(404);
    expect((await call('POST', `/v1/jobs/${jobId({ workflowId: 'transcode/local/media-in/never.mp4' })}/cancel`)).status).toBe(404);
    expect(await call('GET', '/v1/jobs?limit=0')).toMatchObject({ status: 400, body: { field: 'limit' } });
  });
});

describe('jobs', () => {
  it('submits, polls to completion, dedupes a second submit, and lists it with its stage', async () => {
    const object = 'api/clip one.mp4';
    const etag = await stack.upload(await makeClip('landscape', { seconds: 2 }), object);
    const notify = ['webhook:https://cms.example/hooks/transcode'];
    const submitted = await call<{ id: string; outcome: string; runId: string; workflowId: string; etag: string; links: Record<string, string> }>('POST', '/v1/jobs', {
      body: { source: { bucket: SOURCE_BUCKET, object }, preset: 'seed', formats: ['hls', 'dash'], notify },
    });
    expect(submitted.status, JSON.stringify(submitted.body)).toBe(201);
    expect(submitted.body).toMatchObject({ outcome: 'started', etag, workflowId: workflowIdFor({ namespace: stack.config.namespace, bucket: SOURCE_BUCKET, object }) });
    const { id } = submitted.body;
    expect(submitted.body.links).toMatchObject({ self: `/v1/jobs/${id}`, cancel: `/v1/jobs/${id}/cancel`, preview: `/preview/#/runs/${id}` });

    // The job's own choices travel in the workflow's request (targets for the notification step to come).
    const started = (await env.client.workflow.getHandle(submitted.body.workflowId, submitted.body.runId).fetchHistory()).events?.[0];
    const input = JSON.parse(Buffer.from(started!.workflowExecutionStartedEventAttributes!.input!.payloads![0]!.data!).toString('utf8')) as Record<string, unknown>;
    expect(input).toMatchObject({ preset: 'seed', formats: ['hls', 'dash'], notify, source: { bucket: SOURCE_BUCKET, object, etag } });

    const done = await pollUntil(id, (j) => j.status !== 'RUNNING');
    expect(done, JSON.stringify(done)).toMatchObject({ status: 'COMPLETED', stage: 'completed', source: `${SOURCE_BUCKET}/${object}` });
    expect(done.result?.hls).toBe(`${object}/master.m3u8`);
    expect(done.links.webUi).toBe(`http://127.0.0.1:8233/namespaces/default/workflows/${encodeURIComponent(submitted.body.workflowId)}/${submitted.body.runId}`);

    const again = await call<{ outcome: string; id: string }>('POST', '/v1/jobs', { body: { source: { bucket: SOURCE_BUCKET, object } } });
    expect(again).toMatchObject({ status: 200, body: { outcome: 'duplicate', id } });

    const listed = await (async () => {
      for (let i = 0; i < 40; i++) {
        const { body } = await call<{ jobs: Job[] }>('GET', `/v1/jobs?source=${encodeURIComponent(`${SOURCE_BUCKET}/${object}`)}`);
        const hit = body.jobs.find((j) => j.id === id);
        if (hit?.stage === 'completed') return body.jobs;
        await new Promise((r) => setTimeout(r, 250)); // visibility catches up
      }
      throw new Error('never listed');
    })();
    expect(listed.map((j) => [j.id, j.status, j.stage])).toEqual([[id, 'COMPLETED', 'completed']]);
    const all = await call<{ jobs: Job[] }>('GET', '/v1/jobs?limit=5');
    expect(all.body.jobs.some((j) => j.id === id)).toBe(true);
    expect((await call<{ jobs: Job[] }>('GET', '/v1/jobs?stage=transcoding')).body.jobs.some((j) => j.id === id)).toBe(false);
  });

  it('cancels a running job: its cleanup runs and it ends CANCELED; a second cancel is a conflict', async () => {
    const object = 'api/long.mp4';
    await stack.upload(await makeClip('landscape', { seconds: 40, width: 1280, height: 720 }), object);
    const { body, status } = await call<{ id: string }>('POST', '/v1/jobs', { body: { source: { bucket: SOURCE_BUCKET, object } } });
    expect(status).toBe(201);
    const running = await pollUntil(body.id, (j) => j.stage === 'transcoding' || j.status !== 'RUNNING', 60_000);
    expect(running).toMatchObject({ status: 'RUNNING', stage: 'transcoding' });
    expect(typeof running.percent).toBe('number');
    expect(await call('POST', `/v1/jobs/${body.id}/cancel`)).toMatchObject({ status: 202, body: { id: body.id, outcome: 'requested' } });
    const ended = await pollUntil(body.id, (j) => j.status !== 'RUNNING', 60_000);
    expect(ended).toMatchObject({ status: 'CANCELED', stage: 'canceled' });
    expect(await call('POST', `/v1/jobs/${body.id}/cancel`)).toMatchObject({ status: 409, body: { error: 'conflict' } });
    expect(await stack.local.list({})).toEqual([]); // no transcoder left running
  });
});

describe('the service', () => {
  it('serves an OpenAPI 3 document that validates and describes every route', async () => {
    const { status, body } = await call('GET', '/openapi.json', { key: null });
    expect(status).toBe(200);
    const doc = (await SwaggerParser.validate(structuredClone(body) as never)) as unknown as { openapi: string; paths: Record<string, Record<string, unknown>> };
    expect(doc.openapi).toBe('3.0.3');
    expect(Object.keys(doc.paths).sort()).toEqual(['/v1/jobs', '/v1/jobs/{id}', '/v1/jobs/{id}/cancel']);
    expect(Object.keys(doc.paths['/v1/jobs']!).sort()).toEqual(['get', 'post']);
    expect(JSON.stringify(doc.paths['/v1/jobs']!.post)).toContain('"notify"');
  });

  it('rate-limits each key', async () => {
    const limited = await serve(deps({ config: { ...stack.config, api: { ...stack.config.api, rateLimit: 3 } }, preview: false }));
    try {
      const codes: number[] = [];
      for (let i = 0; i < 4; i++) codes.push((await call('GET', '/v1/jobs?limit=1', { at: limited.base })).status);
      expect(codes).toEqual([200, 200, 200, 429]);
      const over = await call('GET', '/v1/jobs?limit=1', { at: limited.base });
      expect(over.body).toMatchObject({ error: 'rate_limited' });
      expect(over.headers.get('retry-after')).toMatch(/^\d+$/);
    } finally {
      await limited.app.close();
    }
  });
});

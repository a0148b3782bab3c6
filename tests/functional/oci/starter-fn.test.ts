// The starter function as OCI runs it: `npm run build:fn`'s bundle started by Node with the FDK's own
// http-stream entry on a unix socket, invoked with the sample create-object event. It reads the
// Temporal API key from Vault (the stand-in, signed with the function's resource principal) and starts
// the run on a real Temporal dev server, whose worker (the real workflow over stub storage,
// tests/helpers/stub-world.ts) gives the answers.
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildFunction, type FnBuild } from '../../../scripts/build-fn.js';
import { findTemporalBin } from '../../../src/stack/temporal-bin.js';
import type { TranscodeRequest } from '../../../src/domain/types.js';
import { SEARCH_ATTRIBUTES } from '../../../src/workflows/definitions.js';
import { startStubStack, type StubStack } from '../../helpers/stub-world.js';
import { startFunction, type FnHost } from '../../oci-stand-in/fn-host.js';
import { startOciStandIn, type OciStandIn } from '../../oci-stand-in/server.js';

const API_KEY = `tk-${randomBytes(12).toString('hex')}`;
const SECRET_ID = 'ocid1.vaultsecret.oc1.eu-frankfurt-1.temporalapikey';
const sample = readFileSync(new URL('../../fixtures/events/sample-createobject.json', import.meta.url), 'utf8');

let dir: string;
let built: FnBuild;
let temporal: TestWorkflowEnvironment;
let standIn: OciStandIn;
let fn: FnHost;
let stack: StubStack;
const SAMPLE = 'uploads/Holiday clip (final).mp4';
const invoke = (event: unknown) => fn.invoke(event);

function event(etag: string, object = 'uploads/Holiday clip (final).mp4', bucket = 'media-in'): unknown {
  const e = JSON.parse(sample) as {
    eventID: string;
    data: { resourceName: string; resourceId: string; additionalDetails: { eTag: string; namespace: string; bucketName: string } };
  };
  e.eventID = randomBytes(8).toString('hex');
  e.data.resourceName = object;
  e.data.resourceId = `/n/${e.data.additionalDetails.namespace}/b/${bucket}/o/${encodeURIComponent(object)}`;
  e.data.additionalDetails.bucketName = bucket;
  e.data.additionalDetails.eTag = etag;
  return e;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'oci-fn-'));
  built = await buildFunction(join(dir, 'bundle/'));
  temporal = await TestWorkflowEnvironment.createLocal({
    server: {
      executable: { type: 'existing-path', path: findTemporalBin() },
      ip: '127.0.0.1',
      searchAttributes: [SEARCH_ATTRIBUTES.source, SEARCH_ATTRIBUTES.stage],
      log: { format: 'pretty', level: 'error' },
    },
  });
  stack = await startStubStack(temporal, { config: { taskQueue: 'transcode-fn-test', namespace: 'axexamplens', sourceBuckets: ['media-in'] } });
  stack.world.runner.autoFinishMs = undefined; // runs stay open: the test looks at them
  stack.world.upload(SAMPLE, 'etag-1');
  stack.world.upload('uploads/second.mov', 'etag-9');
  standIn = await startOciStandIn();
  standIn.secrets.set(SECRET_ID, `${API_KEY}\n`);
  fn = await startFunction({
    bundleDir: built.dir,
    socketDir: dir,
    config: {
      // Function configuration, as `fn config function` sets it:
      TEMPORAL_ADDRESS: temporal.address,
      TEMPORAL_NAMESPACE: 'default',
      TEMPORAL_TLS: 'false', // the dev server speaks plaintext; Temporal Cloud would keep TLS on
      OCI_TRANSCODE_OCI_TEMPORAL_API_KEY_SECRET: SECRET_ID,
      OCI_TRANSCODE_OCI_ENDPOINT_SECRETS: standIn.url,
      OCI_TRANSCODE_SOURCE_BUCKETS: 'media-in',
      OCI_TRANSCODE_DEST_BUCKET: 'media-out',
      OCI_TRANSCODE_TASK_QUEUE: 'transcode-fn-test',
      // Set by the Functions platform:
      ...standIn.functionPrincipalEnv(),
    },
  });
});

afterAll(async () => {
  await fn?.stop();
  for (const job of stack?.world.runner.live() ?? []) stack.world.runner.finish(job.id);
  await stack?.stop();
  await standIn?.stop();
  await temporal?.teardown();
  await rm(dir, { recursive: true, force: true });
});

describe('starter function bundle', () => {
  it('is one small self-contained file with func.yaml, its Dockerfile and package.json', () => {
    expect(built.bytes).toBeLessThan(6 * 1024 * 1024);
    const yaml = readFileSync(join(built.dir, 'func.yaml'), 'utf8');
    expect(yaml).toMatch(/^schema_version: 20180708$/m);
    expect(yaml).toMatch(/^runtime: docker$/m); // fn builds our Dockerfile (tests/unit/static/starter-fn-image.test.ts)
    expect(readFileSync(join(built.dir, 'Dockerfile'), 'utf8')).toMatch(/^ENTRYPOINT \["node", "func.js"\]$/m);
    expect(JSON.parse(readFileSync(join(built.dir, 'package.json'), 'utf8'))).toMatchObject({ main: 'func.js' });
  });

  it('starts the workflow for the sample event, reading the API key from Vault once', async () => {
    const answer = await invoke(event('etag-1'));
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ outcome: 'started', workflowId: expect.stringContaining('media-in/uploads/Holiday clip (final).mp4') as unknown });
    const handle = temporal.client.workflow.getHandle(answer.body.workflowId as string);
    const description = await handle.describe();
    expect(description.status.name).toBe('RUNNING');
    expect(description.taskQueue).toBe('transcode-fn-test');
    const history = await handle.fetchHistory();
    const input = history.events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads?.[0]?.data;
    const started = JSON.parse(Buffer.from(input!).toString('utf8')) as TranscodeRequest;
    expect(started.source).toEqual({ namespace: 'axexamplens', bucket: 'media-in', object: 'uploads/Holiday clip (final).mp4', etag: 'etag-1' });
    expect(started.dest?.bucket).toBe('media-out');

    expect(standIn.secrets.reads).toBe(1);
    const read = standIn.requests.find((r) => r.operation === 'GetSecretBundle');
    expect(read).toMatchObject({ status: 200, principal: { kind: 'resource', resourceType: 'fnfunc' } });
    expect(standIn.stats.rejected).toBe(0);
  });

  it('answers a redelivery with duplicate, reusing the cached key and connection', async () => {
    const again = await invoke(event('etag-1'));
    expect(again.body).toMatchObject({ outcome: 'duplicate' });
    const other = await invoke(event('etag-9', 'uploads/second.mov'));
    expect(other.body).toMatchObject({ outcome: 'started' });
    expect(standIn.secrets.reads).toBe(1);
  });

  it('ignores events from buckets that are not sources', async () => {
    const answer = await invoke(event('etag-2', 'uploads/x.mp4', 'media-out'));
    expect(answer.body).toMatchObject({ outcome: 'ignored' });
  });

  it('answers an invalid event with a 400-style body, not an error the platform would retry', async () => {
    const answer = await invoke({ eventType: 'com.oraclecloud.objectstorage.createobject', data: {} });
    expect(answer.status).toBe(200);
    expect(answer.headers['fn-http-status']).toBe('400');
    expect(answer.body).toMatchObject({ error: 'invalid-event', status: 400 });
    expect(String(answer.body.message)).not.toBe('');
    const garbage = await invoke('not json at all');
    expect(garbage.body).toMatchObject({ error: 'invalid-event' });
  });

  it('never logs the API key', () => {
    expect(fn.output()).toContain('"outcome":"started"');
    expect(fn.output()).not.toContain(API_KEY);
  });
});

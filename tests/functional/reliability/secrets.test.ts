// Secrets and read URLs on the OCI path: a worker process in OCI mode (API key signing, a canary Temporal
// API key, DEBUG logs) runs one good and one bad upload through stand-in Container Instances. Neither the
// Temporal API key nor any line of the private key appears in the worker's logs, the containers' output or
// environment, the exported histories, the failure, or job.json. Each read URL (PAR) the run minted expired
// within the job timeout and is gone afterwards.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { text } from 'node:stream/consumers';
import { promisify } from 'node:util';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOciObjectStore, type OciObjectStore } from '../../../src/adapters/oci/object-store.js';
import type { TranscodeRequest } from '../../../src/domain/types.js';
import { REPO_ROOT } from '../../../src/stack/paths.js';
import { findTemporalBin } from '../../../src/stack/temporal-bin.js';
import { WORKFLOW_TYPE } from '../../../src/workflows/definitions.js';
import { makeBadInput, makeClip } from '../../helpers/clips.js';
import { startTemporal, workflowBundle } from '../../helpers/temporal.js';
import { ADMIN_GROUP } from '../../oci-stand-in/iam/stand-in-iam.js';
import type { ApiKey } from '../../oci-stand-in/keys.js';
import { standInImages, TRANSCODER_IMAGE } from '../../oci-stand-in/images.js';
import { startOciStandIn, type OciStandIn } from '../../oci-stand-in/server.js';

const run = promisify(execFile);
const CANARY = `canary-api-key-${randomBytes(8).toString('hex')}`;
const JOB_TIMEOUT_SEC = 600;
const taskQueue = `secrets-${randomBytes(3).toString('hex')}`;
let env: TestWorkflowEnvironment;
let standIn: OciStandIn;
let workerKey: ApiKey;
let store: OciObjectStore;
let worker: ChildProcess | undefined;
let dir: string;
const workerOutput: string[] = [];
const containerOutput: string[] = [];
const pars: { bucket: string; objectName: string; token: string; timeCreated: Date; timeExpires: Date }[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'secrets-'));
  const [temporal, bundle] = await Promise.all([startTemporal(), workflowBundle(), makeClip('landscape', { width: 320, height: 180, seconds: 2 }), makeBadInput('text')]);
  env = temporal;
  await writeFile(join(dir, 'bundle.js'), bundle.code);
  standIn = await startOciStandIn({ buckets: ['media-in', 'media-out'], images: standInImages(), onContainerOutput: (_c, line) => containerOutput.push(line) });
  // Every PAR as the service stores it (the map forgets deleted ones, this list does not).
  const created = standIn.objectStorage.pars;
  const set = created.set.bind(created);
  created.set = (id, par) => {
    pars.push({ ...par });
    return set(id, par);
  };
  workerKey = standIn.createApiKey();
  store = createOciObjectStore(standIn.workerEnv(standIn.createApiKey({ groups: [ADMIN_GROUP] }))); // the uploader, not the worker
  worker = spawn(process.execPath, ['--import', 'tsx', 'tests/e2e/faults/worker-entry.ts'], {
    cwd: REPO_ROOT,
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      ...standIn.workerEnv(workerKey),
      OCI_TRANSCODE_MODE: 'oci',
      OCI_TRANSCODE_OCI_IMAGE: TRANSCODER_IMAGE,
      OCI_TRANSCODE_OCI_RETRY_BASE_MS: '100',
      OCI_TRANSCODE_TASK_QUEUE: taskQueue,
      OCI_TRANSCODE_JOB_POLL_SEC: '0.5',
      OCI_TRANSCODE_JOB_TIMEOUT_SEC: String(JOB_TIMEOUT_SEC),
      OCI_TRANSCODE_VERBOSE: 'true',
      TEMPORAL_ADDRESS: env.address,
      TEMPORAL_NAMESPACE: 'default',
      TEMPORAL_API_KEY: CANARY,
      TEMPORAL_TLS: 'false',
      WORKFLOW_BUNDLE: join(dir, 'bundle.js'),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  worker.stdout?.on('data', (d: Buffer) => workerOutput.push(d.toString()));
  worker.stderr?.on('data', (d: Buffer) => workerOutput.push(d.toString()));
});
afterAll(async () => {
  worker?.kill('SIGKILL');
  await store?.close();
  await standIn?.stop();
  await env?.teardown();
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function startRun(object: string, file: string) {
  const { etag } = await store.putFile('media-in', object, file);
  const request: TranscodeRequest = { source: { namespace: standIn.namespace, bucket: 'media-in', object, etag } };
  return env.client.workflow.start(WORKFLOW_TYPE, { taskQueue, workflowId: `transcode/${standIn.namespace}/media-in/${object}`, args: [request] });
}

describe('secrets and read URLs on the OCI path', () => {
  it('no secret in logs, container output or environment, histories, errors or records; every read URL short-lived and revoked', async () => {
    const good = await startRun('good.mp4', await makeClip('landscape', { width: 320, height: 180, seconds: 2 }));
    const bad = await startRun('notes.mp4', await makeBadInput('text'));
    const deadline = (ms: number) => new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`no outcome in ${ms} ms\n${workerOutput.join('').slice(-3000)}`)), ms));
    await Promise.race([good.result(), deadline(120_000)]);
    const failure = await Promise.race([bad.result().then(() => undefined, (e: unknown) => e as Error & { cause?: Error }), deadline(60_000)]);
    expect(failure?.cause?.message).toContain('not a media file');

    // Everything a secret could leak into.
    const temporal = findTemporalBin();
    const histories = await Promise.all([good, bad].map(async (h) =>
      (await run(temporal, ['workflow', 'show', '--address', env.address, '--namespace', 'default', '-w', h.workflowId, '--output', 'json'], { maxBuffer: 64 * 1024 * 1024 })).stdout));
    const records = await Promise.all(['good.mp4/job.json', 'notes.mp4/job.json'].map(async (n) => text(await store.get('media-out', n))));
    const containers = [...standIn.containerInstances.containers.values()];
    expect(containers.length).toBeGreaterThan(0);
    const places: Record<string, string> = {
      'worker logs': workerOutput.join(''),
      'container output': containerOutput.join('\n'),
      'container arguments and environment': JSON.stringify(containers.map((c) => ({ args: c.arguments, env: c.environmentVariables }))),
      'exported histories': histories.join('\n'),
      'failure': `${failure?.message} ${failure?.cause?.message} ${failure?.cause?.stack ?? ''}`,
      'job.json records': records.join('\n'),
    };
    expect(places['worker logs']).toContain('DEBUG');
    expect(places['exported histories']).toContain('good.mp4');
    const keyLines = workerKey.privateKeyPem.split('\n').filter((l) => l.length >= 40);
    expect(keyLines.length).toBeGreaterThan(10);
    for (const [where, content] of Object.entries(places)) {
      expect(content.includes(CANARY), `the Temporal API key in ${where}`).toBe(false);
      expect(keyLines.filter((l) => content.includes(l)), `private key lines in ${where}`).toEqual([]);
    }
    // Containers sign as themselves (resource principal), never with the worker's key.
    for (const c of containers) expect(Object.keys(c.environmentVariables).filter((k) => /PRIVATE_KEY|API_KEY|PASSPHRASE/.test(k))).toEqual([]);
    const containerCalls = standIn.requests.filter((r) => r.principal?.kind === 'resource' && r.principal.resourceType === 'computecontainerinstance');
    expect(containerCalls.length).toBeGreaterThan(0);

    // Read URLs: one per inspected source, minted by the worker only, valid no longer than the job may run, all revoked.
    expect(pars.map((p) => p.objectName).sort()).toEqual(['good.mp4', 'notes.mp4']);
    for (const p of pars) {
      const ttlSec = (p.timeExpires.getTime() - p.timeCreated.getTime()) / 1000;
      expect(ttlSec).toBeGreaterThan(0);
      expect(ttlSec).toBeLessThanOrEqual(JOB_TIMEOUT_SEC + 1);
      const url = `${standIn.url}/p/${p.token}/n/${standIn.namespace}/b/${p.bucket}/o/${encodeURIComponent(p.objectName)}`;
      expect((await fetch(url)).status, 'a revoked read URL').toBe(404);
    }
    const minted = standIn.requests.filter((r) => r.operation === 'CreatePreauthenticatedRequest');
    expect(minted.every((r) => r.principal?.kind === 'user')).toBe(true);
    expect(standIn.objectStorage.leftovers()).toEqual({ uploads: 0, pars: 0 });
    expect(standIn.stats.rejected).toBe(0);
  });
});

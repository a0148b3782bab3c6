// `npm run test:images`: the three images, built here from the Dockerfiles OCIR users build (on the local
// base image, scripts/images/), run the way OCI runs them against the OCI stand-in and a real Temporal dev
// server, with nothing of the repository mounted into them:
// - the starter function image under the Fn agent's contract (fn-agent.ts), with its resource principal;
// - the worker image, signing with an API key, polling the task queue and creating container instances;
// - the transcoder image, started by the stand-in's Container Instances with only the worker's arguments
//   and environment plus the instance's resource principal (its own entrypoint, user and workdir).
// A generated clip is uploaded to media-in and its event given to the function; the stream the containers
// publish in media-out plays in hls.js and shaka-player. Each step's time and each image's size is printed.
import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BASE_IMAGE } from '../../scripts/images/base-image.js';
import { buildImages, TEST_IMAGES, type BuildReport } from '../../scripts/images/build.js';
import { buildCaSecret, engine, findEngine, inspectImage, RUN_FLAGS } from '../../scripts/images/engine.js';
import { createOciAdapters } from '../../src/adapters/oci/index.js';
import type { OciObjectStore } from '../../src/adapters/oci/object-store.js';
import type { TranscodeResult } from '../../src/workflows/definitions.js';
import { launchBrowser } from '../helpers/browser.js';
import { makeClip } from '../helpers/clips.js';
import { play, startPlayerServer } from '../helpers/player-page/play.js';
import type { StaticServer } from '../helpers/static-server.js';
import { startTemporal } from '../helpers/temporal.js';
import { ContainerProcess, PODMAN_LABEL } from '../oci-stand-in/containers.js';
import { ADMIN_GROUP } from '../oci-stand-in/iam/stand-in-iam.js';
import { podmanImage, TRANSCODER_IMAGE } from '../oci-stand-in/images.js';
import { startOciStandIn, type OciStandIn } from '../oci-stand-in/server.js';
import { startFunctionContainer, type FnContainer } from './fn-agent.js';

const SECRET_ID = 'ocid1.vaultsecret.oc1.eu-frankfurt-1.temporalapikey';
/** The image URL the worker asks Container Instances for; the stand-in "pulls" our local build for it. */
const IMAGE_URL = `${TRANSCODER_IMAGE.split(':')[0]}:images-test`;
const taskQueue = `transcode-images-${randomBytes(3).toString('hex')}`;
const sample = JSON.parse(await readFile(new URL('../fixtures/events/sample-createobject.json', import.meta.url), 'utf8')) as SampleEvent;

interface SampleEvent {
  eventID: string;
  data: { resourceName: string; resourceId: string; additionalDetails: { bucketName: string; namespace: string; eTag: string } };
}

const podman = findEngine();
if (!podman) console.log('images: skipped: no container engine (podman) on this machine, and scripts/setup.sh --images could not install one');

const times: [string, number][] = [];
async function timed<T>(step: string, work: () => Promise<T>): Promise<T> {
  const started = Date.now();
  try {
    return await work();
  } finally {
    times.push([step, Date.now() - started]);
  }
}

/** Containers a killed earlier run left behind (the stand-in labels every one it starts). */
async function removeLeftovers(): Promise<void> {
  const ids = (await engine(['ps', '-aq', '--filter', `label=${PODMAN_LABEL}`])).stdout.split('\n').filter(Boolean);
  if (ids.length) await engine(['rm', '-f', ...ids]);
}

let tmp: string;
let report: BuildReport;
let temporal: TestWorkflowEnvironment;
let standIn: OciStandIn;
let store: OciObjectStore;
let worker: ContainerProcess;
let fn: FnContainer;
let browser: Browser;
let player: StaticServer;

function eventFor(object: string, etag: string, bucket = 'media-in'): SampleEvent {
  const e = structuredClone(sample);
  e.eventID = randomBytes(8).toString('hex');
  e.data.resourceName = object;
  e.data.resourceId = `/n/${standIn.namespace}/b/${bucket}/o/${encodeURIComponent(object)}`;
  e.data.additionalDetails = { ...e.data.additionalDetails, bucketName: bucket, namespace: standIn.namespace, eTag: etag };
  return e;
}

async function waitForLog(proc: ContainerProcess, pattern: RegExp, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (!pattern.test(proc.logs.text())) {
    if (!proc.running || Date.now() > deadline) throw new Error(`no ${pattern} from ${proc.label}:\n${proc.logs.text()}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function download(prefix: string, into: string): Promise<void> {
  let start: string | undefined;
  do {
    const page = await store.list('media-out', prefix, { start });
    for (const o of page.objects) {
      const path = join(into, o.name);
      await mkdir(dirname(path), { recursive: true });
      await pipeline(await store.get('media-out', o.name), createWriteStream(path));
    }
    start = page.next;
  } while (start);
}

describe.skipIf(!podman)('images built and run as OCI runs them', () => {
  beforeAll(async () => {
    tmp = await mkdtemp(join(tmpdir(), 'oci-images-'));
    await removeLeftovers();
    report = await buildImages({ fnDir: join(tmp, 'starter-fn/'), log: (line) => console.log(`[images] ${line}`) });
    temporal = await timed('temporal dev server', () => startTemporal());
    standIn = await startOciStandIn({ buckets: ['media-in', 'media-out'], images: { [IMAGE_URL]: podmanImage(TEST_IMAGES.transcoder) } });
    const workerEnv = { ...standIn.workerEnv(standIn.createApiKey()), OCI_TRANSCODE_OCI_IMAGE: IMAGE_URL };
    // The test uploads and downloads as an operator would; the worker container keeps its own key.
    store = createOciAdapters({ ...standIn.workerEnv(standIn.createApiKey({ groups: [ADMIN_GROUP] })), OCI_TRANSCODE_OCI_IMAGE: IMAGE_URL }).store as OciObjectStore;

    worker = new ContainerProcess('worker');
    await timed('worker container: start to polling', async () => {
      worker.start({
        image: podmanImage(TEST_IMAGES.worker),
        args: [],
        env: {
          ...workerEnv,
          TEMPORAL_ADDRESS: temporal.address,
          TEMPORAL_NAMESPACE: 'default',
          OCI_TRANSCODE_TASK_QUEUE: taskQueue,
          OCI_TRANSCODE_OCI_RETRY_BASE_MS: '100',
          OCI_TRANSCODE_JOB_POLL_SEC: '0.5',
          OCI_TRANSCODE_JOB_BACKOFF_SEC: '0.5',
        },
      });
      // The line the worker prints when it is about to poll both of its task queues (src/worker/main.ts).
      await waitForLog(worker, new RegExp(`worker: oci mode, task queues ${taskQueue} \\+ ${taskQueue}-jobs,`), 120_000);
    });

    standIn.secrets.set(SECRET_ID, `tk-${randomBytes(8).toString('hex')}`);
    fn = await startFunctionContainer(TEST_IMAGES.starter, {
      TEMPORAL_ADDRESS: temporal.address,
      TEMPORAL_NAMESPACE: 'default',
      TEMPORAL_TLS: 'false',
      OCI_TRANSCODE_OCI_TEMPORAL_API_KEY_SECRET: SECRET_ID,
      OCI_TRANSCODE_OCI_ENDPOINT_SECRETS: standIn.url,
      OCI_TRANSCODE_SOURCE_BUCKETS: 'media-in',
      OCI_TRANSCODE_DEST_BUCKET: 'media-out',
      OCI_TRANSCODE_TASK_QUEUE: taskQueue,
      ...standIn.functionPrincipalEnv(),
    });
    times.push(['function container: start to socket', fn.readyMs]);
    browser = await launchBrowser();
    player = await startPlayerServer(join(tmp, 'media'));
  });

  afterAll(async () => {
    await player?.close();
    await browser?.close();
    await fn?.stop();
    await worker?.stop(10_000);
    worker?.removeHome();
    await store?.close();
    await standIn?.stop();
    await temporal?.teardown();
    if (podman) await removeLeftovers();
    if (tmp) await rm(tmp, { recursive: true, force: true });
    const rows: [string, string][] = [];
    if (report) {
      rows.push([`${BASE_IMAGE} (${report.base.built ? 'made' : 'cached'}, ${(report.base.size / 1e6).toFixed(0)} MB)`, `${(report.base.ms / 1000).toFixed(1)} s`]);
      for (const b of report.images) rows.push([`build ${b.tag} (${(b.size / 1e6).toFixed(0)} MB)`, `${(b.ms / 1000).toFixed(1)} s`]);
    }
    for (const [step, ms] of times) rows.push([step, `${(ms / 1000).toFixed(1)} s`]);
    console.log(`images: timings\n${rows.map(([k, v]) => `  ${k.padEnd(72)} ${v.padStart(8)}`).join('\n')}`);
  });

  it('the images carry their own entrypoints and non-root users, on the base the build argument named', async () => {
    const transcoder = await inspectImage(TEST_IMAGES.transcoder);
    expect(transcoder).toMatchObject({ user: 'node', workdir: '/tmp', entrypoint: ['/usr/bin/tini', '--', 'oci-transcode'] });
    expect((await inspectImage(TEST_IMAGES.worker))?.entrypoint).toEqual(['/usr/bin/tini', '--', 'node', '--import', 'tsx', '/app/src/worker/main.ts']);
    expect(await inspectImage(TEST_IMAGES.starter)).toMatchObject({ user: '1000:1000', workdir: '/function', entrypoint: ['node', 'func.js'] });
    // The CA bundle handed to `npm ci` as a build secret is in no layer: no file has its bytes.
    const ca = buildCaSecret()['build-ca'];
    if (ca) {
      const bytes = await readFile(ca);
      const digest = createHash('sha256').update(bytes).digest('hex');
      for (const tag of [TEST_IMAGES.transcoder, TEST_IMAGES.worker]) {
        const find = ['find', '/', '-xdev', '-type', 'f', '-size', `${bytes.length}c`, '-exec', 'sha256sum', '{}', '+'];
        const sums = await engine(['run', '--rm', ...RUN_FLAGS, '--user', '0', '--entrypoint', JSON.stringify(find), tag]).then((r) => r.stdout, (e: Error) => e.message);
        expect(sums, tag).not.toContain(digest);
      }
    }
    // The worker image also serves the job API (docs/deploy-oci.md §8): the whole CLI is in it.
    const api = await engine(['run', '--rm', ...RUN_FLAGS, '--entrypoint', 'node', TEST_IMAGES.worker, '/app/bin/oci-transcode.js', 'api', '--help']);
    expect(api.stdout).toContain('/openapi.json');
  });

  it('function image: answers the Fn agent on its socket, and ignores an event from a bucket that is not a source', async () => {
    const answer = await fn.invoke(eventFor('uploads/x.mp4', 'etag-x', 'media-out'));
    expect(answer.status, fn.output()).toBe(200);
    expect(answer.body, fn.output()).toMatchObject({ outcome: 'ignored' });
    // It read the Temporal API key from Vault, signed with the function's resource principal.
    expect(standIn.requests.find((r) => r.operation === 'GetSecretBundle')).toMatchObject({ status: 200, principal: { kind: 'resource', resourceType: 'fnfunc' } });
  });

  it('an upload runs through the three containers and the published stream plays in hls.js and shaka', async () => {
    const object = 'uploads/Images test clip.mp4';
    const { etag } = await store.putFile('media-in', object, await makeClip('landscape', { seconds: 3 }), { contentType: 'video/mp4' });
    const answer = await fn.invoke(eventFor(object, etag));
    expect(answer.body, fn.output()).toMatchObject({ outcome: 'started' });
    const result = await timed('run: event to published stream', () =>
      temporal.client.workflow.getHandle(answer.body.workflowId as string).result() as Promise<TranscodeResult>,
    ).catch((error: unknown) => {
      throw new Error(`${String(error)}\nworker:\n${worker.logs.text().slice(-4000)}`);
    });
    expect(result).toMatchObject({ bucket: 'media-out', streamPrefix: `${object}/`, attempts: { all: 1 } });

    // The transcoder ran in a container instance of our image: its arguments came from the worker, its
    // identity from the instance's resource principal, its entrypoint and user from the image.
    const [container] = [...standIn.containerInstances.containers.values()];
    expect(container).toMatchObject({ imageUrl: IMAGE_URL, exitCode: 0 });
    expect(container!.arguments[0]).toBe('transcode');
    expect(container!.command ?? []).toEqual([]);
    const writers = standIn.requests.filter((r) => r.operation === 'PutObject' || r.operation === 'UploadPart');
    expect(writers.some((r) => r.principal?.kind === 'resource' && r.principal.resourceType === 'computecontainerinstance')).toBe(true);
    expect(standIn.stats.rejected).toBe(0);

    await timed('playback in hls.js and shaka', async () => {
      await download(result.streamPrefix, join(tmp, 'media'));
      for (const [engineName, manifest] of [['hls', result.hls!], ['shaka', result.dash!]] as const) {
        const played = await play(browser, player, { engine: engineName, manifest, targetSec: 1.5 });
        expect(played.ok, JSON.stringify({ engineName, reason: played.reason, errors: played.errors })).toBe(true);
      }
    });
  });
});

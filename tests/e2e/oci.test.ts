// `npm run e2e:oci`: the OCI path end to end against the stand-in. The sample create-object event goes
// through the starter function (the built bundle, on the FDK's socket), the workflow on a real Temporal
// dev server, a worker with the OCI adapters (API key), Container Instances that run the real transcoder
// (resource principal), and Object Storage; the published stream plays in hls.js and shaka-player.
// Every request is signed and verified, and authorized by the shipped IAM policies (deploy/oci-policies.yaml),
// Events' invocation of the function included; no container instance is left. With faults injected the run
// still completes without duplicates; a file that is not media fails before any instance exists; and with
// the worker's old `use compute-containers` line the run stops at its first job with NotAuthorizedOrNotFound.
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { text as streamText } from 'node:stream/consumers';
import { createWriteStream } from 'node:fs';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildFunction } from '../../scripts/build-fn.js';
import { createOciAdapters, type PlacementMiss } from '../../src/adapters/oci/index.js';
import { createOciTopicPublisher } from '../../src/adapters/oci/notifications.js';
import { createOciObjectStore, type OciObjectStore } from '../../src/adapters/oci/object-store.js';
import { loadConfig } from '../../src/config.js';
import { REMUX_JOB } from '../../src/domain/chunks.js';
import { notifySenders, type NotifySenders } from '../../src/notify/index.js';
import { notificationSchema } from '../../src/notify/payload.js';
import { topLevelBoxes } from '../../src/transcoder/downloads.js';
import { createWorker, type TranscodeWorkers } from '../../src/worker/create-worker.js';
import type { TranscodeResult } from '../../src/workflows/definitions.js';
import { launchBrowser } from '../helpers/browser.js';
import { makeBadInput, makeClip } from '../helpers/clips.js';
import { play, startPlayerServer } from '../helpers/player-page/play.js';
import type { StaticServer } from '../helpers/static-server.js';
import { startTemporal, workflowBundle } from '../helpers/temporal.js';
import { startFunction, type FnHost } from '../oci-stand-in/fn-host.js';
import { ADMIN_GROUP } from '../oci-stand-in/iam/stand-in-iam.js';
import { standInImages, TRANSCODER_IMAGE } from '../oci-stand-in/images.js';
import { startOciStandIn, type OciStandIn } from '../oci-stand-in/server.js';

const SECRET_ID = 'ocid1.vaultsecret.oc1.eu-frankfurt-1.temporalapikey';
const taskQueue = `transcode-oci-${randomBytes(3).toString('hex')}`;
const sample = JSON.parse(await readFile(new URL('../fixtures/events/sample-createobject.json', import.meta.url), 'utf8')) as SampleEvent;

interface SampleEvent {
  eventID: string;
  data: { resourceName: string; resourceId: string; additionalDetails: { bucketName: string; namespace: string; eTag: string } };
}

let tmp: string;
let temporal: TestWorkflowEnvironment;
let standIn: OciStandIn;
let store: OciObjectStore;
/** Uploads come from outside the pipeline: an operator's key (the worker may only read media-in). */
let uploader: OciObjectStore;
let worker: TranscodeWorkers;
let running: Promise<void>;
let fn: FnHost;
let browser: Browser;
let player: StaticServer;
const misses: PlacementMiss[] = [];
/** The OCI Notifications topic every run's outcome is published to. */
let topicId: string;
let notify: NotifySenders;

/** The original's sample event, with our bucket, the stand-in's namespace and the upload's name and eTag. */
function eventFor(object: string, etag: string): SampleEvent {
  const e = structuredClone(sample);
  e.eventID = randomBytes(8).toString('hex');
  e.data.resourceName = object;
  e.data.resourceId = `/n/${standIn.namespace}/b/media-in/o/${encodeURIComponent(object)}`;
  e.data.additionalDetails = { ...e.data.additionalDetails, bucketName: 'media-in', namespace: standIn.namespace, eTag: etag };
  return e;
}

/**
 * Uploads a file and delivers its create-object event to the starter function; returns the run's id.
 * `beforeEvent` runs between the two, so that faults it injects hit the pipeline, not the upload.
 */
async function upload(file: string, object: string, beforeEvent?: () => void): Promise<string> {
  const { etag } = await uploader.putFile('media-in', object, file, { contentType: 'video/mp4' });
  beforeEvent?.();
  const answer = await fn.invoke(eventFor(object, etag));
  expect(answer.body, fn.output()).toMatchObject({ outcome: 'started' });
  return answer.body.workflowId as string;
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

async function noLeftovers(): Promise<void> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const left = standIn.containerInstances.leftovers();
    if (left.instances.length === 0 && left.running === 0) break;
    if (Date.now() > deadline) throw new Error(`left behind: ${left.instances.map((i) => `${i.id} ${i.lifecycleState}`).join(', ')}; ${left.running} running`);
    await new Promise((r) => setTimeout(r, 200));
  }
  expect(standIn.objectStorage.leftovers()).toEqual({ uploads: 0, pars: 0 });
}

/** The run's result; a request the stand-in's IAM refused fails it at once, naming what was missing. */
async function resultOf(workflowId: string): Promise<TranscodeResult> {
  let timer: NodeJS.Timeout | undefined;
  const refused = new Promise<never>((_, reject) => {
    timer = setInterval(() => {
      const d = standIn.iam.denials[0];
      if (d) reject(new Error(`the stand-in refused ${d.operation} by ${d.principal} with ${d.answer}: missing ${d.missing.join('; ')}`));
    }, 200);
  });
  try {
    return (await Promise.race([temporal.client.workflow.getHandle(workflowId).result(), refused])) as TranscodeResult;
  } finally {
    clearInterval(timer);
  }
}

function everyRequestVerified(): void {
  expect(standIn.stats.rejected).toBe(0);
  expect(standIn.iam.denials).toEqual([]);
  const unsigned = standIn.requests.filter((r) => r.operation !== 'ReadWithPar' && !r.principal);
  expect(unsigned.map((r) => `${r.method} ${r.path}`)).toEqual([]);
}

beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'oci-e2e-'));
  const built = await buildFunction(join(tmp, 'fn/'));
  temporal = await startTemporal();
  standIn = await startOciStandIn({ buckets: ['media-in', 'media-out'], images: standInImages() });
  topicId = standIn.notifications.createTopic('transcode-events', standIn.compartmentId);
  const workerEnv = {
    OCI_TRANSCODE_NOTIFY: `ons:${topicId}`,
    ...standIn.workerEnv(standIn.createApiKey()),
    OCI_TRANSCODE_MODE: 'oci',
    OCI_TRANSCODE_TASK_QUEUE: taskQueue,
    OCI_TRANSCODE_OCI_IMAGE: TRANSCODER_IMAGE,
    OCI_TRANSCODE_OCI_PLACEMENT_BACKOFF_MS: '200',
    OCI_TRANSCODE_OCI_RETRY_BASE_MS: '100',
    OCI_TRANSCODE_JOB_POLL_SEC: '0.5',
    OCI_TRANSCODE_JOB_BACKOFF_SEC: '0.5',
    // Sources over 7 s are split in time (the other cases' clips are shorter), on at most two instances.
    OCI_TRANSCODE_CHUNK_THRESHOLD_SEC: '7',
    OCI_TRANSCODE_CHUNK_SEC: '4',
    OCI_TRANSCODE_MAX_INSTANCES: '2',
  };
  const config = loadConfig(workerEnv);
  const adapters = createOciAdapters(workerEnv, { onPlacementMiss: (miss) => misses.push(miss) });
  notify = notifySenders(config, workerEnv, (oci) => createOciTopicPublisher(oci, workerEnv));
  store = adapters.store as OciObjectStore;
  uploader = createOciObjectStore(standIn.workerEnv(standIn.createApiKey({ groups: [ADMIN_GROUP] })));
  worker = await createWorker({
    connection: temporal.nativeConnection,
    namespace: 'default',
    config,
    store: adapters.store,
    jobs: adapters.jobs,
    transcoderEnv: { OCI_TRANSCODE_OCI_RETRY_BASE_MS: '100' },
    notify,
    workflowBundle: await workflowBundle(),
    shutdownGraceTimeMs: 500,
  });
  running = worker.run();
  standIn.secrets.set(SECRET_ID, `tk-${randomBytes(8).toString('hex')}`);
  fn = await startFunction({
    bundleDir: built.dir,
    socketDir: tmp,
    config: {
      TEMPORAL_ADDRESS: temporal.address,
      TEMPORAL_NAMESPACE: 'default',
      TEMPORAL_TLS: 'false',
      OCI_TRANSCODE_OCI_TEMPORAL_API_KEY_SECRET: SECRET_ID,
      OCI_TRANSCODE_OCI_ENDPOINT_SECRETS: standIn.url,
      OCI_TRANSCODE_SOURCE_BUCKETS: 'media-in',
      OCI_TRANSCODE_DEST_BUCKET: 'media-out',
      OCI_TRANSCODE_TASK_QUEUE: taskQueue,
      ...standIn.functionPrincipalEnv(),
    },
    events: standIn.eventsInvoker(),
  });
  browser = await launchBrowser();
  player = await startPlayerServer(join(tmp, 'media'));
});

afterAll(async () => {
  await player?.close();
  await browser?.close();
  await fn?.stop();
  if (worker?.getState() === 'RUNNING') worker.shutdown();
  await running;
  notify?.close();
  await store?.close();
  await uploader?.close();
  await standIn?.stop();
  await temporal?.teardown();
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

describe('OCI path end to end (stand-in)', () => {
  it('turns the sample event into a stream that plays, thumbnails in place, every request verified, no instance left', async () => {
    const object = 'uploads/Holiday clip (final).mp4';
    const workflowId = await upload(await makeClip('landscape'), object);
    const result = await resultOf(workflowId);
    expect(result).toMatchObject({ bucket: 'media-out', streamPrefix: `${object}/`, attempts: { all: 1 } });
    expect(result.thumbnail).toBe(`thumbnails/${object}_thumb.png`);
    expect((await store.head('media-out', result.thumbnail!))?.size).toBeGreaterThan(1000);

    await download(result.streamPrefix, join(tmp, 'media'));
    for (const [engine, manifest] of [['hls', result.hls!], ['shaka', result.dash!]] as const) {
      const report = await play(browser, player, { engine, manifest, targetSec: 1.5 });
      expect(report.ok, JSON.stringify({ engine, reason: report.reason, errors: report.errors, console: report.console.slice(0, 5) })).toBe(true);
    }

    // The outcome, published to the topic by the worker with its own signed request.
    const published = standIn.notifications.messages(topicId).map((m) => notificationSchema.parse(JSON.parse(m.body)));
    expect(published.filter((n) => n.source.object === object)).toMatchObject([
      { outcome: 'completed', source: { etag: result.etag }, outputs: { masters: { hls: `oci://${standIn.namespace}/media-out/${result.hls!}` } } },
    ]);
    expect(standIn.requests.filter((r) => r.operation === 'PublishMessage').map((r) => [r.status, r.principal?.kind])).toEqual([[200, 'user']]);

    await noLeftovers();
    everyRequestVerified();
    const principals = new Set(standIn.requests.map((r) => (r.principal?.kind === 'resource' ? r.principal.resourceType : r.principal?.kind)));
    // Worker (API key), the function (its resource principal) and the transcoder containers (theirs).
    expect([...principals].sort()).toEqual(['computecontainerinstance', 'fnfunc', 'user', undefined].sort());
    expect(standIn.count('CreateContainerInstance')).toBe(1);
  });

  it('completes despite capacity, throttling, a crashed container and storage errors: no duplicate, nothing left', async () => {
    const [ad1] = standIn.availabilityDomains as [string];
    const file = await makeClip('landscape', { seconds: 3 });
    const workflowId = await upload(file, 'uploads/faulty.mp4', () => {
      standIn.faults.outOfCapacity(ad1);
      standIn.faults.throttle(3, { service: 'objectstorage' });
      standIn.faults.throttle(2, { operation: 'GetContainerInstance' });
      standIn.faults.throttle(1, { operation: 'CreateContainerInstance' });
      standIn.faults.storageErrors(3, { operation: 'PutObject' });
      standIn.faults.crashNext(1, 300);
    });
    const result = await resultOf(workflowId);
    standIn.faults.clear();

    expect(result.attempts.all).toBe(2); // the crashed container's job ran again on a fresh instance
    expect(standIn.faults.injected).toBeGreaterThanOrEqual(8);
    expect(misses.some((m) => m.availabilityDomain === ad1 && m.reason.startsWith('500 InternalError: Out of host capacity. (opc-request-id '))).toBe(true);
    const mine = [...standIn.containerInstances.instances.values()].filter((i) => i.freeformTags.workflowId === workflowId);
    expect(mine.every((i) => i.availabilityDomain !== ad1)).toBe(true);
    const attempts = mine.map((i) => `${i.freeformTags.jobId}#${i.freeformTags.attempt}`);
    expect(attempts.sort()).toEqual(['all#1', 'all#2']);
    expect((await store.head('media-out', 'uploads/faulty.mp4/master.m3u8'))?.size).toBeGreaterThan(0);
    await noLeftovers();
    everyRequestVerified();
  });

  it('splits a long source in time: chunk instances seek in the source through its read URL, a preview goes out first, the stream plays across every join', async () => {
    const object = 'uploads/long take.mp4';
    const workflowId = await upload(await makeClip('landscape', { seconds: 8, width: 854, height: 480 }), object);
    const result = await resultOf(workflowId);
    // 8 s: two chunks of the 480p rung, and the 360p rung in one preview job beside the audio job; then
    // the remux of the MP4 download from their segments.
    expect(result.attempts).toEqual({ audio: 1, p001: 1, c001: 1, c002: 1, [REMUX_JOB]: 1 });
    const mine = [...standIn.containerInstances.instances.values()].filter((i) => i.freeformTags.workflowId === workflowId);
    expect(mine.map((i) => i.freeformTags.jobId)).toEqual(['audio', 'p001', 'c001', 'c002', REMUX_JOB]);
    const masterPuts = standIn.requests.filter((r) => r.operation === 'PutObject' && r.path.endsWith(`/o/${encodeURIComponent(`${object}/master.m3u8`)}`));
    // The preview's, the full stream's, then the same again once the MP4 download is there (job.json lists it).
    expect(masterPuts.map((r) => r.status)).toEqual([200, 200, 200]);
    const record = JSON.parse(await streamText(await store.get('media-out', result.record))) as { outcome: string; timings: { firstPlayableSec: number; completeSec: number }; downloads?: { kind: string; name: string }[] };
    expect(record.outcome).toBe('succeeded');
    expect(record.timings.firstPlayableSec).toBeLessThan(record.timings.completeSec);

    await download(result.streamPrefix, join(tmp, 'media'));
    // The MP4 download, remuxed on its own instance from the chunks' segments it read from the bucket.
    const mp4 = record.downloads?.find((d) => d.kind === 'mp4');
    expect(mp4?.name).toBe(`${object}/${result.version}/download/480p.mp4`);
    const boxes = await topLevelBoxes(join(tmp, 'media', mp4!.name));
    expect(boxes.indexOf('moov')).toBeLessThan(boxes.indexOf('mdat'));
    for (const [engine, manifest] of [['hls', result.hls!], ['shaka', result.dash!]] as const) {
      const r = await play(browser, player, { engine, manifest, top: true, targetSec: 1, seeks: [4] });
      expect(r.ok, JSON.stringify({ engine, reason: r.reason, errors: r.errors, console: r.console.slice(0, 5) })).toBe(true);
      expect([r.seeksDone.map((s) => s.at), r.videoHeight]).toEqual([[4], 480]);
    }
    await noLeftovers();
    everyRequestVerified();
  });

  it('fails a file that is not media before any container instance exists', async () => {
    const path = join(tmp, 'notes.mp4');
    await writeFile(path, await readFile(await makeBadInput('text')));
    const before = standIn.count('CreateContainerInstance');
    const workflowId = await upload(path, 'uploads/notes.mp4');
    const failure: unknown = await temporal.client.workflow
      .getHandle(workflowId)
      .result()
      .then(() => undefined, (e: unknown) => e);
    expect(failure).toBeInstanceOf(Error);
    expect(String((failure as Error & { cause?: Error }).cause?.message ?? failure)).not.toBe('');
    expect(standIn.count('CreateContainerInstance')).toBe(before);
    await noLeftovers();
    everyRequestVerified();
  });

  it('fails at its first job with NotAuthorizedOrNotFound under the old `use compute-containers` line, naming the grants; once fixed, the upload runs', async () => {
    standIn.iam.replaceStatement(
      'Allow group oci-transcode-workers to manage compute-containers',
      'Allow group oci-transcode-workers to use compute-containers in compartment <compartment>',
    );
    const file = await makeClip('landscape', { seconds: 2 });
    try {
      const workflowId = await upload(file, 'uploads/refused.mp4');
      const failure = await temporal.client.workflow.getHandle(workflowId).result().then(() => undefined, (e: unknown) => e as Error & { cause?: Error });
      // Not retried for half an hour: a refused create is a configuration fact, reported at once.
      expect(failure?.cause?.message).toMatch(/create container instance for .*: 404 NotAuthorizedOrNotFound: Authorization failed or requested resource not found\. .*manage compute-containers/);
      expect(standIn.iam.denials.map((d) => `${d.operation}: ${d.missing.join('; ')}`)).toEqual(['CreateContainerInstance: COMPUTE_CONTAINER_CREATE in compartment oci-transcode']);
      expect([...standIn.containerInstances.instances.values()].filter((i) => i.freeformTags.workflowId === workflowId)).toEqual([]);
    } finally {
      standIn.iam.reset();
      standIn.iam.denials.length = 0;
    }
    // The fixed policy: the same file uploaded again runs.
    const result = await resultOf(await upload(file, 'uploads/refused-then-fixed.mp4'));
    expect(result).toMatchObject({ bucket: 'media-out', attempts: { all: 1 } });
    await noLeftovers();
    everyRequestVerified();
  });
});

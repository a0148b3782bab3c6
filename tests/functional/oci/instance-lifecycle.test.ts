// Container Instances as the service behaves, through the real SDK against the stand-in: creation is
// asynchronous (seconds of CREATING, then ACTIVE or a late FAILED), throttling is not a refusal, a delete
// may be refused with 409 while the instance still runs, a DELETED record turns into 404, logs exist only
// once the container runs, and listings lag. Each case fails against the runner that ignored it.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createOciJobRunner } from '../../../src/adapters/oci/job-runner.js';
import type { PlacementMiss } from '../../../src/adapters/oci/errors.js';
import type { JobHandle, JobLaunch } from '../../../src/ports.js';
import { ECHO_IMAGE, standInImages } from '../../oci-stand-in/images.js';
import { startOciStandIn, type OciStandIn } from '../../oci-stand-in/server.js';

let standIn: OciStandIn;
let env: Record<string, string>;
const misses: PlacementMiss[] = [];
let serial = 0;

function launch(args: string[] = ['--sleep', '3000']): JobLaunch {
  serial += 1;
  return {
    idempotencyKey: `lifecycle-${serial}/run-1/all/1`,
    displayName: `lifecycle ${serial}`,
    args,
    env: {},
    tags: { app: 'oci-transcode', workflowId: `lifecycle-${serial}`, jobId: 'all', attempt: '1' },
  };
}

/** A runner with no memory of earlier refusals, reporting its misses here. */
const runner = (extra: Record<string, string> = {}) => createOciJobRunner({ ...env, ...extra }, { onPlacementMiss: (m) => misses.push(m) });
const record = (handle: JobHandle) => standIn.containerInstances.instances.get(handle.id)!;
const ofJob = (job: JobLaunch) => [...standIn.containerInstances.instances.values()].filter((i) => i.freeformTags.workflowId === job.tags.workflowId);
const count = (operation: string) => standIn.requests.filter((r) => r.operation === operation).length;

async function eventually(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

beforeAll(async () => {
  standIn = await startOciStandIn({ images: standInImages() });
  env = {
    ...standIn.workerEnv(standIn.createApiKey()),
    OCI_TRANSCODE_OCI_IMAGE: ECHO_IMAGE,
    OCI_TRANSCODE_OCI_PLACEMENT_BACKOFF_MS: '10',
    OCI_TRANSCODE_OCI_RETRY_BASE_MS: '20',
  };
});

afterEach(() => {
  standIn.faults.clear();
  misses.length = 0;
});

afterAll(async () => {
  await standIn?.stop();
});

describe('Container Instances lifecycle', () => {
  it('counts an instance that goes FAILED after it was accepted as a refusal, and moves on', async () => {
    const [ad1, ad2] = standIn.availabilityDomains as [string, string];
    standIn.faults.failAfterCreate(1, { availabilityDomain: ad1 });
    const job = launch();
    const handle = await runner().start(job);
    expect(record(handle).availabilityDomain).toBe(ad2);
    expect(misses).toHaveLength(1);
    expect(misses[0]).toMatchObject({ availabilityDomain: ad1 });
    // lifecycleDetails and the work request's error, once.
    expect(misses[0]!.reason).toBe('instance FAILED: Out of host capacity.');
    const failed = ofJob(job).find((i) => i.availabilityDomain === ad1)!;
    await eventually(() => failed.lifecycleState === 'DELETED', 'the failed instance to be deleted');
    expect(handle.placement).toContain('skipped');
    await runner().delete(handle);
  });

  it('gives up on an instance stuck in CREATING after the creation timeout, deletes it and tries the next placement', async () => {
    const [ad1, ad2] = standIn.availabilityDomains as [string, string];
    standIn.faults.creatingMs = 3000;
    const r = runner({ OCI_TRANSCODE_OCI_CREATE_TIMEOUT_SEC: '1' });
    const job = launch(['--sleep', '100']);
    const started = r.start(job);
    // Past the first timeout, creation speeds up again: the second placement places normally.
    setTimeout(() => (standIn.faults.creatingMs = 100), 500);
    const handle = await started;
    expect(misses.map((m) => [m.availabilityDomain, m.reason])).toEqual([[ad1, 'instance still CREATING after 1 s']]);
    expect(record(handle).availabilityDomain).toBe(ad2);
    await r.delete(handle);
  });

  it('reads logs of a container that has not run yet as empty, at once (409 is not retried for minutes)', async () => {
    standIn.faults.creatingMs = 2000;
    const r = runner();
    const job = launch(['--sleep', '100']);
    const starting = r.start(job);
    await eventually(() => ofJob(job).length === 1, 'the instance to be accepted');
    const before = count('RetrieveLogs');
    const asked = Date.now();
    expect(await r.logTail({ id: ofJob(job)[0]!.id })).toBe('');
    expect(Date.now() - asked).toBeLessThan(1500);
    expect(count('RetrieveLogs') - before).toBe(1);
    await r.delete(await starting);
  });

  it('asks again when a delete is refused with 409, until the instance is really DELETING', async () => {
    const r = runner();
    const handle = await r.start(launch(['--sleep', '20000']));
    const injected = standIn.faults.injected;
    standIn.faults.incorrectState('DeleteContainerInstance', 2);
    await r.delete(handle);
    expect(['DELETING', 'DELETED']).toContain(record(handle).lifecycleState);
    expect(standIn.faults.injected - injected).toBe(2);
  });

  it('turns a DELETED record into 404 after a while; state says gone both ways, and delete stays idempotent', async () => {
    standIn.faults.deletedVisibleMs = 300;
    const r = runner();
    const handle = await r.start(launch(['--sleep', '100']));
    await r.delete(handle);
    await eventually(() => record(handle).lifecycleState === 'DELETED', 'DELETED');
    expect((await r.state(handle)).phase).toBe('gone');
    await eventually(() => record(handle).purged === true, 'the record to be forgotten');
    expect(await r.state(handle)).toEqual({ phase: 'gone', message: 'instance not found' });
    await r.delete(handle);
  });

  it('lists with a lag: a new instance shows up late, with the state of a moment ago', async () => {
    standIn.faults.listLagMs = 1500;
    const r = runner();
    const job = launch(['--sleep', '5000']);
    const handle = await r.start(job);
    expect(await r.list({ workflowId: job.tags.workflowId ?? '' })).toEqual([]);
    // First seen as it was when accepted (CREATING), then as it became.
    await eventually(async () => (await r.list({ workflowId: job.tags.workflowId ?? '' }))[0]?.phase === 'starting', 'the listing to show it');
    await eventually(async () => (await r.list({ workflowId: job.tags.workflowId ?? '' }))[0]?.phase === 'running', 'the listing to catch up');
    const [listed] = await r.list({ workflowId: job.tags.workflowId ?? '' });
    expect(listed).toMatchObject({ id: handle.id, phase: 'running' });
    expect(Date.parse(listed!.createdAt ?? '')).toBe(record(handle).timeCreated.getTime());
    await r.delete(handle);
  });

  it('adopts the live instance of an earlier attempt on retry instead of creating one', async () => {
    const job = launch(['--sleep', '5000']);
    const first = await runner().start(job);
    const again = await runner().start(job); // the activity retried on another worker
    expect(again.id).toBe(first.id);
    expect(again.placement).toContain('existing instance');
    expect(ofJob(job)).toHaveLength(1);
    await runner().delete(first);
  });

  it('deletes a duplicate that the lagging listing hid when the retry looked, once it shows', async () => {
    const [ad1, ad2] = standIn.availabilityDomains as [string, string];
    const job = launch(['--sleep', '5000']);
    const first = await runner().start(job); // placed in AD-1; then its worker was lost
    // The retry's listing does not show it yet, and AD-1 now refuses: the retry places in AD-2.
    standIn.faults.listLagMs = 60_000;
    standIn.faults.outOfCapacity(ad1);
    standIn.faults.creatingMs = 1500;
    setTimeout(() => (standIn.faults.listLagMs = 0), 500).unref();
    const second = await runner().start(job);
    expect(record(second).availabilityDomain).toBe(ad2);
    expect(['DELETING', 'DELETED']).toContain(record(first).lifecycleState);
    expect(record(second).lifecycleState).toBe('ACTIVE');
    await runner().delete(second);
  });
});

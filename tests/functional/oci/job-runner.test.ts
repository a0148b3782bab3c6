// The Container Instances JobRunner through the real oci-containerinstances client against the stand-in,
// whose instances really run their container's process: lifecycle, logs, deletion, idempotency,
// capacity failover, crashes, failed image pulls, listing by tags, and bad launches.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createOciJobRunner, type OciJobRunner } from '../../../src/adapters/oci/job-runner.js';
import { CapacityExhaustedError, type PlacementMiss } from '../../../src/adapters/oci/errors.js';
import { retryToken, placementsOf } from '../../../src/adapters/oci/placement.js';
import { ConfigError } from '../../../src/config.js';
import { loadOciConfig } from '../../../src/config-oci.js';
import { JobLaunchError, type JobHandle, type JobLaunch, type JobPhase, type JobState } from '../../../src/ports.js';
import { ECHO_IMAGE, standInImages } from '../../oci-stand-in/images.js';
import { startOciStandIn, type OciStandIn } from '../../oci-stand-in/server.js';

let standIn: OciStandIn;
let env: Record<string, string>;
let runner: OciJobRunner;
const misses: PlacementMiss[] = [];
let serial = 0;

function launch(args: string[], extra: Partial<JobLaunch> = {}): JobLaunch {
  serial += 1;
  return {
    idempotencyKey: `wf-${serial}/run-1/job-0/attempt-1`,
    displayName: `oci-transcode test ${serial}`,
    args,
    env: { JOB_GREETING: 'hello' },
    tags: { app: 'oci-transcode', workflowId: `wf-${serial}`, jobId: 'job-0', attempt: '1' },
    ...extra,
  };
}

async function until(handle: JobHandle, phases: JobPhase[], timeoutMs = 20_000): Promise<JobState> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const state = await runner.state(handle);
    if (phases.includes(state.phase)) return state;
    if (Date.now() > deadline) throw new Error(`still ${state.phase} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const creates = () => standIn.requests.filter((r) => r.operation === 'CreateContainerInstance');

/** Waits until no instance of this job attempt (by its workflow tag) is left undeleted. */
async function noneLeftOf(job: JobLaunch, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const left = () => standIn.containerInstances.leftovers().instances.filter((i) => i.freeformTags.workflowId === job.tags.workflowId);
  while (left().length > 0) {
    if (Date.now() > deadline) throw new Error(`left: ${left().map((i) => `${i.id} ${i.lifecycleState}`).join(', ')}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

beforeAll(async () => {
  standIn = await startOciStandIn({ images: standInImages() });
  env = {
    ...standIn.workerEnv(standIn.createApiKey()),
    OCI_TRANSCODE_OCI_IMAGE: ECHO_IMAGE,
    OCI_TRANSCODE_OCI_SHAPES: 'CI.Standard.E4.Flex:2:8,CI.Standard.E3.Flex:2:16',
    OCI_TRANSCODE_OCI_PLACEMENT_BACKOFF_MS: '10',
    OCI_TRANSCODE_OCI_RETRY_BASE_MS: '20',
  };
  runner = createOciJobRunner(env, { onPlacementMiss: (miss) => misses.push(miss) });
});

afterEach(() => {
  standIn.faults.clear();
  misses.length = 0;
});

afterAll(async () => {
  await standIn?.stop();
});

describe('OciJobRunner against the stand-in', () => {
  it('creates an instance that runs the container, reports its exit, serves its logs, and deletes it', async () => {
    standIn.faults.creatingMs = 1500; // creation takes seconds on OCI: start() waits it out
    const asked = Date.now();
    const handle = await runner.start(launch(['--sleep', '1500', 'first', 'a b']));
    expect(Date.now() - asked).toBeGreaterThanOrEqual(1500);
    expect(handle.id).toMatch(/^ocid1\.computecontainerinstance\./);
    expect(handle.placement).toContain(standIn.availabilityDomains[0]);
    expect(standIn.containerInstances.instances.get(handle.id)?.lifecycleState).not.toBe('CREATING');

    const body = standIn.containerInstances.instances.get(handle.id)!;
    expect(body).toMatchObject({ containerRestartPolicy: 'NEVER', shape: 'CI.Standard.E4.Flex', shapeConfig: { ocpus: 2, memoryInGBs: 8 }, subnetId: standIn.subnetId });
    expect(body.freeformTags).toMatchObject({ app: 'oci-transcode', jobId: 'job-0', attempt: '1', 'oci-transcode': 'transcoder' });

    await until(handle, ['running']);
    const done = await until(handle, ['succeeded', 'failed']);
    expect(done).toEqual({ phase: 'succeeded', exitCode: 0 });
    const logs = await runner.logTail(handle);
    expect(logs).toContain('"args":["--sleep","1500","first","a b"]');
    expect(logs).toContain('a line on stderr');
    // The container signs with its own resource principal; the worker's API key never reaches it.
    expect(logs).toContain('"resourcePrincipal":true,"apiKeyLeaked":false,"given":"hello"');

    await runner.delete(handle);
    await until(handle, ['gone']);
    await runner.delete(handle); // deleting a deleted instance is fine
    expect(standIn.containerInstances.leftovers()).toMatchObject({ instances: [], running: 0 });
  });

  it('reports a non-zero exit with its code', async () => {
    const handle = await runner.start(launch(['--exit', '65']));
    expect(await until(handle, ['succeeded', 'failed'])).toMatchObject({ phase: 'failed', exitCode: 65 });
    await runner.delete(handle);
  });

  it('never creates a second instance for one job attempt: lost answers and repeated starts', async () => {
    const job = launch(['--sleep', '100']);
    standIn.faults.loseResponses(1, { operation: 'CreateContainerInstance' });
    const first = await runner.start(job);
    const tokens = creates().slice(-2).map((r) => r.retryToken);
    expect(tokens).toEqual([retryToken(job.idempotencyKey, placementsOf(runner.config)[0]!), tokens[0]]);
    // A retried activity (even in another worker process) finds the same instance.
    const again = await createOciJobRunner(env).start(job);
    expect(again.id).toBe(first.id);
    const mine = [...standIn.containerInstances.instances.values()].filter((i) => i.freeformTags.workflowId === job.tags.workflowId);
    expect(mine).toHaveLength(1);
    await until(first, ['succeeded']);
    await runner.delete(first);
  });

  /** A runner of its own, so placement memory from other tests does not change the order. */
  const freshRunner = () => createOciJobRunner(env, { onPlacementMiss: (miss) => misses.push(miss) });

  it('moves to the next availability domain on capacity and limit errors, visibly; throttling waits in place', async () => {
    const [ad1, ad2, ad3] = standIn.availabilityDomains as [string, string, string];
    standIn.faults.outOfCapacity(ad1).limitExceeded(ad2);
    const runner = freshRunner();
    const handle = await runner.start(launch([]));
    expect(standIn.containerInstances.instances.get(handle.id)?.availabilityDomain).toBe(ad3);
    expect(handle.placement).toMatch(new RegExp(`^${ad3} CI.Standard.E4.Flex .*skipped .*Out of host capacity.*LimitExceeded`));
    expect(misses.map((m) => m.availabilityDomain)).toEqual([ad1, ad2]);
    // Oracle support asks for the request id: every surfaced OCI error carries it.
    expect(misses[0]!.reason).toMatch(/^500 InternalError: Out of host capacity\. \(opc-request-id [0-9A-F]{32}\)$/);
    await runner.delete(handle);

    // Refused placements go to the back for a while: the next job is placed without asking AD-1 again.
    const quiet = await runner.start(launch([]));
    expect(standIn.containerInstances.instances.get(quiet.id)?.availabilityDomain).toBe(ad3);
    expect(misses).toHaveLength(2);
    await runner.delete(quiet);

    // 429 is the tenancy's request rate, not this placement's capacity: backed off and retried in AD-1.
    standIn.faults.clear();
    standIn.faults.throttle(2, { operation: 'CreateContainerInstance' });
    const next = await freshRunner().start(launch([]));
    expect(misses).toHaveLength(2);
    expect(standIn.containerInstances.instances.get(next.id)?.availabilityDomain).toBe(ad1);
    expect(standIn.faults.injected).toBeGreaterThanOrEqual(2);
    await runner.delete(next);
  });

  it('falls back to the next shape, and throws CapacityExhaustedError when nothing is left', async () => {
    for (const ad of standIn.availabilityDomains) standIn.faults.outOfCapacity(ad, 1);
    const runner = freshRunner();
    const handle = await runner.start(launch([]));
    expect(standIn.containerInstances.instances.get(handle.id)).toMatchObject({ shape: 'CI.Standard.E3.Flex', shapeConfig: { ocpus: 2, memoryInGBs: 16 } });
    expect(handle.placement).toMatch(/^Uocm:EU-FRANKFURT-1-AD-1 CI.Standard.E3.Flex \(2 OCPU, 16 GB\)/);
    await runner.delete(handle);

    standIn.faults.clear();
    for (const ad of standIn.availabilityDomains) standIn.faults.outOfCapacity(ad);
    const before = standIn.containerInstances.instances.size;
    const failure = await runner.start(launch([])).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(CapacityExhaustedError);
    expect((failure as CapacityExhaustedError).name).toBe('CapacityExhaustedError');
    expect((failure as CapacityExhaustedError).misses).toHaveLength(6);
    expect(standIn.containerInstances.instances.size).toBe(before);
  });

  it('reports a crashed container (exit 137) and a failed image pull', async () => {
    standIn.faults.crashNext(1, 100);
    const crashed = await runner.start(launch(['--sleep', '5000']));
    expect(await until(crashed, ['succeeded', 'failed'])).toMatchObject({ phase: 'failed', exitCode: 137 });
    await runner.delete(crashed);

    // An image that cannot be pulled fails the same way everywhere: no placement failover, no instance left.
    const broken = createOciJobRunner({ ...env, OCI_TRANSCODE_OCI_IMAGE: 'fra.ocir.io/standin/missing:1' });
    const before = creates().length;
    const job = launch([]);
    const failure = await broken.start(job).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(JobLaunchError);
    expect(String(failure)).toMatch(/Failed to pull image fra.ocir.io\/standin\/missing:1/);
    expect(creates().length - before).toBe(1);
    await noneLeftOf(job);
  });

  it('lists its instances by tags and stops listing deleted ones', async () => {
    const a = await runner.start(launch(['--sleep', '2000'], { tags: { app: 'oci-transcode', workflowId: 'wf-list', jobId: 'a' } }));
    const b = await runner.start(launch(['--sleep', '2000'], { tags: { app: 'oci-transcode', workflowId: 'wf-list', jobId: 'b' } }));
    const listed = await runner.list({ workflowId: 'wf-list' });
    expect(listed.map((j) => j.id).sort()).toEqual([a.id, b.id].sort());
    expect(listed.every((j) => j.tags.app === 'oci-transcode')).toBe(true);
    await runner.delete(a);
    await until(a, ['gone']);
    expect((await runner.list({ workflowId: 'wf-list' })).map((j) => j.id)).toEqual([b.id]);
    await runner.delete(b);
  });

  it('refuses launches beyond the service limits before creating anything, and bad config by name', async () => {
    const before = creates().length;
    await expect(runner.start(launch(['x'.repeat(70 * 1024)]))).rejects.toThrow(/container arguments total .* bytes \(limit 65536\)/);
    expect(creates().length).toBe(before);
    expect(() => createOciJobRunner({ ...env, OCI_TRANSCODE_OCI_SUBNET: '', OCI_TRANSCODE_OCI_IMAGE: '' })).toThrow(
      /OCI_TRANSCODE_OCI_SUBNET, OCI_TRANSCODE_OCI_IMAGE/,
    );
    expect(() => loadOciConfig({ OCI_TRANSCODE_OCI_SHAPES: 'CI.Standard.E4.Flex' })).toThrow(ConfigError);
    expect(() => loadOciConfig({ OCI_TRANSCODE_OCI_SHAPES: 'CI.Standard.E4.Flex' })).toThrow(/OCI_TRANSCODE_OCI_SHAPES: "CI.Standard.E4.Flex" is not SHAPE:OCPUS:MEMORY_GB/);
  });

  it('signed every call', () => {
    expect(standIn.stats.rejected).toBe(0);
    expect(standIn.stats.verified).toBeGreaterThan(30);
  });
});

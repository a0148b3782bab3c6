// JobRunner on OCI Container Instances: one instance per transcoder run, restart policy NEVER, found again
// by its job-key tag and deduplicated by a stable opc-retry-token. Creation is asynchronous: a create is
// accepted in CREATING and may still fail (FAILED, with lifecycleDetails and work request errors), so
// start() waits for the instance to leave CREATING. Capacity and limit errors, synchronous or late, move on
// to the next availability domain or shape after a backoff; throttling (429) is retried in place; when every
// placement refuses, CapacityExhaustedError. Polls (state, logs) use a short retry budget of their own, so
// one poll never hides minutes of SDK retries from the activity that heartbeats around it.
import { setTimeout as sleep } from 'node:timers/promises';
import { ContainerInstanceClient, models } from 'oci-containerinstances';
import { loadOciConfig, requireJobRunnerConfig, type JobRunnerConfig } from '../../config-oci.js';
import type { JobCallOptions, JobHandle, JobLaunch, JobPhase, JobRunner, JobState, ListedJob } from '../../ports.js';
import { JobLaunchError, TransientError } from '../../ports.js';
import { openClient, retryConfiguration } from './clients.js';
import { ociDate } from './dates.js';
import { CapacityExhaustedError, describe, isCapacityError, isImagePullFailure, isRetryable, statusOf, toPortError, type PlacementMiss } from './errors.js';
import { readLogs } from './logs.js';
import { freeformTags, JOB_KEY_TAG, jobKeyTag, launchSizeProblems, MANAGED_TAG, placementLabel, placementOrder, placementsOf, retryToken, type Placement } from './placement.js';

const State = models.ContainerInstance.LifecycleState;
type Lifecycle = models.ContainerInstance.LifecycleState;

/** How long a delete answered 409 is retried while the instance is in a state that refuses it. */
const DELETE_WAIT_MS = 120_000;

const CREATE_GRANTS =
  "check OCI_TRANSCODE_OCI_COMPARTMENT and OCI_TRANSCODE_OCI_SUBNET, and that the worker's policy grants manage compute-container-instances, manage compute-containers, use vnics and use subnets (docs/deploy-oci.md §6)";

export interface OciJobRunnerOptions {
  /** Told about each refused placement before the next is tried (the activity logs it). */
  onPlacementMiss?: (miss: PlacementMiss, next: string | undefined) => void;
}

type Summary = ListedJob & { lifecycle: Lifecycle };
type Placed = { ok: true } | { ok: false; reason: string };

export class OciJobRunner implements JobRunner {
  private opened: Promise<ContainerInstanceClient> | undefined;
  private readonly containerIds = new Map<string, string>();
  private readonly placements: Placement[];
  /** When each placement last refused for capacity: shortages persist, so those go to the back for a while. */
  private readonly refusedAt = new Map<Placement, number>();
  /** Polls: a few quick attempts; the caller polls again soon anyway. */
  private readonly pollRetry: ReturnType<typeof retryConfiguration>;
  /** Logs: 409 means the container has not run yet, an answer rather than a state to wait out. */
  private readonly logsRetry: ReturnType<typeof retryConfiguration>;

  constructor(
    readonly config: JobRunnerConfig,
    private readonly open: () => Promise<ContainerInstanceClient>,
    private readonly options: OciJobRunnerOptions = {},
  ) {
    this.placements = placementsOf(config);
    const quick = { maxAttempts: Math.min(3, config.maxAttempts), retryBaseMs: config.retryBaseMs, retryMaxMs: Math.min(2000, config.retryMaxMs) };
    this.pollRetry = retryConfiguration(quick);
    this.logsRetry = retryConfiguration(quick, (e) => isRetryable(e) && statusOf(e) !== 409);
  }

  /** Every placement may wait out its creation timeout and the longest backoff, plus a few listings. */
  get startBudgetSec(): number {
    return this.placements.length * (this.config.createTimeoutSec + 30) + 120;
  }

  private async client(): Promise<ContainerInstanceClient> {
    this.opened ??= this.open();
    return this.opened.catch((error: unknown) => {
      this.opened = undefined;
      throw error;
    });
  }

  async start(job: JobLaunch, options: JobCallOptions = {}): Promise<JobHandle> {
    const problems = launchSizeProblems(job.args, job.env);
    if (problems.length) throw new Error(`Cannot launch ${job.displayName}: ${problems.join('; ')}`);
    const existing = await this.adoptExisting(job);
    if (existing) return existing;

    const order = placementOrder(this.placements, this.refusedAt, Date.now());
    const misses: PlacementMiss[] = [];
    const refuse = async (placement: Placement, reason: string, next: Placement | undefined): Promise<void> => {
      this.refusedAt.set(placement, Date.now());
      misses.push({ availabilityDomain: placement.availabilityDomain, shape: placement.shape.shape, reason });
      this.options.onPlacementMiss?.(misses.at(-1)!, next && placementLabel(next));
      if (next) await sleep(Math.min(30_000, this.config.placementBackoffMs * 2 ** (misses.length - 1)), undefined, { signal: options.signal });
    };
    for (const [i, placement] of order.entries()) {
      options.signal?.throwIfAborted();
      let created: { instance: models.ContainerInstance; workRequestId: string };
      try {
        created = await this.create(job, placement);
      } catch (error) {
        // 404 on create: the compartment, subnet or image is not there, or (as OCI words every refusal)
        // the worker may not create it. No placement or retry changes that.
        if (statusOf(error) === 404) throw new JobLaunchError(`create container instance for ${job.displayName}: ${describe(error)}; ${CREATE_GRANTS}`);
        if (!isCapacityError(error)) throw toPortError(error, `create container instance for ${job.displayName}`);
        await refuse(placement, describe(error), order[i + 1]);
        continue;
      }
      const { instance } = created;
      const placed = await this.untilPlaced(instance, created.workRequestId, options.signal);
      if (!placed.ok) {
        // A failed instance still exists as a record (and would be found by its job key): remove it.
        await this.delete({ id: instance.id }).catch(() => undefined);
        if (isImagePullFailure(placed.reason)) throw new JobLaunchError(`container instance for ${job.displayName} could not start: ${placed.reason}`);
        await refuse(placement, placed.reason, order[i + 1]);
        continue;
      }
      this.refusedAt.delete(placement);
      await this.deleteDuplicates(job, instance.id);
      const skipped = misses.length ? `; skipped ${misses.map((m) => `${m.availabilityDomain}/${m.shape}: ${m.reason}`).join(', ')}` : '';
      return { id: instance.id, placement: `${placementLabel(placement)}${skipped}` };
    }
    throw new CapacityExhaustedError(misses);
  }

  private async create(job: JobLaunch, placement: Placement): Promise<{ instance: models.ContainerInstance; workRequestId: string }> {
    const { containerInstance, opcWorkRequestId } = await (await this.client()).createContainerInstance({
      opcRetryToken: retryToken(job.idempotencyKey, placement),
      createContainerInstanceDetails: this.details(job, placement),
      // Capacity errors go to the next placement instead of 8 SDK retries in the same one; 429 is retried here.
      retryConfiguration: retryConfiguration(this.config, (e) => isRetryable(e) && !isCapacityError(e)),
    });
    const containerId = containerInstance.containers[0]?.containerId;
    if (containerId) this.containerIds.set(containerInstance.id, containerId);
    return { instance: containerInstance, workRequestId: opcWorkRequestId };
  }

  /** An earlier attempt of this activity may have created the instance: take it, and drop failed or extra ones. */
  private async adoptExisting(job: JobLaunch): Promise<JobHandle | undefined> {
    const found = await this.listManaged({ [JOB_KEY_TAG]: jobKeyTag(job.idempotencyKey) });
    const failed = found.filter((s) => s.lifecycle === State.Failed);
    const live = found.filter((s) => s.lifecycle !== State.Failed).sort((a, b) => (a.createdAt ?? '').localeCompare(b.createdAt ?? ''));
    await Promise.all([...failed, ...live.slice(1)].map((s) => this.delete(s).catch(() => undefined)));
    const kept = live[0];
    if (!kept) return undefined;
    if (kept.lifecycle === State.Creating) {
      const placed = await this.untilPlaced(await this.instance(kept.id));
      if (!placed.ok) {
        await this.delete(kept).catch(() => undefined);
        return undefined;
      }
    }
    return { id: kept.id, placement: `${kept.placement ?? 'unknown placement'} (existing instance)` };
  }

  /** Listings lag: a second instance with our job key (a lost answer, another placement) may show up only now. */
  private async deleteDuplicates(job: JobLaunch, keep: string): Promise<void> {
    const found = await this.listManaged({ [JOB_KEY_TAG]: jobKeyTag(job.idempotencyKey) }).catch(() => []);
    await Promise.all(found.filter((s) => s.id !== keep).map((s) => this.delete(s).catch(() => undefined)));
  }

  /**
   * Waits until an accepted instance leaves CREATING. FAILED (the work request's errors say why) or still
   * CREATING past createTimeoutSec (counted from the service's own timeCreated, so a retried activity does
   * not restart the clock) is a refusal of the placement.
   */
  private async untilPlaced(created: models.ContainerInstance, workRequestId?: string, signal?: AbortSignal): Promise<Placed> {
    const since = Date.parse(ociDate(created.timeCreated, 'body') ?? '') || Date.now();
    const deadline = since + this.config.createTimeoutSec * 1000;
    let current = created;
    for (let wait = 250; ; wait = Math.min(wait * 2, 2000)) {
      if (current.lifecycleState === State.Failed) return { ok: false, reason: await this.failureReason(current, workRequestId) };
      if (current.lifecycleState === State.Deleting || current.lifecycleState === State.Deleted) return { ok: false, reason: `instance ${current.lifecycleState} while it was being created` };
      if (current.lifecycleState !== State.Creating) return { ok: true };
      if (Date.now() > deadline) return { ok: false, reason: `instance still CREATING after ${this.config.createTimeoutSec} s` };
      await sleep(wait, undefined, { signal });
      current = await this.instance(created.id).catch((error: unknown) => {
        if (statusOf(error) === 404) return { ...current, lifecycleState: State.Deleted };
        if (isRetryable(error)) return current; // look again after the next pause
        throw toPortError(error, `state of ${created.id}`);
      });
    }
  }

  /** lifecycleDetails and the create work request's errors, in one line. */
  private async failureReason(instance: models.ContainerInstance, workRequestId: string | undefined): Promise<string> {
    const parts = [`instance FAILED${instance.lifecycleDetails ? `: ${instance.lifecycleDetails}` : ''}`];
    if (workRequestId) {
      try {
        const { workRequestErrorCollection } = await (await this.client()).listWorkRequestErrors({ workRequestId, retryConfiguration: this.pollRetry });
        for (const e of workRequestErrorCollection.items) if (!instance.lifecycleDetails?.includes(e.message)) parts.push(`${e.code}: ${e.message}`);
      } catch {
        // the details above say enough; the errors are a courtesy
      }
    }
    return parts.join('; ');
  }

  private details(job: JobLaunch, p: Placement): models.CreateContainerInstanceDetails {
    return {
      displayName: job.displayName.slice(0, 255),
      compartmentId: this.config.compartmentId,
      availabilityDomain: p.availabilityDomain,
      shape: p.shape.shape,
      shapeConfig: { ocpus: p.shape.ocpus, memoryInGBs: p.shape.memoryInGBs },
      vnics: [{ subnetId: this.config.subnetId, isPublicIpAssigned: false }],
      containers: [
        { displayName: 'transcoder', imageUrl: this.config.imageUrl, arguments: job.args, environmentVariables: job.env },
      ],
      containerRestartPolicy: models.ContainerInstance.ContainerRestartPolicy.Never,
      gracefulShutdownTimeoutInSeconds: this.config.shutdownGraceSec,
      freeformTags: freeformTags(job.tags, job.idempotencyKey),
    };
  }

  private async instance(id: string): Promise<models.ContainerInstance> {
    const { containerInstance } = await (await this.client()).getContainerInstance({ containerInstanceId: id, retryConfiguration: this.pollRetry });
    const containerId = containerInstance.containers[0]?.containerId;
    if (containerId) this.containerIds.set(id, containerId);
    return containerInstance;
  }

  async state(handle: JobHandle): Promise<JobState> {
    try {
      const ci = await this.instance(handle.id);
      const details = ci.lifecycleDetails ? `: ${ci.lifecycleDetails}` : '';
      switch (ci.lifecycleState) {
        case State.Creating:
        case State.Updating:
          return { phase: 'starting', message: `instance ${ci.lifecycleState}${details}` };
        case State.Deleting:
        case State.Deleted:
          return { phase: 'gone', message: `instance ${ci.lifecycleState}` };
        case State.Failed:
          return { phase: 'failed', message: `instance FAILED${details}` };
        default:
          return await this.fromContainer(ci);
      }
    } catch (error) {
      if (statusOf(error) === 404) return { phase: 'gone', message: 'instance not found' };
      throw toPortError(error, `state of ${handle.id}`);
    }
  }

  /** The exit code lives on the Container only (getContainer), never on the instance or its summary. */
  private async fromContainer(ci: models.ContainerInstance): Promise<JobState> {
    const containerId = ci.containers[0]?.containerId;
    if (!containerId) return { phase: 'failed', message: 'instance has no container' };
    const { container } = await (await this.client()).getContainer({ containerId, retryConfiguration: this.pollRetry });
    if (typeof container.exitCode === 'number' && container.lifecycleState !== models.Container.LifecycleState.Active) {
      return container.exitCode === 0
        ? { phase: 'succeeded', exitCode: 0 }
        : { phase: 'failed', exitCode: container.exitCode, message: `container exited with ${container.exitCode}` };
    }
    if (ci.lifecycleState === State.Inactive || container.lifecycleState === models.Container.LifecycleState.Inactive) {
      return { phase: 'failed', message: `container ${container.lifecycleState} without exit code${container.lifecycleDetails ? `: ${container.lifecycleDetails}` : ''}` };
    }
    return { phase: container.lifecycleState === models.Container.LifecycleState.Active ? 'running' : 'starting' };
  }

  async logTail(handle: JobHandle): Promise<string> {
    try {
      const containerId = this.containerIds.get(handle.id) ?? (await this.instance(handle.id)).containers[0]?.containerId;
      if (!containerId) return '';
      const { value } = await (await this.client()).retrieveLogs({ containerId, retryConfiguration: this.logsRetry });
      return await readLogs(value);
    } catch (error) {
      // 404: gone; 409: no logs yet (the container has not run) - either way there is nothing to read.
      const status = statusOf(error);
      if (status === 404 || status === 409) return '';
      throw toPortError(error, `logs of ${handle.id}`);
    }
  }

  /**
   * Asks for deletion until the service has taken it: 404 or DELETING/DELETED. A 409 means the instance is
   * in a state that refuses deletion for now (still CREATING, an update in flight): it may well be running,
   * so read it again and ask again, within DELETE_WAIT_MS.
   */
  async delete(handle: JobHandle, options: JobCallOptions = {}): Promise<void> {
    const client = await this.client();
    const deadline = Date.now() + DELETE_WAIT_MS;
    for (let wait = 250; ; wait = Math.min(wait * 2, 5000)) {
      try {
        await client.deleteContainerInstance({
          containerInstanceId: handle.id,
          retryConfiguration: retryConfiguration(this.config, (e) => isRetryable(e) && statusOf(e) !== 409),
        });
        break;
      } catch (error) {
        const status = statusOf(error);
        if (status === 404) {
          // OCI answers a refused delete like a missing instance: one that is still readable was refused.
          const still = await this.instance(handle.id).then((ci) => ci.lifecycleState, () => undefined);
          if (still === undefined || still === State.Deleted || still === State.Deleting) break;
          throw new Error(`delete ${handle.id}: ${describe(error)} although the instance is ${still}: the worker's policy must grant manage compute-container-instances and manage compute-containers (docs/deploy-oci.md §6)`);
        }
        if (status !== 409) throw toPortError(error, `delete ${handle.id}`);
        const lifecycle: string = await this.instance(handle.id).then(
          (ci) => ci.lifecycleState,
          (e: unknown) => (statusOf(e) === 404 ? State.Deleted : 'unknown'),
        );
        if (lifecycle === String(State.Deleting) || lifecycle === String(State.Deleted)) break;
        if (Date.now() > deadline) throw new TransientError(`delete ${handle.id}: still ${lifecycle} and refusing deletion (409) after ${DELETE_WAIT_MS / 1000} s: ${describe(error)}`);
      }
      await sleep(wait, undefined, { signal: options.signal });
    }
    this.containerIds.delete(handle.id);
  }

  /** Releases the SDK client. */
  async close(): Promise<void> {
    const opened = this.opened;
    this.opened = undefined;
    if (opened) (await opened.catch(() => undefined))?.close();
  }

  async list(tags: Record<string, string>): Promise<ListedJob[]> {
    const found = await this.listManaged(tags);
    return Promise.all(
      found.map(async ({ lifecycle, ...job }) => (lifecycle === State.Inactive ? { ...job, phase: (await this.state(job)).phase } : job)),
    );
  }

  /** Our instances (managed tag) carrying all `tags`, except deleted ones; walks every page. */
  private async listManaged(tags: Record<string, string>): Promise<Summary[]> {
    const client = await this.client();
    const out: Summary[] = [];
    let page: string | undefined;
    try {
      do {
        const r = await client.listContainerInstances({ compartmentId: this.config.compartmentId, page, limit: 100 });
        for (const s of r.containerInstanceCollection.items) {
          // The summary types its state as a plain string; the values are the instance's enum.
          const lifecycle = s.lifecycleState as Lifecycle;
          const own = s.freeformTags ?? {};
          if (own[MANAGED_TAG] === undefined || lifecycle === State.Deleted || lifecycle === State.Deleting) continue;
          if (!Object.entries(tags).every(([k, v]) => own[k] === v)) continue;
          const createdAt = ociDate(s.timeCreated, 'body');
          out.push({ id: s.id, placement: `${s.availabilityDomain} ${s.shape}`, tags: own, lifecycle, phase: summaryPhase(lifecycle), ...(createdAt ? { createdAt } : {}) });
        }
        page = r.opcNextPage || undefined;
      } while (page);
    } catch (error) {
      throw toPortError(error, 'list container instances');
    }
    return out;
  }
}

/** INACTIVE needs the container's exit code to tell success from failure: list() asks state() for those. */
function summaryPhase(state: Lifecycle): JobPhase {
  switch (state) {
    case State.Creating:
    case State.Updating:
      return 'starting';
    case State.Active:
      return 'running';
    default:
      return 'failed';
  }
}

export function createOciJobRunner(env: Record<string, string | undefined> = process.env, options: OciJobRunnerOptions = {}): OciJobRunner {
  const config = requireJobRunnerConfig(loadOciConfig(env));
  return new OciJobRunner(config, () => openClient(ContainerInstanceClient, config, config.endpoints.containerInstances, env), options);
}

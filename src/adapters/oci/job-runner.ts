// JobRunner on OCI Container Instances: one instance per transcoder run, restart policy NEVER, found again
// by its job-key tag and deduplicated by a stable opc-retry-token. Capacity and limit errors move on to the
// next availability domain or shape after a backoff; when every placement refuses, CapacityExhaustedError.
import { setTimeout as sleep } from 'node:timers/promises';
import { ContainerInstanceClient, models } from 'oci-containerinstances';
import { loadOciConfig, requireJobRunnerConfig, type JobRunnerConfig } from '../../config-oci.js';
import type { JobHandle, JobLaunch, JobPhase, JobRunner, JobState } from '../../ports.js';
import { openClient, retryConfiguration } from './clients.js';
import { CapacityExhaustedError, describe, isCapacityError, isRetryable, statusOf, toPortError, type PlacementMiss } from './errors.js';
import { readLogs } from './logs.js';
import { freeformTags, JOB_KEY_TAG, jobKeyTag, launchSizeProblems, MANAGED_TAG, placementLabel, placementOrder, placementsOf, retryToken, type Placement } from './placement.js';

const State = models.ContainerInstance.LifecycleState;

export interface OciJobRunnerOptions {
  /** Told about each refused placement before the next is tried (the activity logs it). */
  onPlacementMiss?: (miss: PlacementMiss, next: string | undefined) => void;
}

type Listed = JobHandle & { tags: Record<string, string>; phase: JobPhase };
type Summary = Listed & { lifecycle: models.ContainerInstance.LifecycleState };

export class OciJobRunner implements JobRunner {
  private opened: Promise<ContainerInstanceClient> | undefined;
  private readonly containerIds = new Map<string, string>();
  private readonly placements: Placement[];
  /** When each placement last refused for capacity: shortages persist, so those go to the back for a while. */
  private readonly refusedAt = new Map<Placement, number>();

  constructor(
    readonly config: JobRunnerConfig,
    private readonly open: () => Promise<ContainerInstanceClient>,
    private readonly options: OciJobRunnerOptions = {},
  ) {
    this.placements = placementsOf(config);
  }

  private async client(): Promise<ContainerInstanceClient> {
    this.opened ??= this.open();
    return this.opened.catch((error: unknown) => {
      this.opened = undefined;
      throw error;
    });
  }

  async start(job: JobLaunch): Promise<JobHandle> {
    const problems = launchSizeProblems(job.args, job.env);
    if (problems.length) throw new Error(`Cannot launch ${job.displayName}: ${problems.join('; ')}`);
    const existing = (await this.listManaged({ [JOB_KEY_TAG]: jobKeyTag(job.idempotencyKey) }))[0];
    if (existing) return { id: existing.id, placement: `${existing.placement ?? 'unknown placement'} (existing instance)` };

    const client = await this.client();
    const order = placementOrder(this.placements, this.refusedAt, Date.now());
    const misses: PlacementMiss[] = [];
    for (const [i, placement] of order.entries()) {
      try {
        const { containerInstance } = await client.createContainerInstance({
          opcRetryToken: retryToken(job.idempotencyKey, placement),
          createContainerInstanceDetails: this.details(job, placement),
          // Capacity errors go to the next placement instead of 8 SDK retries in the same one.
          retryConfiguration: retryConfiguration(this.config, (e) => isRetryable(e) && !isCapacityError(e)),
        });
        this.refusedAt.delete(placement);
        const containerId = containerInstance.containers[0]?.containerId;
        if (containerId) this.containerIds.set(containerInstance.id, containerId);
        const skipped = misses.length ? `; skipped ${misses.map((m) => `${m.availabilityDomain}/${m.shape}: ${m.reason}`).join(', ')}` : '';
        return { id: containerInstance.id, placement: `${placementLabel(placement)}${skipped}` };
      } catch (error) {
        if (!isCapacityError(error)) throw toPortError(error, `create container instance for ${job.displayName}`);
        this.refusedAt.set(placement, Date.now());
        misses.push({ availabilityDomain: placement.availabilityDomain, shape: placement.shape.shape, reason: describe(error) });
        const next = order[i + 1];
        this.options.onPlacementMiss?.(misses.at(-1)!, next && placementLabel(next));
        if (next) await sleep(Math.min(30_000, this.config.placementBackoffMs * 2 ** (misses.length - 1)));
      }
    }
    throw new CapacityExhaustedError(misses);
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

  private async containerId(instanceId: string): Promise<string | undefined> {
    const known = this.containerIds.get(instanceId);
    if (known) return known;
    const client = await this.client();
    const { containerInstance } = await client.getContainerInstance({ containerInstanceId: instanceId });
    const id = containerInstance.containers[0]?.containerId;
    if (id) this.containerIds.set(instanceId, id);
    return id;
  }

  async state(handle: JobHandle): Promise<JobState> {
    const client = await this.client();
    try {
      const { containerInstance: ci } = await client.getContainerInstance({ containerInstanceId: handle.id });
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
          return await this.fromContainer(client, ci);
      }
    } catch (error) {
      if (statusOf(error) === 404) return { phase: 'gone', message: 'instance not found' };
      throw toPortError(error, `state of ${handle.id}`);
    }
  }

  /** The exit code lives on the Container only (getContainer), never on the instance or its summary. */
  private async fromContainer(client: ContainerInstanceClient, ci: models.ContainerInstance): Promise<JobState> {
    const containerId = ci.containers[0]?.containerId;
    if (!containerId) return { phase: 'failed', message: 'instance has no container' };
    this.containerIds.set(ci.id, containerId);
    const { container } = await client.getContainer({ containerId });
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
      const containerId = await this.containerId(handle.id);
      if (!containerId) return '';
      const { value } = await (await this.client()).retrieveLogs({ containerId });
      return await readLogs(value);
    } catch (error) {
      if (statusOf(error) === 404) return '';
      throw toPortError(error, `logs of ${handle.id}`);
    }
  }

  async delete(handle: JobHandle): Promise<void> {
    const client = await this.client();
    try {
      await client.deleteContainerInstance({
        containerInstanceId: handle.id,
        // 409: already deleting. Not worth the SDK's 8 retries: deleting is the goal either way.
        retryConfiguration: retryConfiguration(this.config, (e) => isRetryable(e) && statusOf(e) !== 409),
      });
    } catch (error) {
      const status = statusOf(error);
      if (status !== 404 && status !== 409) throw toPortError(error, `delete ${handle.id}`);
    }
    this.containerIds.delete(handle.id);
  }

  /** Releases the SDK client. */
  async close(): Promise<void> {
    const opened = this.opened;
    this.opened = undefined;
    if (opened) (await opened.catch(() => undefined))?.close();
  }

  async list(tags: Record<string, string>): Promise<Listed[]> {
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
          const lifecycle = s.lifecycleState as models.ContainerInstance.LifecycleState;
          const own = s.freeformTags ?? {};
          if (own[MANAGED_TAG] === undefined || lifecycle === State.Deleted || lifecycle === State.Deleting) continue;
          if (!Object.entries(tags).every(([k, v]) => own[k] === v)) continue;
          out.push({ id: s.id, placement: `${s.availabilityDomain} ${s.shape}`, tags: own, lifecycle, phase: summaryPhase(lifecycle) });
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
function summaryPhase(state: models.ContainerInstance.LifecycleState): JobPhase {
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

// Container Instances (/20210415) subset: create (validated like the service, deduplicated by
// opc-retry-token), get, delete, list, get container, retrieve logs, work requests. Each instance really
// runs its container's process and moves CREATING -> ACTIVE -> INACTIVE (or FAILED) like the service.
import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { ContainerProcess, type ImageSpec } from './containers.js';
import type { Faults } from './faults.js';
import { ApiError, badRequest, notFound, parseJson, sendEmpty, sendJson, type Call } from './http.js';
import type { KeyRing } from './keys.js';
import { ocid } from './keys.js';
import { containerJson, instanceJson, summaryJson, validateCreate, type ContainerRec, type CreateBody, type InstanceRec } from './instance-model.js';

export interface ContainerInstancesOptions {
  region: string;
  availabilityDomains: string[];
  shapes: string[];
  images: Record<string, ImageSpec>;
  /** Variables the "platform" adds to every container (e.g. service endpoints of the stand-in). */
  platformEnv: () => Record<string, string>;
  onOutput?: (containerName: string, line: string) => void;
}

export type CiRoute = { operation: string; availabilityDomain?: string; run(call: Call): Promise<void> | void };

interface WorkRequest {
  id: string;
  operationType: string;
  resourceId: string;
  timeAccepted: Date;
}

export class ContainerInstancesService {
  readonly instances = new Map<string, InstanceRec>();
  readonly containers = new Map<string, ContainerRec>();
  private readonly tokens = new Map<string, { bodyHash: string; instanceId: string }>();
  private readonly workRequests = new Map<string, WorkRequest>();
  private readonly pending = new Set<Promise<unknown>>();
  private stopping = false;

  constructor(
    private readonly options: ContainerInstancesOptions,
    private readonly faults: Faults,
    private readonly keys: KeyRing,
  ) {}

  route(method: string, segments: string[], body: Buffer): CiRoute | undefined {
    const [collection, id, action, verb] = segments;
    if (collection === 'containerInstances') {
      if (!id && method === 'POST') {
        let availabilityDomain: string | undefined;
        try {
          availabilityDomain = (JSON.parse(body.toString('utf8') || '{}') as CreateBody).availabilityDomain;
        } catch {
          // validated again by create()
        }
        return { operation: 'CreateContainerInstance', availabilityDomain, run: (c) => this.create(c) };
      }
      if (!id && method === 'GET') return { operation: 'ListContainerInstances', run: (c) => this.list(c) };
      if (id && !action && method === 'GET') return { operation: 'GetContainerInstance', run: (c) => sendJson(c, 200, instanceJson(this.instance(id), this.containers), { etag: this.instance(id).etag }) };
      if (id && !action && method === 'DELETE') return { operation: 'DeleteContainerInstance', run: (c) => this.remove(c, id) };
    }
    if (collection === 'containers' && id) {
      if (!action && method === 'GET') return { operation: 'GetContainer', run: (c) => this.getContainer(c, id) };
      if (action === 'actions' && verb === 'retrieveLogs' && method === 'POST') return { operation: 'RetrieveLogs', run: (c) => this.logs(c, id) };
    }
    if (collection === 'workRequests' && id && method === 'GET') return { operation: 'GetWorkRequest', run: (c) => this.workRequest(c, id) };
    return undefined;
  }

  private instance(id: string): InstanceRec {
    const found = this.instances.get(id);
    if (!found) throw notFound(`Container instance ${id}`);
    return found;
  }

  private container(id: string): ContainerRec {
    const found = this.containers.get(id);
    if (!found) throw notFound(`Container ${id}`);
    return found;
  }

  private track<T>(promise: Promise<T>): void {
    this.pending.add(promise);
    void promise.finally(() => this.pending.delete(promise));
  }

  private newWorkRequest(operationType: string, resourceId: string): string {
    const id = ocid('computecontainerinstanceworkrequest', this.options.region);
    this.workRequests.set(id, { id, operationType, resourceId, timeAccepted: new Date() });
    return id;
  }

  private async create(call: Call): Promise<void> {
    const body = parseJson<CreateBody>(call);
    validateCreate(body, this.options);
    const token = call.req.headers['opc-retry-token'];
    const bodyHash = createHash('sha256').update(call.body).digest('hex');
    if (typeof token === 'string') {
      const seen = this.tokens.get(token);
      if (seen && seen.bodyHash !== bodyHash) throw new ApiError(409, 'Conflict', 'The retry token was already used with a different request');
      if (seen) {
        const existing = this.instance(seen.instanceId);
        sendJson(call, 200, instanceJson(existing, this.containers), { etag: existing.etag, 'opc-work-request-id': existing.createWorkRequest });
        return;
      }
    }
    if (this.faults.createDelayMs > 0) await sleep(this.faults.createDelayMs);
    const now = new Date();
    const rec: InstanceRec = {
      id: ocid('computecontainerinstance', this.options.region),
      etag: createHash('md5').update(bodyHash + now.toISOString()).digest('hex'),
      displayName: body.displayName ?? `containerinstance${now.getTime()}`,
      compartmentId: body.compartmentId,
      availabilityDomain: body.availabilityDomain,
      faultDomain: body.faultDomain ?? 'FAULT-DOMAIN-1',
      shape: body.shape,
      shapeConfig: body.shapeConfig,
      subnetId: body.vnics[0]!.subnetId,
      containerIds: [],
      lifecycleState: 'CREATING',
      timeCreated: now,
      timeUpdated: now,
      freeformTags: body.freeformTags ?? {},
      containerRestartPolicy: body.containerRestartPolicy ?? 'ALWAYS',
      gracefulShutdownTimeoutInSeconds: body.gracefulShutdownTimeoutInSeconds ?? 0,
      createWorkRequest: '',
    };
    rec.createWorkRequest = this.newWorkRequest('CREATE_CONTAINER_INSTANCE', rec.id);
    for (const [i, spec] of body.containers.entries()) {
      const c: ContainerRec = {
        id: ocid('computecontainer', this.options.region),
        instanceId: rec.id,
        displayName: spec.displayName ?? `container-${i}`,
        imageUrl: spec.imageUrl,
        command: spec.command,
        arguments: spec.arguments ?? [],
        environmentVariables: spec.environmentVariables ?? {},
        lifecycleState: 'CREATING',
        timeCreated: now,
        restartCount: 0,
      };
      this.containers.set(c.id, c);
      rec.containerIds.push(c.id);
    }
    this.instances.set(rec.id, rec);
    if (typeof token === 'string') this.tokens.set(token, { bodyHash, instanceId: rec.id });
    this.track(this.boot(rec));
    sendJson(call, 200, instanceJson(rec, this.containers), { etag: rec.etag, 'opc-work-request-id': rec.createWorkRequest });
  }

  /** CREATING for a while (image pull), then each container's process starts. */
  private async boot(rec: InstanceRec): Promise<void> {
    await sleep(this.faults.creatingMs);
    if (rec.lifecycleState !== 'CREATING' || this.stopping) return;
    const missing = rec.containerIds.map((id) => this.containers.get(id)!).find((c) => !this.options.images[c.imageUrl]);
    if (missing) {
      rec.lifecycleState = 'FAILED';
      rec.lifecycleDetails = `Failed to pull image ${missing.imageUrl}: not found or not authorized`;
      for (const id of rec.containerIds) this.containers.get(id)!.lifecycleState = 'FAILED';
      rec.timeUpdated = new Date();
      return;
    }
    // Like OCI, the container gets its instance's resource principal, with no key material from the caller.
    rec.principalEnv = this.keys.mintResourcePrincipal('computecontainerinstance', rec.id, rec.compartmentId, this.options.region);
    rec.lifecycleState = 'ACTIVE';
    rec.timeUpdated = new Date();
    for (const id of rec.containerIds) this.run(rec, this.containers.get(id)!);
  }

  private run(rec: InstanceRec, c: ContainerRec): void {
    const proc = new ContainerProcess(c.displayName);
    c.process = proc;
    c.lifecycleState = 'ACTIVE';
    c.exitCode = undefined;
    proc.start(
      {
        image: this.options.images[c.imageUrl]!,
        command: c.command,
        args: c.arguments,
        env: { ...c.environmentVariables, ...rec.principalEnv, ...this.options.platformEnv() },
      },
      this.options.onOutput && ((line) => this.options.onOutput!(c.displayName, line)),
    );
    const crash = this.faults.takeCrash();
    if (crash) setTimeout(() => proc.kill('SIGKILL'), crash.afterMs).unref();
    this.track(
      proc.exited.then((exit) => {
        c.exitCode = exit.exitCode;
        c.timeTerminated = new Date();
        if (rec.lifecycleState === 'DELETING' || rec.lifecycleState === 'DELETED') return;
        const restart = rec.containerRestartPolicy === 'ALWAYS' || (rec.containerRestartPolicy === 'ON_FAILURE' && exit.exitCode !== 0);
        if (restart && !this.stopping) {
          c.restartCount += 1;
          setTimeout(() => rec.lifecycleState === 'ACTIVE' && this.run(rec, c), 500).unref();
          return;
        }
        c.lifecycleState = 'INACTIVE';
        const all = rec.containerIds.map((id) => this.containers.get(id)!);
        if (all.every((x) => x.lifecycleState === 'INACTIVE')) {
          rec.lifecycleState = 'INACTIVE';
          rec.timeUpdated = new Date();
        }
      }),
    );
  }

  private remove(call: Call, id: string): void {
    const rec = this.instance(id);
    if (rec.lifecycleState === 'DELETED') throw notFound(`Container instance ${id}`);
    const workRequest = this.newWorkRequest('DELETE_CONTAINER_INSTANCE', id);
    if (rec.lifecycleState !== 'DELETING') {
      rec.lifecycleState = 'DELETING';
      rec.timeUpdated = new Date();
      this.track(this.teardown(rec));
    }
    sendEmpty(call, 202, { 'opc-work-request-id': workRequest });
  }

  private async teardown(rec: InstanceRec): Promise<void> {
    const grace = Math.min(2000, rec.gracefulShutdownTimeoutInSeconds * 1000);
    await Promise.all(rec.containerIds.map(async (cid) => {
      const c = this.containers.get(cid)!;
      await c.process?.stop(grace);
      c.process?.removeHome();
      c.lifecycleState = 'DELETED';
    }));
    if (rec.principalEnv) this.keys.revokeToken(rec.principalEnv.OCI_RESOURCE_PRINCIPAL_RPST!);
    rec.lifecycleState = 'DELETED';
    rec.timeUpdated = new Date();
  }

  private list(call: Call): void {
    const q = call.url.searchParams;
    const compartmentId = q.get('compartmentId');
    if (!compartmentId) throw badRequest('compartmentId is required', 'MissingParameter');
    const limit = Number(q.get('limit') ?? 100);
    const offset = Number(q.get('page') ?? 0);
    const matches = [...this.instances.values()]
      .filter((i) => i.compartmentId === compartmentId)
      .filter((i) => !q.get('lifecycleState') || i.lifecycleState === q.get('lifecycleState'))
      .filter((i) => !q.get('availabilityDomain') || i.availabilityDomain === q.get('availabilityDomain'))
      .filter((i) => !q.get('displayName') || i.displayName === q.get('displayName'))
      .sort((a, b) => b.timeCreated.getTime() - a.timeCreated.getTime());
    const page = matches.slice(offset, offset + limit);
    const next: Record<string, string> = offset + limit < matches.length ? { 'opc-next-page': String(offset + limit) } : {};
    sendJson(call, 200, { items: page.map(summaryJson) }, next);
  }

  private getContainer(call: Call, id: string): void {
    const c = this.container(id);
    sendJson(call, 200, containerJson(c, this.instances.get(c.instanceId)));
  }

  private logs(call: Call, id: string): void {
    const c = this.container(id);
    const body = Buffer.from(c.process?.logs.text() ?? '');
    call.res.writeHead(200, { 'content-type': 'text/plain', 'content-length': String(body.length), 'opc-request-id': call.requestId });
    call.res.end(body);
  }

  private workRequest(call: Call, id: string): void {
    const wr = this.workRequests.get(id);
    if (!wr) throw notFound(`Work request ${id}`);
    const rec = this.instances.get(wr.resourceId);
    const done = wr.operationType.startsWith('CREATE') ? rec?.lifecycleState !== 'CREATING' : rec?.lifecycleState === 'DELETED';
    const failed = wr.operationType.startsWith('CREATE') && rec?.lifecycleState === 'FAILED';
    sendJson(call, 200, {
      id: wr.id, operationType: wr.operationType, compartmentId: rec?.compartmentId,
      status: failed ? 'FAILED' : done ? 'SUCCEEDED' : 'IN_PROGRESS', percentComplete: done ? 100 : 0,
      resources: [{ entityType: 'ContainerInstance', actionType: wr.operationType.startsWith('CREATE') ? 'CREATED' : 'DELETED', identifier: wr.resourceId }],
      timeAccepted: wr.timeAccepted.toISOString(),
    });
  }

  /** Instances not deleted, and processes still running: a clean run leaves neither. */
  leftovers(): { instances: InstanceRec[]; running: number } {
    return {
      instances: [...this.instances.values()].filter((i) => i.lifecycleState !== 'DELETED'),
      running: [...this.containers.values()].filter((c) => c.process?.running).length,
    };
  }

  async stop(): Promise<void> {
    this.stopping = true;
    await Promise.all([...this.containers.values()].map(async (c) => {
      await c.process?.stop(500);
      c.process?.removeHome();
    }));
    await Promise.allSettled([...this.pending]);
  }
}

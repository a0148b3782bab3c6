// Container Instances (/20210415) subset: create (validated like the service, deduplicated by
// opc-retry-token), get, delete, list, get container, retrieve logs, work requests and their errors. Each
// instance really runs its container's process and moves CREATING -> ACTIVE -> INACTIVE (or FAILED) like
// the service, which is asynchronous: a create is accepted in CREATING and may still fail later (the work
// request then carries the error), logs exist only once the container runs, a DELETED record stays readable
// for a while and then answers 404, and listings lag behind (faults.ts sets each timing).
import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { ContainerProcess, type ImageSpec } from './containers.js';
import type { Faults } from './faults.js';
import { ApiError, badRequest, notFound, parseJson, sendEmpty, sendJson, type Call } from './http.js';
import type { KeyRing } from './keys.js';
import { ocid } from './keys.js';
import { containerJson, instanceJson, setState, stateAt, summaryJson, validateCreate, type ContainerRec, type CreateBody, type InstanceRec } from './instance-model.js';

export interface ContainerInstancesOptions {
  region: string;
  availabilityDomains: string[];
  shapes: string[];
  images: Record<string, ImageSpec>;
  /** IAM: whether the instance's own principal may pull the image (false fails the pull like an unknown image). */
  mayPull?: (instance: { id: string; compartmentId: string }, imageUrl: string) => boolean;
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
  errors: { code: string; message: string; timestamp: string }[];
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
    if (collection === 'workRequests' && id && !action && method === 'GET') return { operation: 'GetWorkRequest', run: (c) => this.workRequest(c, id) };
    if (collection === 'workRequests' && id && action === 'errors' && method === 'GET') return { operation: 'ListWorkRequestErrors', run: (c) => this.workRequestErrors(c, id) };
    return undefined;
  }

  private instance(id: string): InstanceRec {
    const found = this.instances.get(id);
    if (!found || found.purged) throw notFound(`Container instance ${id}`);
    return found;
  }

  private container(id: string): ContainerRec {
    const found = this.containers.get(id);
    if (!found || this.instances.get(found.instanceId)?.purged) throw notFound(`Container ${id}`);
    return found;
  }

  private track<T>(promise: Promise<T>): void {
    this.pending.add(promise);
    void promise.finally(() => this.pending.delete(promise));
  }

  private newWorkRequest(operationType: string, resourceId: string): string {
    const id = ocid('computecontainerinstanceworkrequest', this.options.region);
    this.workRequests.set(id, { id, operationType, resourceId, timeAccepted: new Date(), errors: [] });
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
      history: [{ at: now.getTime(), state: 'CREATING' }],
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

  /** CREATING for a while (image pull), then each container's process starts, or the work request fails. */
  private async boot(rec: InstanceRec): Promise<void> {
    await sleep(this.faults.creatingMs);
    if (rec.lifecycleState !== 'CREATING' || this.stopping) return;
    const missing = rec.containerIds.map((id) => this.containers.get(id)!).find((c) => !this.options.images[c.imageUrl] || this.options.mayPull?.(rec, c.imageUrl) === false);
    const late = missing ? undefined : this.faults.takeAsyncFailure(rec.availabilityDomain);
    if (missing || late) {
      const error = missing
        ? { code: 'InternalError', message: `Failed to pull image ${missing.imageUrl}: not found or not authorized` }
        : { code: late!.code, message: late!.message };
      this.workRequests.get(rec.createWorkRequest)?.errors.push({ ...error, timestamp: new Date().toISOString() });
      for (const id of rec.containerIds) this.containers.get(id)!.lifecycleState = 'FAILED';
      setState(rec, 'FAILED', error.message);
      return;
    }
    // Like OCI, the container gets its instance's resource principal, with no key material from the caller.
    rec.principalEnv = this.keys.mintResourcePrincipal('computecontainerinstance', rec.id, rec.compartmentId, this.options.region);
    setState(rec, 'ACTIVE');
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
        if (all.every((x) => x.lifecycleState === 'INACTIVE')) setState(rec, 'INACTIVE');
      }),
    );
  }

  private remove(call: Call, id: string): void {
    const rec = this.instance(id);
    if (rec.lifecycleState === 'DELETED') throw notFound(`Container instance ${id}`);
    const workRequest = this.newWorkRequest('DELETE_CONTAINER_INSTANCE', id);
    if (rec.lifecycleState !== 'DELETING') {
      setState(rec, 'DELETING');
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
    setState(rec, 'DELETED');
    setTimeout(() => (rec.purged = true), this.faults.deletedVisibleMs).unref();
  }

  private list(call: Call): void {
    const q = call.url.searchParams;
    const compartmentId = q.get('compartmentId');
    if (!compartmentId) throw badRequest('compartmentId is required', 'MissingParameter');
    const limit = Number(q.get('limit') ?? 100);
    const offset = Number(q.get('page') ?? 0);
    // The listing is eventually consistent: it shows each instance as it was listLagMs ago.
    const asOf = Date.now() - this.faults.listLagMs;
    const matches = [...this.instances.values()]
      .filter((i) => i.compartmentId === compartmentId && !i.purged)
      .map((i) => ({ rec: i, state: stateAt(i, asOf) }))
      .filter((i) => i.state !== undefined)
      .filter((i) => !q.get('lifecycleState') || i.state === q.get('lifecycleState'))
      .filter((i) => !q.get('availabilityDomain') || i.rec.availabilityDomain === q.get('availabilityDomain'))
      .filter((i) => !q.get('displayName') || i.rec.displayName === q.get('displayName'))
      .sort((a, b) => b.rec.timeCreated.getTime() - a.rec.timeCreated.getTime());
    const page = matches.slice(offset, offset + limit);
    const next: Record<string, string> = offset + limit < matches.length ? { 'opc-next-page': String(offset + limit) } : {};
    sendJson(call, 200, { items: page.map((i) => summaryJson(i.rec, i.state)) }, next);
  }

  private getContainer(call: Call, id: string): void {
    const c = this.container(id);
    sendJson(call, 200, containerJson(c, this.instances.get(c.instanceId)));
  }

  private logs(call: Call, id: string): void {
    const c = this.container(id);
    // Nothing has run yet: the service has no logs to retrieve until the container starts.
    if (!c.process) throw new ApiError(409, 'IncorrectState', `Logs of container ${id} are not available while it is ${c.lifecycleState}`);
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

  private workRequestErrors(call: Call, id: string): void {
    const wr = this.workRequests.get(id);
    if (!wr) throw notFound(`Work request ${id}`);
    sendJson(call, 200, { items: wr.errors });
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

// A local stand-in for the OCI APIs our clients call (Object Storage, Container Instances /20210415,
// Secrets /20190301) on 127.0.0.1. Every request but PAR reads must carry a valid OCI signature from a
// known key (an API key or a resource principal the stand-in minted); others get 401 and are counted.
// Then IAM (iam/): the principal's policy statements (deploy/oci-policies.yaml) must grant what the
// operation needs, or the request gets OCI's 404 and its record names the missing permissions.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ContainerInstancesService } from './container-instances.js';
import { StandInIam } from './iam/stand-in-iam.js';
import { standInWorld } from './iam/world.js';
import type { ImageSpec } from './containers.js';
import { Faults, LOST, type Service } from './faults.js';
import { ApiError, newRequestId, readBody, sendError, type Call } from './http.js';
import { KeyRing, makeApiKey, ocid, type ApiKey } from './keys.js';
import { NotificationsService } from './notifications.js';
import { ObjectStorageService } from './object-storage.js';
import { SecretsService } from './secrets.js';
import { verifyRequest, type Principal } from './signature.js';

export interface StandInOptions {
  port?: number;
  namespace?: string;
  region?: string;
  buckets?: string[];
  availabilityDomains?: string[];
  shapes?: string[];
  /** Image URL -> what its container runs. Creating an instance of any other image fails (image pull). */
  images?: Record<string, ImageSpec>;
  /** Container output lines, e.g. to print them while debugging a test. */
  onContainerOutput?: (container: string, line: string) => void;
  /** Policy file to enforce (default deploy/oci-policies.yaml). */
  policyFile?: string;
  /** Placeholder values to use instead of the stand-in's own (e.g. `'<secret-ocid>'`). */
  policyValues?: Record<string, string>;
}

export interface RequestRecord {
  service: Service | 'unknown';
  operation: string;
  method: string;
  path: string;
  status: number;
  principal?: Principal;
  rejected?: string;
  /** The permissions IAM found missing (the request was answered 404). */
  denied?: string[];
  retryToken?: string;
}

export interface Stats {
  verified: number;
  rejected: number;
  unsignedAllowed: number;
  byOperation: Record<string, number>;
}

const PREFIX: Record<string, Service> = { '20210415': 'containerinstances', '20190301': 'secrets', '20181201': 'notifications' };

export class OciStandIn {
  readonly namespace: string;
  readonly region: string;
  readonly tenancy = ocid('tenancy');
  /** The pipeline's compartment (buckets, container instances, the function, secrets): `<compartment>`. */
  readonly compartmentName = 'oci-transcode';
  readonly compartmentId = ocid('compartment');
  /** Repositories and the subnet live in compartments of their own, so a policy naming the wrong one fails. */
  readonly repoCompartmentId = ocid('compartment');
  readonly networkCompartmentId = ocid('compartment');
  readonly subnetId = ocid('subnet');
  /** The starter function (`<function-ocid>`) and the worker's compute instance (`<worker-instance-ocid>`). */
  readonly functionId: string;
  readonly workerInstanceId = ocid('instance');
  readonly availabilityDomains: string[];
  readonly faults = new Faults();
  readonly keys = new KeyRing(this.tenancy);
  readonly objectStorage: ObjectStorageService;
  readonly containerInstances: ContainerInstancesService;
  readonly secrets = new SecretsService();
  /** OCI Notifications topics and what was published to them (notifications.ts). */
  readonly notifications: NotificationsService;
  readonly iam: StandInIam;
  readonly stats: Stats = { verified: 0, rejected: 0, unsignedAllowed: 0, byOperation: {} };
  readonly requests: RequestRecord[] = [];
  private readonly server = createServer((req, res) => void this.handle(req, res));
  private origin = '';

  constructor(readonly options: StandInOptions = {}) {
    this.namespace = options.namespace ?? 'standin';
    this.region = options.region ?? 'eu-frankfurt-1';
    this.availabilityDomains = options.availabilityDomains ?? ['Uocm:EU-FRANKFURT-1-AD-1', 'Uocm:EU-FRANKFURT-1-AD-2', 'Uocm:EU-FRANKFURT-1-AD-3'];
    this.functionId = ocid('fnfunc', this.region);
    this.notifications = new NotificationsService(this.region);
    this.objectStorage = new ObjectStorageService(this.namespace);
    for (const bucket of options.buckets ?? []) this.objectStorage.createBucket(bucket);
    this.containerInstances = new ContainerInstancesService(
      {
        region: this.region,
        availabilityDomains: this.availabilityDomains,
        shapes: options.shapes ?? ['CI.Standard.E4.Flex', 'CI.Standard.E3.Flex', 'CI.Standard.A1.Flex'],
        images: options.images ?? {},
        platformEnv: () => this.endpointEnv(),
        onOutput: options.onContainerOutput,
        mayPull: (rec, imageUrl) => this.iam.mayPull(rec, imageUrl, this.repoCompartmentId),
      },
      this.faults,
      this.keys,
    );
    this.iam = this.createIam();
  }

  private createIam(): StandInIam {
    const root = { id: this.tenancy, name: 'tenancy' };
    const compartments = [
      { id: this.compartmentId, name: this.compartmentName, parentId: root.id },
      { id: this.repoCompartmentId, name: 'oci-transcode-images', parentId: root.id },
      { id: this.networkCompartmentId, name: 'oci-transcode-network', parentId: root.id },
    ];
    const { objectStorage, containerInstances, secrets, notifications, compartmentId } = this;
    const world = standInWorld({ objectStorage, containerInstances, secrets, notifications, compartmentId, subnets: new Map([[this.subnetId, this.networkCompartmentId]]) });
    const values = (): Record<string, string> => ({
      '<compartment>': this.compartmentName,
      '<compartment-ocid>': this.compartmentId,
      '<network-compartment>': 'oci-transcode-network',
      '<repo-compartment>': 'oci-transcode-images',
      '<source-bucket>': 'media-in',
      '<dest-bucket>': 'media-out',
      '<function-ocid>': this.functionId,
      '<worker-instance-ocid>': this.workerInstanceId,
      // The secret a test registers first is the function's (no test registers it under another id).
      '<secret-ocid>': this.secrets.secrets.keys().next().value ?? 'ocid1.vaultsecret.oc1..none-registered',
      ...this.options.policyValues,
    });
    return new StandInIam({ tenancy: root, compartments, keys: this.keys, world, values, policyFile: this.options.policyFile });
  }

  get url(): string {
    return this.origin;
  }

  async start(): Promise<this> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.options.port ?? 0, '127.0.0.1', () => resolve());
    });
    this.origin = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async stop(): Promise<void> {
    await this.containerInstances.stop();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** Endpoint overrides pointing our OCI clients here (the stand-in's answer to DNS). */
  endpointEnv(): Record<string, string> {
    return {
      OCI_TRANSCODE_OCI_ENDPOINT_OBJECTSTORAGE: this.origin,
      OCI_TRANSCODE_OCI_ENDPOINT_CONTAINERINSTANCES: this.origin,
      OCI_TRANSCODE_OCI_ENDPOINT_SECRETS: this.origin,
      OCI_TRANSCODE_OCI_ENDPOINT_NOTIFICATIONS: this.origin,
    };
  }

  /**
   * A new API key, registered: its public half verifies the holder's signatures. Its user is in `groups`:
   * by default the worker's group of the policy file; a test acting as an operator (uploading sources,
   * reading what it likes) uses the tenancy's Administrators (ADMIN_GROUP).
   */
  createApiKey(options: { groups?: string[] } = {}): ApiKey {
    const key = makeApiKey(this.tenancy);
    this.keys.addApiKey(key, options.groups ?? [this.iam.workerGroup]);
    return key;
  }

  /** Environment for a worker signing with an API key (auth api-key), pointed at the stand-in. */
  workerEnv(key: ApiKey): Record<string, string> {
    return {
      OCI_TRANSCODE_OCI_AUTH: 'api-key',
      OCI_TRANSCODE_OCI_TENANCY: key.tenancy,
      OCI_TRANSCODE_OCI_USER: key.user,
      OCI_TRANSCODE_OCI_FINGERPRINT: key.fingerprint,
      OCI_TRANSCODE_OCI_PRIVATE_KEY: key.privateKeyPem,
      OCI_TRANSCODE_OCI_REGION: this.region,
      OCI_TRANSCODE_NAMESPACE: this.namespace,
      OCI_TRANSCODE_OCI_COMPARTMENT: this.compartmentId,
      OCI_TRANSCODE_OCI_SUBNET: this.subnetId,
      OCI_TRANSCODE_OCI_AVAILABILITY_DOMAINS: this.availabilityDomains.join(','),
      ...this.endpointEnv(),
    };
  }

  /** Resource principal variables as the Functions platform sets them for a function. */
  functionPrincipalEnv(functionId = this.functionId): Record<string, string> {
    return this.keys.mintResourcePrincipal('fnfunc', functionId, this.compartmentId, this.region);
  }

  /** What Events checks before delivering an event to the starter function (fn-host's `events` option). */
  eventsInvoker(): { mayInvoke(): string | undefined } {
    return this.iam.eventsInvoker(this.functionId, this.compartmentId);
  }

  count(operation: string): number {
    return this.stats.byOperation[operation] ?? 0;
  }

  private route(method: string, segments: string[], body: Buffer) {
    const service = PREFIX[segments[0] ?? ''];
    if (service === 'containerinstances') return { service, route: this.containerInstances.route(method, segments.slice(1), body) };
    if (service === 'secrets') return { service, route: this.secrets.route(method, segments.slice(1)) };
    if (service === 'notifications') return { service, route: this.notifications.route(method, segments.slice(1)) };
    return { service: 'objectstorage' as const, route: this.objectStorage.route(method, segments) };
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const requestId = newRequestId();
    const method = req.method ?? 'GET';
    const record: RequestRecord = { service: 'unknown', operation: 'unknown', method, path: req.url ?? '', status: 0 };
    this.requests.push(record);
    res.on('finish', () => (record.status = record.status === LOST ? LOST : res.statusCode));
    try {
      const body = await readBody(req);
      const url = new URL(req.url ?? '/', this.origin);
      let segments: string[];
      try {
        segments = url.pathname.split('/').slice(1).map(decodeURIComponent);
      } catch {
        throw new ApiError(400, 'InvalidParameter', 'The path is not valid percent-encoding');
      }
      const { service, route } = this.route(method, segments, body);
      if (!route) throw new ApiError(404, 'NotFound', `No such API: ${method} ${url.pathname}`);
      record.service = service;
      record.operation = route.operation;
      const token = req.headers['opc-retry-token'];
      if (typeof token === 'string') record.retryToken = token;
      if ('unsigned' in route && route.unsigned) {
        this.stats.unsignedAllowed += 1;
      } else {
        const verdict = verifyRequest({ req, body, bodyExempt: 'bodyExempt' in route && route.bodyExempt === true, lookup: this.keys.lookup });
        if (!verdict.ok) {
          this.stats.rejected += 1;
          record.rejected = verdict.reason;
          throw new ApiError(401, 'NotAuthenticated', `The required information to complete authentication was not provided or was incorrect (${verdict.reason})`);
        }
        this.stats.verified += 1;
        record.principal = verdict.principal;
        const denial = this.iam.check(verdict.principal, service, { operation: route.operation, segments, query: url.searchParams, body });
        if (denial) {
          record.denied = denial.missing;
          throw denial.error;
        }
      }
      this.stats.byOperation[route.operation] = (this.stats.byOperation[route.operation] ?? 0) + 1;
      const delay = this.faults.delayOf(route.operation);
      if (delay > 0) await new Promise((r) => setTimeout(r, delay));
      const fault = this.faults.take({ service, operation: route.operation, availabilityDomain: 'availabilityDomain' in route ? route.availabilityDomain : undefined });
      if (fault && fault.status !== LOST) throw new ApiError(fault.status, fault.code, fault.message);
      const call: Call = { req, res, method, url, segments, body, requestId, origin: `http://${req.headers.host ?? this.origin.slice(7)}` };
      if (fault) {
        // Carry the request out, then drop the connection instead of answering.
        call.res = blackHole();
        await route.run(call);
        record.status = LOST;
        req.socket.destroy();
        return;
      }
      await route.run(call);
    } catch (error) {
      const apiError = error instanceof ApiError ? error : new ApiError(500, 'InternalServerError', String(error));
      if (!(error instanceof ApiError)) console.error('[oci-stand-in]', error);
      sendError(res, requestId, apiError, method);
    }
  }
}

/** A response that swallows what a handler writes. */
function blackHole(): ServerResponse {
  const sink = { headersSent: false, writeHead: () => sink, setHeader: () => sink, end: () => sink, write: () => true, destroy: () => sink };
  return sink as unknown as ServerResponse;
}

export async function startOciStandIn(options: StandInOptions = {}): Promise<OciStandIn> {
  return new OciStandIn(options).start();
}

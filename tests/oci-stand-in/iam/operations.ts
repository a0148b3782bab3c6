// Operation -> the permissions it needs, on which target (compartment and condition variables), for
// every operation the stand-in serves, plus the two it performs itself: pulling a container image at boot
// and Events invoking the function. Pure: the stand-in's state comes in through `World`.
// Where Oracle's table could not be read, the stricter reading is taken and the operation is marked
// `unconfirmed` below (deploy/oci-policies.yaml lists each, a unit test keeps the two in step).

export interface Requirement {
  permission: string;
  /** Compartment the permission is checked in; `unknown:<what>` when the target's compartment is not known here. */
  compartmentId: string;
  /** The target's condition variables (target.bucket.name, target.secret.id, ...). */
  vars: Record<string, string>;
}

/** What the stand-in knows of its resources; undefined means no such resource. */
export interface World {
  bucketCompartment(bucket: string): string | undefined;
  objectExists(bucket: string, name: string): boolean;
  instance(id: string): { compartmentId: string; subnetId: string } | undefined;
  /** The instance a container belongs to. */
  instanceOfContainer(containerId: string): string | undefined;
  workRequestCompartment(id: string): string | undefined;
  secretCompartment(secretId: string): string | undefined;
  subnetCompartment(subnetId: string): string | undefined;
  topicCompartment(topicId: string): string | undefined;
}

export interface RequestFacts {
  operation: string;
  /** Path segments as the server split them (with the API version prefix for Container Instances and Secrets). */
  segments: string[];
  query: URLSearchParams;
  body: Buffer;
}

/** How sure we are of each operation's permissions. */
export const OPERATION_SOURCES: Record<string, 'checked' | 'unconfirmed'> = {
  GetNamespace: 'unconfirmed',
  ListObjects: 'unconfirmed',
  HeadObject: 'unconfirmed',
  GetObject: 'checked',
  PutObject: 'unconfirmed',
  DeleteObject: 'unconfirmed',
  CreateMultipartUpload: 'unconfirmed',
  UploadPart: 'unconfirmed',
  CommitMultipartUpload: 'unconfirmed',
  AbortMultipartUpload: 'unconfirmed',
  CreatePreauthenticatedRequest: 'checked',
  DeletePreauthenticatedRequest: 'checked',
  CreateContainerInstance: 'checked',
  GetContainerInstance: 'checked',
  ListContainerInstances: 'checked',
  DeleteContainerInstance: 'unconfirmed',
  GetContainer: 'checked',
  RetrieveLogs: 'checked',
  GetWorkRequest: 'unconfirmed',
  ListWorkRequestErrors: 'checked',
  GetSecretBundle: 'unconfirmed',
  PublishMessage: 'checked',
  PullImage: 'unconfirmed',
  InvokeFunction: 'unconfirmed',
};

const unknown = (what: string): string => `unknown:${what}`;

function parseBody(body: Buffer): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(body.toString('utf8') || '{}');
    return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** Permissions an ObjectRead/ObjectWrite/... PAR's creator must hold on top of PAR_MANAGE (checked). */
function parAccess(accessType: string, listing: unknown): string[] {
  const perms: string[] = [];
  if (/Read/.test(accessType)) perms.push('OBJECT_READ');
  if (/Write/.test(accessType)) perms.push('OBJECT_CREATE', 'OBJECT_OVERWRITE');
  if (listing === 'ListObjects') perms.push('OBJECT_INSPECT');
  return perms;
}

function objectStorage(facts: RequestFacts, world: World): Requirement[] | undefined {
  if (facts.operation === 'GetNamespace') return [];
  const [, , , bucket, , ...rest] = facts.segments;
  if (!bucket) return undefined;
  const compartmentId = world.bucketCompartment(bucket);
  if (!compartmentId) return undefined; // the service answers BucketNotFound itself
  const on = (...permissions: string[]): Requirement[] => permissions.map((permission) => ({ permission, compartmentId, vars: { 'target.bucket.name': bucket } }));
  const name = rest.join('/');
  switch (facts.operation) {
    case 'ListObjects':
      return on('OBJECT_INSPECT');
    case 'HeadObject':
    case 'GetObject':
      return on('OBJECT_READ');
    case 'PutObject':
      return on(world.objectExists(bucket, name) ? 'OBJECT_OVERWRITE' : 'OBJECT_CREATE');
    case 'DeleteObject':
    case 'AbortMultipartUpload':
      return on('OBJECT_DELETE');
    case 'CreateMultipartUpload':
    case 'UploadPart':
    case 'CommitMultipartUpload':
      return on('OBJECT_CREATE', 'OBJECT_OVERWRITE');
    case 'CreatePreauthenticatedRequest': {
      const details = parseBody(facts.body);
      if (typeof details?.accessType !== 'string') return undefined; // the service rejects the body
      return on('PAR_MANAGE', ...parAccess(details.accessType, details.bucketListingAction));
    }
    case 'DeletePreauthenticatedRequest':
      return on('PAR_MANAGE');
    default:
      return undefined;
  }
}

function containerInstances(facts: RequestFacts, world: World): Requirement[] | undefined {
  const [, , id] = facts.segments;
  const inCompartment = (compartmentId: string, ...permissions: string[]): Requirement[] => permissions.map((permission) => ({ permission, compartmentId, vars: {} }));
  const instance = (instanceId: string | undefined) => (instanceId ? world.instance(instanceId) : undefined);
  switch (facts.operation) {
    case 'CreateContainerInstance': {
      const body = parseBody(facts.body);
      const compartmentId = body?.compartmentId;
      const subnetId = (body?.vnics as { subnetId?: unknown }[] | undefined)?.[0]?.subnetId;
      if (typeof compartmentId !== 'string' || typeof subnetId !== 'string') return undefined; // the service validates the body
      return [
        ...inCompartment(compartmentId, 'COMPUTE_CONTAINER_INSTANCE_CREATE', 'COMPUTE_CONTAINER_CREATE', 'VNIC_CREATE'),
        ...inCompartment(world.subnetCompartment(subnetId) ?? unknown(subnetId), 'SUBNET_USE'),
      ];
    }
    case 'ListContainerInstances': {
      const compartmentId = facts.query.get('compartmentId');
      return compartmentId ? inCompartment(compartmentId, 'COMPUTE_CONTAINER_INSTANCE_INSPECT') : undefined;
    }
    case 'GetContainerInstance': {
      const rec = instance(id);
      return rec && inCompartment(rec.compartmentId, 'COMPUTE_CONTAINER_INSTANCE_READ', 'COMPUTE_CONTAINER_INSPECT');
    }
    case 'DeleteContainerInstance': {
      const rec = instance(id);
      return (
        rec && [
          ...inCompartment(rec.compartmentId, 'COMPUTE_CONTAINER_INSTANCE_DELETE', 'COMPUTE_CONTAINER_DELETE', 'VNIC_DELETE'),
          ...inCompartment(world.subnetCompartment(rec.subnetId) ?? unknown(rec.subnetId), 'SUBNET_DETACH'),
        ]
      );
    }
    case 'GetContainer':
    case 'RetrieveLogs': {
      const rec = instance(id ? world.instanceOfContainer(id) : undefined);
      return rec && inCompartment(rec.compartmentId, facts.operation === 'GetContainer' ? 'COMPUTE_CONTAINER_READ' : 'COMPUTE_CONTAINER_LOG_RETRIEVE');
    }
    case 'GetWorkRequest':
    case 'ListWorkRequestErrors': {
      const compartmentId = id ? world.workRequestCompartment(id) : undefined;
      const permission = facts.operation === 'GetWorkRequest' ? 'COMPUTE_CONTAINER_INSTANCE_READ' : 'COMPUTE_CONTAINER_INSTANCE_INSPECT';
      return compartmentId ? inCompartment(compartmentId, permission) : undefined;
    }
    default:
      return undefined;
  }
}

/**
 * What a request needs. undefined: nothing to check here because the target does not exist (or the body
 * is malformed), and the service's own answer (404, 400) is what OCI gives too. []: no permission needed.
 */
export function requirementsFor(service: string, facts: RequestFacts, world: World): Requirement[] | undefined {
  if (service === 'objectstorage') return objectStorage(facts, world);
  if (service === 'containerinstances') return containerInstances(facts, world);
  if (service === 'secrets' && facts.operation === 'GetSecretBundle') {
    const secretId = facts.segments[2];
    const compartmentId = secretId ? world.secretCompartment(secretId) : undefined;
    return compartmentId && secretId ? [{ permission: 'SECRET_BUNDLE_READ', compartmentId, vars: { 'target.secret.id': secretId } }] : undefined;
  }
  if (service === 'notifications' && facts.operation === 'PublishMessage') {
    // Oracle's "Details for Notifications": PublishMessage needs ONS_TOPIC_PUBLISH (use ons-topics); only general variables.
    const topicId = facts.segments[2];
    const compartmentId = topicId ? world.topicCompartment(topicId) : undefined;
    return compartmentId ? [{ permission: 'ONS_TOPIC_PUBLISH', compartmentId, vars: {} }] : undefined;
  }
  return undefined;
}

/** Pulling `imageUrl` (region-key.ocir.io/<namespace>/<repo>:<tag>) from a repository in `compartmentId`. */
export function pullRequirements(imageUrl: string, compartmentId: string): Requirement[] {
  const path = imageUrl.replace(/^[^/]+\/[^/]+\//, '').replace(/[:@].*$/, '');
  return [{ permission: 'REPOSITORY_READ', compartmentId, vars: { 'target.repo.name': path } }];
}

/** Events (or anyone) invoking a function in `compartmentId`. */
export function invokeRequirements(compartmentId: string): Requirement[] {
  return [{ permission: 'FN_INVOCATION', compartmentId, vars: {} }];
}

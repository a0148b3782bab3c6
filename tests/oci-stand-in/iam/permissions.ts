// Verb -> permissions per resource type, as Oracle's policy reference tables list them (cumulative:
// inspect < read < use < manage), for the resource types this project's policies and operations touch,
// and the aggregate families. Sources: "Container Instances IAM Policies" (checked), "Details for Object
// Storage" (checked in part), "Details for the Core Services" (vnics, subnets: as remembered), Vault,
// Container Registry, Functions (resource types checked, verb tables as remembered), "Details for Notifications" (checked). What could not be
// checked is listed in deploy/oci-policies.yaml under `unconfirmed`, and in docs/deploy-oci.md §6.
import type { Verb } from './grammar.js';

type Increments = Record<Verb, readonly string[]>;

/** What each verb adds over the one below it. */
const INCREMENTS: Record<string, Increments> = {
  'objectstorage-namespaces': { inspect: ['OBJECTSTORAGE_NAMESPACE_READ'], read: [], use: [], manage: ['OBJECTSTORAGE_NAMESPACE_UPDATE'] },
  buckets: {
    inspect: ['BUCKET_INSPECT'],
    read: ['BUCKET_READ'],
    use: ['BUCKET_UPDATE'],
    manage: ['BUCKET_CREATE', 'BUCKET_DELETE', 'PAR_MANAGE', 'RETENTION_RULE_MANAGE', 'RETENTION_RULE_LOCK'],
  },
  objects: {
    inspect: ['OBJECT_INSPECT'],
    read: ['OBJECT_READ'],
    use: ['OBJECT_OVERWRITE'],
    manage: ['OBJECT_CREATE', 'OBJECT_DELETE', 'OBJECT_RESTORE', 'OBJECT_UPDATE_TIER', 'OBJECT_VERSION_DELETE'],
  },
  'compute-container-instances': {
    inspect: ['COMPUTE_CONTAINER_INSTANCE_INSPECT'],
    read: ['COMPUTE_CONTAINER_INSTANCE_READ'],
    use: ['COMPUTE_CONTAINER_INSTANCE_UPDATE', 'COMPUTE_CONTAINER_INSTANCE_START', 'COMPUTE_CONTAINER_INSTANCE_STOP', 'COMPUTE_CONTAINER_INSTANCE_RESTART'],
    manage: ['COMPUTE_CONTAINER_INSTANCE_CREATE', 'COMPUTE_CONTAINER_INSTANCE_DELETE', 'COMPUTE_CONTAINER_INSTANCE_MOVE'],
  },
  'compute-containers': {
    inspect: ['COMPUTE_CONTAINER_INSPECT'],
    read: ['COMPUTE_CONTAINER_READ'],
    use: ['COMPUTE_CONTAINER_UPDATE', 'COMPUTE_CONTAINER_LOG_RETRIEVE'],
    manage: ['COMPUTE_CONTAINER_CREATE', 'COMPUTE_CONTAINER_DELETE'],
  },
  vnics: {
    inspect: [],
    read: ['VNIC_READ'],
    use: ['VNIC_ATTACH', 'VNIC_DETACH', 'VNIC_CREATE', 'VNIC_DELETE', 'VNIC_UPDATE'],
    manage: [],
  },
  subnets: {
    inspect: ['SUBNET_INSPECT'],
    read: ['SUBNET_READ'],
    // SUBNET_USE is the name the Container Instances table gives CreateContainerInstance's subnet permission.
    use: ['SUBNET_ATTACH', 'SUBNET_DETACH', 'SUBNET_USE'],
    manage: ['SUBNET_CREATE', 'SUBNET_UPDATE', 'SUBNET_DELETE', 'SUBNET_MOVE'],
  },
  secrets: { inspect: ['SECRET_INSPECT'], read: ['SECRET_READ'], use: [], manage: ['SECRET_CREATE', 'SECRET_UPDATE', 'SECRET_DELETE', 'SECRET_MOVE'] },
  'secret-versions': { inspect: ['SECRET_VERSION_INSPECT'], read: ['SECRET_VERSION_READ'], use: [], manage: ['SECRET_VERSION_UPDATE'] },
  'secret-bundles': { inspect: [], read: ['SECRET_BUNDLE_READ'], use: [], manage: [] },
  repos: {
    inspect: ['REPOSITORY_INSPECT'],
    read: ['REPOSITORY_READ'],
    use: ['REPOSITORY_UPDATE'],
    manage: ['REPOSITORY_CREATE', 'REPOSITORY_DELETE', 'REPOSITORY_MANAGE'],
  },
  'fn-app': { inspect: ['FN_APP_LIST'], read: ['FN_APP_READ'], use: [], manage: ['FN_APP_CREATE', 'FN_APP_UPDATE', 'FN_APP_DELETE', 'FN_APP_MOVE'] },
  'fn-function': { inspect: ['FN_FUNCTION_LIST'], read: ['FN_FUNCTION_READ'], use: [], manage: ['FN_FUNCTION_CREATE', 'FN_FUNCTION_UPDATE', 'FN_FUNCTION_DELETE'] },
  'fn-invocation': { inspect: [], read: [], use: ['FN_INVOCATION'], manage: [] },
  // "Details for Notifications" (checked): use adds publishing and subscribing.
  'ons-topics': { inspect: ['ONS_TOPIC_INSPECT'], read: ['ONS_TOPIC_READ'], use: ['ONS_TOPIC_PUBLISH', 'ONS_TOPIC_SUBSCRIBE'], manage: ['ONS_TOPIC_CREATE', 'ONS_TOPIC_MOVE', 'ONS_TOPIC_UPDATE', 'ONS_TOPIC_DELETE'] },
  'ons-subscriptions': { inspect: ['ONS_SUBSCRIPTION_INSPECT'], read: [], use: [], manage: ['ONS_SUBSCRIPTION_MOVE', 'ONS_TOPIC_SUBSCRIBE'] },
};

/** Aggregate resource types: the same verb on each member. `all-resources` is every type. */
const FAMILIES: Record<string, readonly string[]> = {
  'object-family': ['objectstorage-namespaces', 'buckets', 'objects'],
  'compute-container-family': ['compute-container-instances', 'compute-containers'],
  'secret-family': ['secrets', 'secret-versions', 'secret-bundles'],
  'functions-family': ['fn-app', 'fn-function', 'fn-invocation'],
  'ons-family': ['ons-topics', 'ons-subscriptions'],
  'all-resources': Object.keys(INCREMENTS),
};

const ORDER: readonly Verb[] = ['inspect', 'read', 'use', 'manage'];

export const RESOURCE_TYPE_NAMES: readonly string[] = [...Object.keys(INCREMENTS), ...Object.keys(FAMILIES)];

export const isResourceType = (name: string): boolean => name in INCREMENTS || name in FAMILIES;

/** The individual types a name stands for (itself, or a family's members). */
export function membersOf(resourceType: string): readonly string[] {
  const family = FAMILIES[resourceType];
  if (family) return family;
  if (resourceType in INCREMENTS) return [resourceType];
  throw new Error(`unknown resource type ${resourceType}`);
}

/** Every permission `verb resourceType` grants. */
export function permissionsOf(verb: Verb, resourceType: string): Set<string> {
  const granted = new Set<string>();
  const upTo = ORDER.indexOf(verb);
  for (const member of membersOf(resourceType)) {
    const steps = INCREMENTS[member]!;
    for (const v of ORDER.slice(0, upTo + 1)) for (const p of steps[v]) granted.add(p);
  }
  return granted;
}

/** The resource type a permission belongs to (for messages), e.g. PAR_MANAGE -> buckets. */
export function resourceTypeOf(permission: string): string | undefined {
  return Object.entries(INCREMENTS).find(([, steps]) => ORDER.some((v) => steps[v].includes(permission)))?.[0];
}

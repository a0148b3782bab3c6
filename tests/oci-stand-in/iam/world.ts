// The stand-in's resources as IAM sees them: which compartment each bucket, instance, container, work
// request, secret and subnet is in. Read from the services' public maps, never changing them.
import type { ContainerInstancesService } from '../container-instances.js';
import type { NotificationsService } from '../notifications.js';
import type { ObjectStorageService } from '../object-storage.js';
import type { SecretsService } from '../secrets.js';
import type { World } from './operations.js';

export interface WorldSources {
  objectStorage: ObjectStorageService;
  containerInstances: ContainerInstancesService;
  secrets: SecretsService;
  notifications: NotificationsService;
  /** Compartment of the buckets, the secrets and the function. */
  compartmentId: string;
  /** Subnet OCID -> its compartment. */
  subnets: ReadonlyMap<string, string>;
}

export function standInWorld(s: WorldSources): World {
  return {
    bucketCompartment: (bucket) => (s.objectStorage.buckets.has(bucket) ? s.compartmentId : undefined),
    objectExists: (bucket, name) => s.objectStorage.buckets.get(bucket)?.has(name) ?? false,
    instance: (id) => {
      const rec = s.containerInstances.instances.get(id);
      return rec && { compartmentId: rec.compartmentId, subnetId: rec.subnetId };
    },
    instanceOfContainer: (id) => s.containerInstances.containers.get(id)?.instanceId,
    // Only a create's work request is on the instance record: a delete's is not checked (the pipeline reads none).
    workRequestCompartment: (id) => [...s.containerInstances.instances.values()].find((i) => i.createWorkRequest === id)?.compartmentId,
    secretCompartment: (id) => (s.secrets.secrets.has(id) ? s.compartmentId : undefined),
    subnetCompartment: (id) => s.subnets.get(id),
    topicCompartment: (id) => s.notifications.topics.get(id)?.compartmentId,
  };
}

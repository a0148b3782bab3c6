// Container Instances records, the create validation the service performs, and the JSON shapes of
// ContainerInstance, ContainerInstanceSummary and Container (see oci-containerinstances' models).
import type { ContainerProcess } from './containers.js';
import { badRequest } from './http.js';

export type Lifecycle = 'CREATING' | 'UPDATING' | 'ACTIVE' | 'INACTIVE' | 'DELETING' | 'DELETED' | 'FAILED';

export interface CreateBody {
  displayName?: string;
  compartmentId: string;
  availabilityDomain: string;
  faultDomain?: string;
  shape: string;
  shapeConfig: { ocpus: number; memoryInGBs?: number };
  containers: { displayName?: string; imageUrl: string; command?: string[]; arguments?: string[]; environmentVariables?: Record<string, string> }[];
  vnics: { subnetId: string }[];
  containerRestartPolicy?: string;
  gracefulShutdownTimeoutInSeconds?: number;
  freeformTags?: Record<string, string>;
}

export interface InstanceRec {
  id: string;
  etag: string;
  displayName: string;
  compartmentId: string;
  availabilityDomain: string;
  faultDomain: string;
  shape: string;
  shapeConfig: { ocpus: number; memoryInGBs?: number };
  subnetId: string;
  containerIds: string[];
  lifecycleState: Lifecycle;
  lifecycleDetails?: string;
  timeCreated: Date;
  timeUpdated: Date;
  freeformTags: Record<string, string>;
  containerRestartPolicy: string;
  gracefulShutdownTimeoutInSeconds: number;
  createWorkRequest: string;
  principalEnv?: Record<string, string>;
  /** Every state with when it began: listings are served from it as of a moment ago. */
  history: { at: number; state: Lifecycle }[];
  /** Deleted long enough ago that the service has forgotten it: Get answers 404, List omits it. */
  purged?: boolean;
}

/** Moves an instance to a state, keeping the history listings read from. */
export function setState(rec: InstanceRec, state: Lifecycle, details?: string): void {
  rec.lifecycleState = state;
  if (details !== undefined) rec.lifecycleDetails = details;
  rec.timeUpdated = new Date();
  rec.history.push({ at: rec.timeUpdated.getTime(), state });
}

/** The state a listing taken at `at` shows, or undefined when the instance did not exist yet then. */
export function stateAt(rec: InstanceRec, at: number): Lifecycle | undefined {
  let seen: Lifecycle | undefined;
  for (const h of rec.history) if (h.at <= at) seen = h.state;
  return seen;
}

export interface ContainerRec {
  id: string;
  instanceId: string;
  displayName: string;
  imageUrl: string;
  command?: string[];
  arguments: string[];
  environmentVariables: Record<string, string>;
  lifecycleState: Lifecycle;
  exitCode?: number;
  timeCreated: Date;
  timeTerminated?: Date;
  restartCount: number;
  process?: ContainerProcess;
}

const LIMIT_64K = 64 * 1024;
const bytes = (s: string): number => Buffer.byteLength(s);

/** The checks the service makes before it accepts a create, with its kind of messages. */
export function validateCreate(body: CreateBody, service: { availabilityDomains: string[]; shapes: string[] }): void {
  const missing = (['compartmentId', 'availabilityDomain', 'shape', 'shapeConfig', 'containers', 'vnics'] as const).filter((k) => body[k] === undefined);
  if (missing.length) throw badRequest(`Missing required fields: ${missing.join(', ')}`, 'MissingParameter');
  if (!/^ocid1\.compartment\./.test(body.compartmentId) && !/^ocid1\.tenancy\./.test(body.compartmentId)) throw badRequest('compartmentId is not a compartment OCID');
  if (!service.availabilityDomains.includes(body.availabilityDomain)) throw badRequest(`Invalid availabilityDomain ${body.availabilityDomain}`);
  if (!service.shapes.includes(body.shape)) throw badRequest(`Shape ${body.shape} is not supported`);
  const { ocpus, memoryInGBs } = body.shapeConfig;
  if (typeof ocpus !== 'number' || ocpus < 1 || ocpus > 64) throw badRequest('shapeConfig.ocpus must be between 1 and 64');
  if (memoryInGBs !== undefined && (memoryInGBs < 1 || memoryInGBs > ocpus * 64)) throw badRequest('shapeConfig.memoryInGBs is out of range for the OCPUs');
  if (!Array.isArray(body.containers) || body.containers.length === 0) throw badRequest('At least one container is required');
  if (!Array.isArray(body.vnics) || body.vnics.length !== 1 || !/^ocid1\.subnet\./.test(body.vnics[0]?.subnetId ?? '')) throw badRequest('Exactly one VNIC with a subnetId is required');
  const policy = body.containerRestartPolicy;
  if (policy !== undefined && !['ALWAYS', 'NEVER', 'ON_FAILURE'].includes(policy)) throw badRequest(`Invalid containerRestartPolicy ${policy}`);
  if ((body.displayName ?? '').length > 255) throw badRequest('displayName is longer than 255 characters');
  for (const c of body.containers) {
    if (!c.imageUrl) throw badRequest('containers[].imageUrl is required', 'MissingParameter');
    if ((c.arguments ?? []).some((a) => typeof a !== 'string')) throw badRequest('containers[].arguments must be strings');
    if ((c.arguments ?? []).reduce((n, a) => n + bytes(a), 0) > LIMIT_64K) throw badRequest('The total size of container arguments exceeds 64 KB');
    const env = Object.entries(c.environmentVariables ?? {});
    if (env.some(([, v]) => typeof v !== 'string')) throw badRequest('containers[].environmentVariables values must be strings');
    if (env.reduce((n, [k, v]) => n + bytes(k) + bytes(v), 0) > LIMIT_64K) throw badRequest('The total size of environment variables exceeds 64 KB');
  }
  for (const [k, v] of Object.entries(body.freeformTags ?? {})) {
    if (!/^[^\s.]{1,100}$/.test(k) || typeof v !== 'string' || v.length > 256) throw badRequest(`Invalid freeform tag ${k}`);
  }
}

function shapeConfigJson(rec: InstanceRec) {
  return {
    ocpus: rec.shapeConfig.ocpus,
    memoryInGBs: rec.shapeConfig.memoryInGBs ?? rec.shapeConfig.ocpus * 16,
    processorDescription: rec.shape.includes('A1') ? '3.0 GHz Ampere Altra' : '2.55 GHz AMD EPYC',
    networkingBandwidthInGbps: rec.shapeConfig.ocpus,
  };
}

function common(rec: InstanceRec) {
  return {
    id: rec.id,
    displayName: rec.displayName,
    compartmentId: rec.compartmentId,
    availabilityDomain: rec.availabilityDomain,
    faultDomain: rec.faultDomain,
    lifecycleState: rec.lifecycleState,
    ...(rec.lifecycleDetails ? { lifecycleDetails: rec.lifecycleDetails } : {}),
    freeformTags: rec.freeformTags,
    definedTags: {},
    systemTags: {},
    timeCreated: rec.timeCreated.toISOString(),
    timeUpdated: rec.timeUpdated.toISOString(),
    shape: rec.shape,
    shapeConfig: shapeConfigJson(rec),
    containerCount: rec.containerIds.length,
    volumeCount: 0,
    containerRestartPolicy: rec.containerRestartPolicy,
    gracefulShutdownTimeoutInSeconds: rec.gracefulShutdownTimeoutInSeconds,
  };
}

/** ContainerInstance: containers carry only ids and names (no exit codes). */
export function instanceJson(rec: InstanceRec, containers: Map<string, ContainerRec>) {
  return {
    ...common(rec),
    containers: rec.containerIds.map((id) => ({ containerId: id, displayName: containers.get(id)?.displayName })),
    vnics: [{ vnicId: `ocid1.vnic.oc1..${rec.id.slice(-20)}` }],
    volumes: [],
  };
}

/** The summary as a listing taken at `at` shows it (its state then). */
export const summaryJson = (rec: InstanceRec, state: Lifecycle = rec.lifecycleState) => ({ ...common(rec), lifecycleState: state });

/** Container: the only place with the exit code. */
export function containerJson(c: ContainerRec, instance: InstanceRec | undefined) {
  return {
    id: c.id,
    displayName: c.displayName,
    compartmentId: instance?.compartmentId ?? '',
    availabilityDomain: instance?.availabilityDomain ?? '',
    containerInstanceId: c.instanceId,
    imageUrl: c.imageUrl,
    ...(c.command ? { command: c.command } : {}),
    arguments: c.arguments,
    lifecycleState: c.lifecycleState,
    ...(c.exitCode !== undefined ? { exitCode: c.exitCode } : {}),
    ...(c.timeTerminated ? { timeTerminated: c.timeTerminated.toISOString() } : {}),
    containerRestartAttemptCount: c.restartCount,
    timeCreated: c.timeCreated.toISOString(),
    freeformTags: {},
    definedTags: {},
    systemTags: {},
  };
}

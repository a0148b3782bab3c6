// Where a transcoder container instance may land, in preference order, and the names that make a create
// idempotent. Pure: unit tested without OCI.
import { createHash } from 'node:crypto';
import type { ShapeChoice } from '../../config-oci.js';

export interface Placement {
  availabilityDomain: string;
  shape: ShapeChoice;
}

/** Every shape in every availability domain: the preferred shape is tried in all domains before the next. */
export function placementsOf(config: { availabilityDomains: string[]; shapes: ShapeChoice[] }): Placement[] {
  return config.shapes.flatMap((shape) => config.availabilityDomains.map((availabilityDomain) => ({ availabilityDomain, shape })));
}

/** How long a placement that refused for capacity waits at the back of the order. */
export const REFUSAL_MEMORY_MS = 5 * 60 * 1000;

/**
 * Configured order (shape preference first), except that placements which refused within the last few
 * minutes go last, oldest refusal first: a full domain is not asked again on every job.
 */
export function placementOrder<T>(placements: T[], refusedAt: ReadonlyMap<T, number>, now: number): T[] {
  const recent = (p: T): boolean => now - (refusedAt.get(p) ?? -Infinity) < REFUSAL_MEMORY_MS;
  const fresh = placements.filter((p) => !recent(p));
  const refused = placements.filter(recent).sort((a, b) => refusedAt.get(a)! - refusedAt.get(b)!);
  return [...fresh, ...refused];
}

export function placementLabel(p: Placement): string {
  return `${p.availabilityDomain} ${p.shape.shape} (${p.shape.ocpus} OCPU, ${p.shape.memoryInGBs} GB)`;
}

const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

/**
 * opc-retry-token for one job attempt in one placement (64 hex characters, the service's maximum).
 * Stable across activity retries, so the service returns the instance a lost response had created; it
 * differs per placement because the service rejects a reused token with a different request body.
 */
export function retryToken(idempotencyKey: string, p: Placement): string {
  return sha256(`${idempotencyKey}\n${p.availabilityDomain}\n${p.shape.shape}\n${p.shape.ocpus}\n${p.shape.memoryInGBs}`);
}

/** Freeform tag value naming the job attempt, found again by listing (also after a placement change). */
export function jobKeyTag(idempotencyKey: string): string {
  return sha256(idempotencyKey).slice(0, 32);
}

export const MANAGED_TAG = 'oci-transcode';
export const JOB_KEY_TAG = 'oci-transcode-job-key';

/** Freeform tag keys allow letters, digits, '_' and '-' (no spaces or periods); values up to 256 characters. */
export function freeformTags(tags: Record<string, string>, idempotencyKey: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(tags)) {
    const safeKey = key.replace(/[^A-Za-z0-9_-]/g, '-').slice(0, 100);
    if (safeKey) out[safeKey] = String(value).slice(0, 256);
  }
  out[MANAGED_TAG] = 'transcoder';
  out[JOB_KEY_TAG] = jobKeyTag(idempotencyKey);
  return out;
}

/** Container Instances caps arguments and environment at 64 KB each (names and values together). */
export function launchSizeProblems(args: string[], env: Record<string, string>): string[] {
  const limit = 64 * 1024;
  const argBytes = args.reduce((n, a) => n + Buffer.byteLength(a), 0);
  const envBytes = Object.entries(env).reduce((n, [k, v]) => n + Buffer.byteLength(k) + Buffer.byteLength(v), 0);
  const problems: string[] = [];
  if (argBytes > limit) problems.push(`container arguments total ${argBytes} bytes (limit ${limit})`);
  if (envBytes > limit) problems.push(`container environment totals ${envBytes} bytes (limit ${limit})`);
  return problems;
}

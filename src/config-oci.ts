// The OCI section of the configuration: auth, endpoints, Container Instances placement, uploads, retries.
// Kept beside src/config.ts (same conventions: one zod schema, one env name per setting) so the local
// path never needs any of it. Read with loadOciConfig(env); every bad value names its variable.
import { homedir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { bool, ConfigError, csv } from './config.js';

const ocid = (kind: string) =>
  z.string().regex(/^ocid1\.[a-z0-9]+\.[a-z0-9-]*\.[a-z0-9-]*\.[A-Za-z0-9._-]*$/, `must be the OCID of a ${kind} (ocid1.${kind}.…)`);

const url = z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' });

/** A Container Instances shape with its size: `CI.Standard.E4.Flex:2:8` = 2 OCPUs, 8 GB. */
export interface ShapeChoice {
  shape: string;
  ocpus: number;
  memoryInGBs: number;
}

const shapes = csv.pipe(
  z
    .array(
      z.string().transform((spec, ctx): ShapeChoice => {
        const match = /^([A-Za-z0-9.]+):(\d+(?:\.\d+)?):(\d+(?:\.\d+)?)$/.exec(spec);
        if (!match) {
          ctx.addIssue({ code: 'custom', message: `"${spec}" is not SHAPE:OCPUS:MEMORY_GB (e.g. CI.Standard.E4.Flex:2:8)` });
          return z.NEVER;
        }
        return { shape: match[1]!, ocpus: Number(match[2]), memoryInGBs: Number(match[3]) };
      }),
    )
    .min(1),
);

export const AUTH_KINDS = ['auto', 'resource-principal', 'instance-principal', 'config-file', 'api-key'] as const;
export type OciAuthKind = (typeof AUTH_KINDS)[number];

export const ociConfigSchema = z.object({
  /**
   * auto: resource principals when the platform provides them (Functions, Container Instances), else an
   * API key from the environment, else ~/.oci/config, else instance principals.
   */
  auth: z.enum(AUTH_KINDS).default('auto'),
  configFile: z.string().default(join(homedir(), '.oci', 'config')),
  profile: z.string().default('DEFAULT'),
  /** api-key auth, the fields of a config file profile given as variables (workers, tests). */
  tenancy: ocid('tenancy').optional(),
  user: ocid('user').optional(),
  fingerprint: z
    .string()
    .regex(/^([0-9a-f]{2}:){15}[0-9a-f]{2}$/, 'must be 16 colon-separated hex bytes (the key fingerprint)')
    .optional(),
  privateKey: z.string().includes('PRIVATE KEY', { error: 'must be a PEM private key' }).optional(),
  passphrase: z.string().optional(),
  region: z.string().regex(/^([a-z]+(-[a-z]+)+-\d+|[a-z]{3})$/, 'must be a region id such as eu-frankfurt-1 (or its short code)').optional(),
  /** Service endpoint overrides (private endpoints, the local stand-in). */
  endpoints: z.object({
    objectStorage: url.optional(),
    containerInstances: url.optional(),
    secrets: url.optional(),
    /** OCI Notifications' data plane (PublishMessage); the SDK appends `/20181201`. */
    notifications: url.optional(),
  }),
  /** Container Instances placement for transcoder jobs. */
  compartmentId: ocid('compartment').optional(),
  availabilityDomains: csv.pipe(z.array(z.string().min(1)).min(1)).optional(),
  shapes: shapes.default([{ shape: 'CI.Standard.E4.Flex', ocpus: 2, memoryInGBs: 8 }]),
  subnetId: ocid('subnet').optional(),
  imageUrl: z.string().regex(/^[^\s:]+(:\d+)?\/[^\s]+$/, 'must be an image URL such as fra.ocir.io/ns/repo:tag').optional(),
  /** Pause before the next placement after a capacity or limit error; doubles per miss (max 30 s). */
  placementBackoffMs: z.coerce.number().int().min(0).default(2000),
  shutdownGraceSec: z.coerce.number().int().min(0).max(300).default(30),
  /** How long an accepted instance may stay CREATING (image pull, placement) before it counts as refused. */
  createTimeoutSec: z.coerce.number().positive().default(600),
  /** Object Storage multipart: bodies larger than one part go multipart. */
  uploadPartBytes: z.coerce.number().int().min(1024).default(20 * 1024 * 1024),
  uploadConcurrency: z.coerce.number().int().min(1).max(32).default(5),
  /** SDK retries of throttled (429), 5xx and network failures; the SDK default is 8 attempts, 30 s max delay. */
  maxAttempts: z.coerce.number().int().min(1).max(20).default(8),
  retryBaseMs: z.coerce.number().int().min(0).default(1000),
  retryMaxMs: z.coerce.number().int().min(0).default(30_000),
  circuitBreaker: bool.default(true),
  /** Starter function: Vault secrets holding the Temporal API key and/or the mTLS client key. */
  temporalApiKeySecretId: ocid('vaultsecret').optional(),
  temporalTlsKeySecretId: ocid('vaultsecret').optional(),
  /** Worker: the Vault secret holding the webhook signing secret (instead of OCI_TRANSCODE_WEBHOOK_SECRET). */
  webhookSecretId: ocid('vaultsecret').optional(),
  secretCacheSec: z.coerce.number().int().min(0).default(300),
});

export type OciConfig = z.infer<typeof ociConfigSchema>;

/** Environment variable of each OCI setting; docs/deploy-oci.md's reference lists every one. */
export const OCI_ENV_NAMES = {
  auth: 'OCI_TRANSCODE_OCI_AUTH',
  configFile: 'OCI_TRANSCODE_OCI_CONFIG_FILE',
  profile: 'OCI_TRANSCODE_OCI_PROFILE',
  tenancy: 'OCI_TRANSCODE_OCI_TENANCY',
  user: 'OCI_TRANSCODE_OCI_USER',
  fingerprint: 'OCI_TRANSCODE_OCI_FINGERPRINT',
  privateKey: 'OCI_TRANSCODE_OCI_PRIVATE_KEY',
  passphrase: 'OCI_TRANSCODE_OCI_PRIVATE_KEY_PASSPHRASE',
  region: 'OCI_TRANSCODE_OCI_REGION',
  'endpoints.objectStorage': 'OCI_TRANSCODE_OCI_ENDPOINT_OBJECTSTORAGE',
  'endpoints.containerInstances': 'OCI_TRANSCODE_OCI_ENDPOINT_CONTAINERINSTANCES',
  'endpoints.secrets': 'OCI_TRANSCODE_OCI_ENDPOINT_SECRETS',
  'endpoints.notifications': 'OCI_TRANSCODE_OCI_ENDPOINT_NOTIFICATIONS',
  compartmentId: 'OCI_TRANSCODE_OCI_COMPARTMENT',
  availabilityDomains: 'OCI_TRANSCODE_OCI_AVAILABILITY_DOMAINS',
  shapes: 'OCI_TRANSCODE_OCI_SHAPES',
  subnetId: 'OCI_TRANSCODE_OCI_SUBNET',
  imageUrl: 'OCI_TRANSCODE_OCI_IMAGE',
  placementBackoffMs: 'OCI_TRANSCODE_OCI_PLACEMENT_BACKOFF_MS',
  shutdownGraceSec: 'OCI_TRANSCODE_OCI_SHUTDOWN_GRACE_SEC',
  createTimeoutSec: 'OCI_TRANSCODE_OCI_CREATE_TIMEOUT_SEC',
  uploadPartBytes: 'OCI_TRANSCODE_OCI_UPLOAD_PART_BYTES',
  uploadConcurrency: 'OCI_TRANSCODE_OCI_UPLOAD_CONCURRENCY',
  maxAttempts: 'OCI_TRANSCODE_OCI_MAX_ATTEMPTS',
  retryBaseMs: 'OCI_TRANSCODE_OCI_RETRY_BASE_MS',
  retryMaxMs: 'OCI_TRANSCODE_OCI_RETRY_MAX_MS',
  circuitBreaker: 'OCI_TRANSCODE_OCI_CIRCUIT_BREAKER',
  temporalApiKeySecretId: 'OCI_TRANSCODE_OCI_TEMPORAL_API_KEY_SECRET',
  temporalTlsKeySecretId: 'OCI_TRANSCODE_OCI_TEMPORAL_TLS_KEY_SECRET',
  webhookSecretId: 'OCI_TRANSCODE_OCI_WEBHOOK_SECRET',
  secretCacheSec: 'OCI_TRANSCODE_OCI_SECRET_CACHE_SEC',
} as const;

/** Settings the Container Instances JobRunner cannot run without. */
export const JOB_RUNNER_REQUIRED = ['compartmentId', 'availabilityDomains', 'subnetId', 'imageUrl'] as const;

export function loadOciConfig(env: Record<string, string | undefined> = process.env): OciConfig {
  const raw: Record<string, unknown> = { endpoints: {} };
  for (const [path, variable] of Object.entries(OCI_ENV_NAMES)) {
    const value = env[variable];
    if (value === undefined || value === '') continue;
    const [head, leaf] = path.split('.') as [string, string | undefined];
    if (leaf === undefined) raw[head] = value;
    else raw[head] = { ...(raw[head] as Record<string, unknown>), [leaf]: value };
  }
  const parsed = ociConfigSchema.safeParse(raw);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => {
      const key = issue.path.filter((p) => typeof p === 'string').join('.') as keyof typeof OCI_ENV_NAMES;
      return `  ${OCI_ENV_NAMES[key] ?? key}: ${issue.message}`;
    });
    throw new ConfigError(`Invalid OCI configuration:\n${lines.join('\n')}`);
  }
  const config = parsed.data;
  const keyFields = ['tenancy', 'user', 'fingerprint', 'privateKey'] as const;
  if (config.auth === 'api-key') {
    const missing = keyFields.filter((k) => !config[k]).map((k) => OCI_ENV_NAMES[k]);
    if (missing.length) throw new ConfigError(`Invalid OCI configuration: auth api-key needs ${missing.join(', ')}`);
  }
  return config;
}

export type JobRunnerConfig = OciConfig & {
  compartmentId: string;
  availabilityDomains: string[];
  subnetId: string;
  imageUrl: string;
};

/** Narrows the config for the JobRunner, naming every missing variable at once. */
export function requireJobRunnerConfig(config: OciConfig): JobRunnerConfig {
  const missing = JOB_RUNNER_REQUIRED.filter((k) => config[k] === undefined).map((k) => OCI_ENV_NAMES[k]);
  if (missing.length) throw new ConfigError(`The OCI job runner needs ${missing.join(', ')}`);
  return config as JobRunnerConfig;
}

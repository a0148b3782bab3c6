// The API's request and response shapes, once, as zod schemas: Fastify validates with their JSON Schema
// (z.toJSONSchema) and @fastify/swagger publishes the same in /openapi.json. The enums are the wire
// contract's (domain/contract.ts); a job's own notification targets are an API field the workflow request
// carries on (see JobRequest in start.ts).
import { z } from 'zod';
import { parallelismSchema, presetSchema, segmentFormatSchema, streamFormatSchema } from '../domain/contract.js';

const name = z.string().min(1).max(1024);

export const submitBodySchema = z
  .object({
    source: z
      .object({
        bucket: name.describe('A source bucket of the pipeline (OCI_TRANSCODE_SOURCE_BUCKETS)'),
        object: name.describe('Object name in the bucket; the object must exist'),
        etag: z.string().min(1).optional().describe('Transcode only this version: refused (409) when the object is now another'),
      })
      .strict(),
    preset: presetSchema.optional().describe('Ladder: default (1080p…360p, never upscaled) or seed (the original pipeline)'),
    formats: z.array(streamFormatSchema).min(1).max(2).optional().describe('Manifests to publish (default: the worker’s OCI_TRANSCODE_FORMATS)'),
    segmentFormat: segmentFormatSchema.optional().describe('cmaf (fMP4, HLS and DASH) or ts (MPEG-TS, HLS only)'),
    parallelism: parallelismSchema.optional().describe('single job, or one job per rendition'),
    notify: z
      .array(z.string().min(1).max(2048))
      .max(5)
      .optional()
      .describe('This job’s own notification targets, on top of the configured ones: webhook:https://… or ons:<topic OCID>'),
  })
  .strict();

export type SubmitBody = z.infer<typeof submitBodySchema>;

export const listQuerySchema = z
  .object({
    limit: z.number().int().min(1).max(100).default(20),
    source: name.optional().describe('Only runs of this source: <bucket>/<object>'),
    stage: z.string().min(1).max(32).optional().describe('Only runs at this stage (TranscodeStage), e.g. transcoding, completed, failed'),
  })
  .strict();

export const idParamsSchema = z.object({ id: z.string().min(1).max(4096) }).strict();

export const errorSchema = z.object({
  error: z.string().describe('Machine-readable code: invalid_request, unauthorized, not_found, conflict, rate_limited …'),
  message: z.string(),
  field: z.string().optional().describe('The request field at fault, dotted (source.object, notify.0)'),
});

const links = z.object({ self: z.string(), cancel: z.string().optional(), preview: z.string().optional(), webUi: z.string().optional() });

const summaryFields = {
  id: z.string().describe('Opaque job id: names one run'),
  workflowId: z.string(),
  runId: z.string(),
  status: z.string().describe('RUNNING, COMPLETED, FAILED, CANCELED, TERMINATED, TIMED_OUT or CONTINUED_AS_NEW (superseded by a newer upload)'),
  source: z.string().optional(),
  stage: z.string().optional(),
  etag: z.string().optional(),
  percent: z.number().optional(),
  startedAt: z.string(),
  closedAt: z.string().optional(),
};

export const jobSummarySchema = z.object({ ...summaryFields, links });

const progressSchema = z.object({
  stage: z.string(),
  percent: z.number(),
  jobs: z.array(z.looseObject({ id: z.string(), attempt: z.number(), state: z.string(), percent: z.number() })),
  etag: z.string().optional(),
  error: z.string().optional(),
});

export const jobViewSchema = z.object({
  ...summaryFields,
  progress: progressSchema.optional(),
  result: z.looseObject({ hls: z.string().optional(), dash: z.string().optional(), thumbnail: z.string().optional(), record: z.string().optional() }).optional(),
  error: z.string().optional(),
  links,
});

export const submitAnswerSchema = z.object({
  id: z.string().describe('The job: one run, or for superseding the latest run of the workflow id (the newer upload once it takes over)'),
  outcome: z.enum(['started', 'superseding', 'duplicate', 'stale', 'pending']).describe('started (201); superseding (202: a running older upload hands over); pending (202: the run exists, its workers have not answered yet); duplicate (200: this upload already has a run, or is published); stale (409: the object changed meanwhile)'),
  workflowId: z.string(),
  runId: z.string().optional(),
  etag: z.string(),
  reason: z.string().optional(),
  links: links.optional(),
});

export const cancelAnswerSchema = z.object({ id: z.string(), outcome: z.enum(['requested', 'closed']), status: z.string() });

/** JSON Schema of a zod schema, as Fastify validates and OpenAPI 3.0 shows it. */
export const json = (schema: z.ZodType, io: 'input' | 'output' = 'input'): Record<string, unknown> => {
  const out = z.toJSONSchema(schema, { target: 'openapi-3.0', io, unrepresentable: 'any' }) as Record<string, unknown>;
  delete out.$schema;
  return out;
};

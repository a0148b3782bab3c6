// /v1/jobs: submit, read, list, cancel. Validation beyond JSON Schema (a configured source bucket, an
// object that exists, targets a job may choose) answers 400/409/422 naming the field.
import type { FastifyInstance, FastifyReply } from 'fastify';
import { parseTarget } from '../domain/notify-targets.js';
import type { TranscodeRequest } from '../domain/types.js';
import { parseJobId, jobId } from './ids.js';
import type { JobSummary } from './jobs.js';
import { cancelAnswerSchema, errorSchema, idParamsSchema, jobSummarySchema, jobViewSchema, json, listQuerySchema, submitAnswerSchema, submitBodySchema, type SubmitBody } from './schemas.js';
import type { ApiDeps } from './server.js';

const problem = (reply: FastifyReply, status: number, error: string, message: string, field?: string) =>
  reply.code(status).send({ error, message, ...(field ? { field } : {}) });

const errors = (...codes: number[]) => Object.fromEntries(codes.map((c) => [c, json(errorSchema, 'output')]));

function links(id: string, preview: boolean, webUi?: string) {
  return { self: `/v1/jobs/${id}`, cancel: `/v1/jobs/${id}/cancel`, ...(preview ? { preview: `/preview/#/runs/${id}` } : {}), ...(webUi ? { webUi } : {}) };
}

/** The first thing wrong with a body the schema accepted, as [field, message]. */
function semanticProblem(body: SubmitBody, deps: ApiDeps): [string, string] | undefined {
  const { sourceBuckets, mode } = deps.config;
  if (!sourceBuckets.includes(body.source.bucket)) return ['source.bucket', `must be a source bucket of this pipeline: ${sourceBuckets.join(', ')}`];
  if (body.source.object.endsWith('/')) return ['source.object', 'is a folder marker, not a file'];
  if (body.segmentFormat === 'ts' && body.formats?.includes('dash')) return ['formats', 'dash needs segmentFormat cmaf (MPEG-TS segments are HLS only)'];
  // A job's own targets: https to public hosts only, except on the local stack (receivers on this machine).
  const local = mode === 'local';
  for (const [i, target] of (body.notify ?? []).entries()) {
    const parsed = parseTarget(target, { allowLoopbackHttp: local, allowPrivateHosts: local });
    if ('problem' in parsed) return [`notify.${i}`, parsed.problem];
  }
  return undefined;
}

export function registerJobRoutes(app: FastifyInstance, deps: ApiDeps): void {
  const preview = deps.preview !== false;
  const withLinks = <T extends JobSummary & { webUiUrl?: string }>(job: T) => {
    const { webUiUrl, ...rest } = job;
    return { ...rest, links: links(job.id, preview, webUiUrl) };
  };

  app.post<{ Body: SubmitBody }>(
    '/v1/jobs',
    {
      schema: {
        summary: 'Submit a job for an object already in a source bucket',
        body: json(submitBodySchema),
        response: { 200: json(submitAnswerSchema, 'output'), 201: json(submitAnswerSchema, 'output'), 202: json(submitAnswerSchema, 'output'), ...errors(400, 401, 409, 422, 429) },
      },
    },
    async (req, reply) => {
      const body = req.body;
      const wrong = semanticProblem(body, deps);
      if (wrong) return problem(reply, 400, 'invalid_request', `${wrong[0]}: ${wrong[1]}`, wrong[0]);
      const head = await deps.store.head(body.source.bucket, body.source.object);
      if (!head) return problem(reply, 422, 'source_not_found', `source.object: ${body.source.bucket}/${body.source.object} does not exist`, 'source.object');
      if (body.source.etag !== undefined && body.source.etag !== head.etag) {
        return problem(reply, 409, 'conflict', `source.etag: the object is now eTag ${head.etag}, not ${body.source.etag}`, 'source.etag');
      }
      const request: TranscodeRequest = {
        source: { namespace: deps.config.namespace, bucket: body.source.bucket, object: body.source.object, etag: head.etag },
      };
      if (body.preset) request.preset = body.preset;
      if (body.formats) request.formats = [...new Set(body.formats)];
      if (body.segmentFormat) request.segmentFormat = body.segmentFormat;
      if (body.parallelism) request.parallelism = body.parallelism;
      if (body.notify?.length) request.notify = body.notify;
      const answer = await deps.start(request);
      // superseding: the running run hands over by continuing as new, so the job is "the latest run of
      // this workflow id" (an id without a run part). Any other answer names the run that gave it.
      const runId = answer.outcome === 'superseding' ? undefined : answer.runId;
      const id = jobId({ workflowId: answer.workflowId, ...(runId ? { runId } : {}) });
      const STATUS = { started: 201, superseding: 202, pending: 202, duplicate: 200, stale: 409 } as const;
      const status = STATUS[answer.outcome];
      return reply.code(status).send({
        outcome: answer.outcome,
        workflowId: answer.workflowId,
        etag: head.etag,
        id,
        ...(runId ? { runId } : {}),
        links: links(id, preview),
        ...('reason' in answer && answer.reason ? { reason: answer.reason } : {}),
      });
    },
  );

  app.get<{ Params: { id: string } }>(
    '/v1/jobs/:id',
    { schema: { summary: 'A job’s status, stage and progress', params: json(idParamsSchema), response: { 200: json(jobViewSchema, 'output'), ...errors(401, 404, 429) } } },
    async (req, reply) => {
      const ref = parseJobId(req.params.id);
      const job = ref ? await deps.jobs.get(ref) : undefined;
      if (!job) return problem(reply, 404, 'not_found', `no job ${req.params.id}`);
      return withLinks(job);
    },
  );

  app.get<{ Querystring: { limit: number; source?: string; stage?: string } }>(
    '/v1/jobs',
    {
      schema: {
        summary: 'Recent jobs, newest first (Temporal visibility)',
        querystring: json(listQuerySchema),
        response: { 200: { type: 'object', properties: { jobs: { type: 'array', items: json(jobSummarySchema, 'output') } }, required: ['jobs'] }, ...errors(400, 401, 429) },
      },
    },
    async (req) => {
      const jobs = await deps.jobs.list(req.query);
      return { jobs: jobs.map(withLinks) };
    },
  );

  app.post<{ Params: { id: string } }>(
    '/v1/jobs/:id/cancel',
    { schema: { summary: 'Cancel a running job (its cleanup still runs)', params: json(idParamsSchema), response: { 202: json(cancelAnswerSchema, 'output'), ...errors(401, 404, 409, 429) } } },
    async (req, reply) => {
      const ref = parseJobId(req.params.id);
      const answer = ref ? await deps.jobs.cancel(ref) : undefined;
      if (!answer) return problem(reply, 404, 'not_found', `no job ${req.params.id}`);
      if (answer.outcome === 'closed') return problem(reply, 409, 'conflict', `job ${req.params.id} has already ended: ${answer.status}`);
      return reply.code(202).send({ id: req.params.id, ...answer });
    },
  );
}

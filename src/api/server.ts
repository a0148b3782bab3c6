// The job API: Fastify with JSON Schema validation (the zod schemas of schemas.ts), the OpenAPI document
// at /openapi.json (@fastify/swagger), per-key rate limits (@fastify/rate-limit), API keys checked on
// every /v1 and preview data request, and the preview page under /preview/. It knows Temporal only
// through JobDirectory and JobStarter, and the buckets through the ObjectStore port.
import rateLimit from '@fastify/rate-limit';
import swagger from '@fastify/swagger';
import Fastify, { type FastifyError, type FastifyInstance, type FastifyRequest } from 'fastify';
import type { Config } from '../config.js';
import type { ObjectStore } from '../ports.js';
import { previewPlugin } from '../preview/plugin.js';
import type { JobDirectory } from './jobs.js';
import { bearerKey, type ApiKeyStore, type ApiPrincipal } from './keys.js';
import { registerJobRoutes } from './routes.js';
import type { JobStarter } from './start.js';

declare module 'fastify' {
  interface FastifyRequest {
    principal?: ApiPrincipal;
  }
}

export interface ApiDeps {
  jobs: JobDirectory;
  start: JobStarter;
  store: ObjectStore;
  config: Pick<Config, 'mode' | 'namespace' | 'sourceBuckets' | 'destBucket' | 'destPrefix'> & { api: Pick<Config['api'], 'rateLimit'> };
  /** API keys; null serves without authentication (only ever on the local stack's loopback). */
  keys: ApiKeyStore | null;
  /** Mount the preview page under /preview/ (default true). */
  preview?: boolean;
  /** Fastify's request log (pino) on stdout. */
  logger?: boolean;
}

export const API_VERSION = '1';

/**
 * Routes anyone may call: the document, health, and the preview page's static files (its data needs a
 * key). Decided on the route the router matched, never on the raw path, so no spelling of a path reaches
 * a guarded route as a public one.
 */
const PUBLIC_ROUTES = new Set(['/openapi.json', '/healthz', '/preview', '/preview/', '/preview/assets/*', '/preview/lib/shaka/*', '/preview/data/config']);

/** `body/source/object` style paths from Ajv, as the dotted field a client sent. */
function fieldOf(error: FastifyError): string | undefined {
  const v = error.validation?.[0];
  if (!v) return undefined;
  const path = v.instancePath.split('/').filter(Boolean);
  const params = v.params as { missingProperty?: string; additionalProperty?: string };
  const leaf = params.missingProperty ?? params.additionalProperty;
  return [...path, ...(leaf ? [leaf] : [])].join('.') || undefined;
}

function validationMessage(error: FastifyError, field: string | undefined): string {
  const v = error.validation?.[0];
  const params = v?.params as { additionalProperty?: string } | undefined;
  if (params?.additionalProperty) return `${field}: is not a field of this request`;
  if (v?.keyword === 'required') return `${field}: is required`;
  return `${field ?? error.validationContext ?? 'request'}: ${v?.message ?? error.message}`;
}

export async function buildApiServer(deps: ApiDeps): Promise<FastifyInstance> {
  const app = Fastify({
    logger: deps.logger ?? false,
    bodyLimit: 64 * 1024,
    trustProxy: false,
    // Unknown fields are refused by name rather than silently dropped (Fastify's default removes them).
    ajv: { customOptions: { removeAdditional: false, coerceTypes: 'array', useDefaults: true, allErrors: false } },
  });

  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'oci-transcode job API',
        version: API_VERSION,
        description: 'Submit a transcode of an object already in a source bucket, follow its progress, list recent jobs, cancel one.',
      },
      components: { securitySchemes: { apiKey: { type: 'http', scheme: 'bearer', description: 'otk_… keys from `oci-transcode api-key create`' } } },
      security: [{ apiKey: [] }],
    },
  });

  app.addHook('onRequest', async (req: FastifyRequest, reply) => {
    if (!deps.keys) return;
    if (PUBLIC_ROUTES.has(req.routeOptions.url ?? '')) return;
    const principal = deps.keys.verify(bearerKey(req.headers.authorization));
    if (!principal) {
      await reply
        .code(401)
        .header('www-authenticate', 'Bearer realm="oci-transcode"')
        .send({ error: 'unauthorized', message: 'a valid API key is required: Authorization: Bearer otk_… (oci-transcode api-key create)' });
      return;
    }
    req.principal = principal;
  });

  // After authentication: a request is counted against its key (or, for public paths, its address).
  await app.register(rateLimit, {
    hook: 'preHandler',
    max: deps.config.api.rateLimit,
    timeWindow: '1 minute',
    keyGenerator: (req) => (req.principal ? `key:${req.principal.id}` : `ip:${req.ip}`),
    errorResponseBuilder: (_req, context) => ({
      statusCode: 429,
      error: 'rate_limited',
      message: `more than ${context.max} requests per minute; try again in ${context.after}`,
    }),
  });

  app.setErrorHandler((error: FastifyError, _req, reply) => {
    if (error.validation) {
      const field = fieldOf(error);
      return reply.code(400).send({ error: 'invalid_request', message: validationMessage(error, field), ...(field ? { field } : {}) });
    }
    const status = error.statusCode ?? 500;
    if (status === 429) return reply.code(429).send({ error: 'rate_limited', message: error.message });
    if (status >= 400 && status < 500) return reply.code(status).send({ error: error.code === 'FST_ERR_CTP_BODY_TOO_LARGE' ? 'too_large' : 'invalid_request', message: error.message });
    reply.log.error(error);
    return reply.code(502).send({ error: 'upstream', message: `the job service could not answer: ${error.message}` });
  });

  app.get('/openapi.json', { schema: { hide: true } }, () => app.swagger());
  app.get('/healthz', { schema: { hide: true } }, () => ({ ok: true }));
  registerJobRoutes(app, deps);
  if (deps.preview !== false) {
    await app.register(previewPlugin, {
      prefix: '/preview',
      jobs: deps.jobs,
      store: deps.store,
      layout: deps.config,
      requiresKey: deps.keys !== null,
    });
  }
  return app;
}

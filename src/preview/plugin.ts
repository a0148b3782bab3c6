// The preview page as a Fastify plugin: the static page (assets/), shaka-player from node_modules (no
// CDN), the runs it lists (JobDirectory), one run's facts with its job.json, and the destination
// bucket's media through the ObjectStore. Mounted by the API service under /preview/ (behind its API
// keys) and by the local stack through startPreviewServer (server.ts), without a key.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { parseJobId } from '../api/ids.js';
import type { JobDirectory, JobView } from '../api/jobs.js';
import { DASH_MANIFEST, defaultDest, JOB_RECORD, MASTER_PLAYLIST, posterJpeg, storyboardImage, storyboardVtt, streamPrefix } from '../domain/layout.js';
import type { ObjectStore } from '../ports.js';
import { readJson } from '../store-io.js';
import { sendObject } from './media.js';

export type Layout = Parameters<typeof defaultDest>[0];

const ASSETS = fileURLToPath(new URL('./assets/', import.meta.url));
const SHAKA_DIST = join(dirname(createRequire(import.meta.url).resolve('shaka-player/package.json')), 'dist');

export interface PreviewOptions {
  jobs: JobDirectory;
  store: ObjectStore;
  /** Where the pipeline publishes, per source bucket (config.destBucket, destPrefix, sourceBuckets; a completed run's own result wins). */
  layout: Layout;
  /** The page asks for an API key (the API service) or not (the local stack). */
  requiresKey: boolean;
}

/** What the page reads of job.json; the rest is shown as it is. */
const recordSchema = z.looseObject({
  workflow: z.looseObject({ runId: z.string() }).optional(),
  plan: z.looseObject({ version: z.string() }).optional(),
  outputs: z.looseObject({ hls: z.string().optional(), dash: z.string().optional(), thumbnail: z.string().optional() }).optional(),
});

/** `media/<name>`, each segment encoded, relative to the page. */
const mediaUrl = (name: string): string => `media/${name.split('/').map(encodeURIComponent).join('/')}`;

async function runDetail(o: PreviewOptions, run: JobView) {
  const slash = run.source?.indexOf('/') ?? -1;
  const source = run.source && slash > 0 ? { bucket: run.source.slice(0, slash), object: run.source.slice(slash + 1) } : undefined;
  const bucket = run.result?.bucket ?? o.layout.destBucket;
  const prefix = run.result?.streamPrefix ?? (source ? streamPrefix(defaultDest(o.layout, source.bucket), source.object) : undefined);
  if (prefix === undefined) return { run, source, dest: { bucket } };
  const raw = await readJson<unknown>(o.store, bucket, prefix + JOB_RECORD).catch(() => undefined);
  const parsed = recordSchema.safeParse(raw);
  const record = parsed.success ? parsed.data : undefined;
  const version = record?.plan?.version ?? run.result?.version;
  const exists = async (name: string | undefined) => (name !== undefined && (await o.store.head(bucket, name)) ? mediaUrl(name) : undefined);
  const [hls, dash, thumbnail, poster, vtt, image] = await Promise.all([
    exists(record?.outputs?.hls ?? (run.result ? run.result.hls : prefix + MASTER_PLAYLIST)),
    exists(record?.outputs?.dash ?? (run.result ? run.result.dash : prefix + DASH_MANIFEST)),
    exists(record?.outputs?.thumbnail ?? run.result?.thumbnail),
    exists(version ? prefix + posterJpeg(version) : undefined),
    exists(version ? prefix + storyboardVtt(version) : undefined),
    exists(version ? prefix + storyboardImage(version) : undefined),
  ]);
  const media = { hls, dash, thumbnail, poster, storyboard: vtt && image ? { vtt, image } : undefined };
  // job.json is the last run of this source: another run's record is shown, but flagged.
  return { run, source, dest: { bucket, streamPrefix: prefix }, record: raw, recordOfThisRun: record?.workflow?.runId === run.runId, media };
}

export async function previewPlugin(app: FastifyInstance, o: PreviewOptions): Promise<void> {
  const page = readFileSync(join(ASSETS, 'index.html'));
  await app.register(fastifyStatic, { root: ASSETS, prefix: '/assets/', decorateReply: false, cacheControl: false, setHeaders: (res) => {
    res.setHeader('cache-control', 'no-cache');
  } });
  await app.register(fastifyStatic, { root: SHAKA_DIST, prefix: '/lib/shaka/', decorateReply: false, allowedPath: (path) => /^\/shaka-player\.compiled(\.debug)?\.js(\.map)?$/.test(path) });

  // Relative URLs on the page need the trailing slash.
  app.get('', { schema: { hide: true } }, (req, reply) => reply.redirect(`${req.url.split('?')[0]}/`));
  app.get('/', { schema: { hide: true }, prefixTrailingSlash: 'slash' }, (_req, reply) => reply.type('text/html; charset=utf-8').header('cache-control', 'no-cache').send(page));
  app.get('/data/config', { schema: { hide: true } }, () => ({ requiresKey: o.requiresKey }));

  app.get<{ Querystring: { limit?: string } }>('/data/runs', { schema: { hide: true } }, async (req) => {
    const limit = Math.min(50, Math.max(1, Number(req.query.limit ?? 20) || 20));
    return { runs: await o.jobs.list({ limit, withProgress: true }) };
  });

  app.get<{ Params: { id: string } }>('/data/runs/:id', { schema: { hide: true } }, async (req, reply) => {
    const ref = parseJobId(req.params.id);
    const run = ref ? await o.jobs.get(ref) : undefined;
    if (!run) return reply.code(404).send({ error: 'not_found', message: `no run ${req.params.id}` });
    return runDetail(o, run);
  });

  app.get<{ Params: { '*': string } }>('/media/*', { schema: { hide: true } }, (req, reply) => sendObject(o.store, o.layout.destBucket, req.params['*'], req, reply));
}

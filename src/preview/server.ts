// The preview page on its own, for the local stack: no API key (it listens on 127.0.0.1 only), runs from
// the stack's Temporal, media from its folder buckets. `oci-transcode dev` and `run` print its URL.
import type { Client } from '@temporalio/client';
import Fastify from 'fastify';
import type { AddressInfo } from 'node:net';
import { temporalJobs } from '../api/jobs.js';
import type { ObjectStore } from '../ports.js';
import { previewPlugin, type Layout } from './plugin.js';

export interface PreviewServerOptions {
  client: Client;
  store: ObjectStore;
  /** config.destBucket, destPrefix and sourceBuckets: where each source's outputs are. */
  layout: Layout;
  /** The Temporal Web UI, for the link to each run (the local stack's: http://127.0.0.1:<ui port>). */
  webUiUrl?: string;
  /** 0 picks a free port. */
  port?: number;
  host?: string;
}

export interface PreviewServer {
  /** The page, e.g. http://127.0.0.1:8240/preview/ */
  url: string;
  close(): Promise<void>;
}

export async function startPreviewServer(o: PreviewServerOptions): Promise<PreviewServer> {
  const app = Fastify({ logger: false });
  const jobs = temporalJobs(o.client, o.webUiUrl ? { webUiUrl: o.webUiUrl } : {});
  await app.register(previewPlugin, { prefix: '/preview', jobs, store: o.store, layout: o.layout, requiresKey: false });
  app.get('/', (_req, reply) => reply.redirect('/preview/'));
  await app.listen({ port: o.port ?? 0, host: o.host ?? '127.0.0.1' });
  const { port } = app.server.address() as AddressInfo;
  return { url: `http://${o.host ?? '127.0.0.1'}:${port}/preview/`, close: () => app.close() };
}

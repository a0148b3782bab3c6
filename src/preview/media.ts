// The destination bucket's objects, served to the preview page through the port (a local folder store,
// or Object Storage with ranged GETs), with byte ranges as players ask for them.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { outputHeaders } from '../domain/layout.js';
import { NotFoundError, type ObjectStore } from '../ports.js';
import { parseByteRange } from '../transcoder/source-server.js';

export async function sendObject(store: ObjectStore, bucket: string, name: string, req: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  const notFound = () => reply.code(404).send({ error: 'not_found', message: `no object ${name} in ${bucket}` });
  if (!name || name.endsWith('/')) return notFound();
  const head = await store.head(bucket, name);
  if (!head) return notFound();
  const range = parseByteRange(req.headers.range, head.size);
  if (range === 'unsatisfiable') return reply.code(416).header('content-range', `bytes */${head.size}`).send();
  reply
    .header('content-type', head.contentType ?? outputHeaders(name, true).contentType)
    .header('accept-ranges', 'bytes')
    .header('cache-control', 'no-cache')
    .header('etag', `"${head.etag.replace(/"/g, '')}"`);
  try {
    // Pinned to the version just headed: a newer upload mid-read fails instead of mixing bytes.
    const body = await store.get(bucket, name, { ifMatch: head.etag, ...(range ? { range } : {}) });
    if (range) {
      reply.code(206).header('content-range', `bytes ${range.start}-${range.end}/${head.size}`).header('content-length', String(range.end - range.start + 1));
    } else {
      reply.header('content-length', String(head.size));
    }
    return reply.send(body);
  } catch (error) {
    if (error instanceof NotFoundError) return notFound();
    throw error;
  }
}

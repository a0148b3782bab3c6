// Small HTTP helpers shared by the stand-in's services: OCI-shaped errors and JSON answers.
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';

/** An OCI error answer: `{ code, message }` with the HTTP status, as every OCI service writes it. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export const notFound = (what: string): ApiError => new ApiError(404, 'NotAuthorizedOrNotFound', `${what} not found or not authorized`);
export const badRequest = (message: string, code = 'InvalidParameter'): ApiError => new ApiError(400, code, message);

export interface Call {
  req: IncomingMessage;
  res: ServerResponse;
  method: string;
  url: URL;
  /** Path segments after the service prefix, percent-decoded. */
  segments: string[];
  body: Buffer;
  requestId: string;
  /** http://host:port as the caller addressed us, for URLs we hand back. */
  origin: string;
}

export const newRequestId = (): string => randomBytes(16).toString('hex').toUpperCase();

export function sendJson(call: Call, status: number, value: unknown, headers: Record<string, string> = {}): void {
  const body = Buffer.from(JSON.stringify(value));
  call.res.writeHead(status, { 'content-type': 'application/json', 'content-length': String(body.length), 'opc-request-id': call.requestId, ...headers });
  call.res.end(call.method === 'HEAD' ? undefined : body);
}

export function sendEmpty(call: Call, status: number, headers: Record<string, string> = {}): void {
  call.res.writeHead(status, { 'opc-request-id': call.requestId, 'content-length': '0', ...headers });
  call.res.end();
}

export function sendError(res: ServerResponse, requestId: string, error: ApiError, method: string): void {
  const body = Buffer.from(JSON.stringify({ code: error.code, message: error.message }));
  if (res.headersSent) {
    res.destroy();
    return;
  }
  res.writeHead(error.status, { 'content-type': 'application/json', 'content-length': String(body.length), 'opc-request-id': requestId });
  res.end(method === 'HEAD' ? undefined : body);
}

export function parseJson<T>(call: Call): T {
  try {
    return JSON.parse(call.body.toString('utf8') || '{}') as T;
  } catch {
    throw badRequest('The request body is not valid JSON', 'InvalidParameter');
  }
}

export async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** A single `bytes=` range against a body of `size` bytes; undefined when absent or unsatisfiable. */
export function parseRange(header: string | undefined, size: number): { start: number; end: number } | undefined {
  const match = header ? /^bytes=(\d*)-(\d*)$/.exec(header.trim()) : null;
  if (!match || (match[1] === '' && match[2] === '')) return undefined;
  let start: number;
  let end: number;
  if (match[1] === '') {
    start = Math.max(0, size - Number(match[2]));
    end = size - 1;
  } else {
    start = Number(match[1]);
    end = match[2] === '' ? size - 1 : Math.min(Number(match[2]), size - 1);
  }
  return start <= end && start < size ? { start, end } : undefined;
}

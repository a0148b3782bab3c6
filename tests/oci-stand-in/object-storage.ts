// Object Storage subset: namespace, objects (head/get/put/list/delete), the multipart endpoints
// UploadManager uses, and pre-authenticated requests (create, delete, and serving /p/<token>/... reads).
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { ApiError, badRequest, parseJson, parseRange, sendEmpty, sendJson, type Call } from './http.js';

export interface StoredObject {
  data: Buffer;
  etag: string;
  md5: string;
  contentType: string;
  cacheControl?: string;
  timeCreated: Date;
  multipartMd5?: string;
}

interface Upload {
  bucket: string;
  object: string;
  contentType?: string;
  cacheControl?: string;
  parts: Map<number, { data: Buffer; etag: string; md5: string }>;
  timeCreated: Date;
}

interface Par {
  id: string;
  token: string;
  name: string;
  bucket: string;
  objectName: string;
  accessType: string;
  timeExpires: Date;
  timeCreated: Date;
}

export type OsRoute = { operation: string; bodyExempt?: boolean; unsigned?: boolean; run(call: Call): void };

const md5 = (data: Buffer): string => createHash('md5').update(data).digest('base64');
const objectMissing = (bucket: string, name: string) =>
  new ApiError(404, 'ObjectNotFound', `The object '${name}' was not found in the bucket '${bucket}'`);

export class ObjectStorageService {
  readonly buckets = new Map<string, Map<string, StoredObject>>();
  readonly uploads = new Map<string, Upload>();
  readonly pars = new Map<string, Par>();

  constructor(readonly namespace: string) {}

  createBucket(name: string): void {
    if (!this.buckets.has(name)) this.buckets.set(name, new Map());
  }

  private bucket(ns: string | undefined, name: string | undefined): Map<string, StoredObject> {
    if (ns !== this.namespace) throw new ApiError(404, 'NamespaceNotFound', `You do not have authorization to perform this request, or the requested resource could not be found.`);
    const bucket = name === undefined ? undefined : this.buckets.get(name);
    if (!bucket) throw new ApiError(404, 'BucketNotFound', `Either the bucket named '${name}' does not exist in the namespace '${ns}' or you are not authorized to access it`);
    return bucket;
  }

  store(bucket: string, name: string, data: Buffer, contentType = 'application/octet-stream', cacheControl?: string): StoredObject {
    const object: StoredObject = { data, etag: randomUUID(), md5: md5(data), contentType, cacheControl, timeCreated: new Date() };
    this.bucket(this.namespace, bucket).set(name, object);
    return object;
  }

  /** Maps a request to its operation; undefined when the path is not Object Storage's. */
  route(method: string, segments: string[]): OsRoute | undefined {
    const [n, ns, b, bucket, kind, ...rest] = segments;
    if (n === 'p') return this.parRoute(method, segments);
    if (n !== 'n') return undefined;
    if (segments.length <= 2 && (ns === undefined || ns === '') && method === 'GET') {
      return { operation: 'GetNamespace', run: (call) => sendJson(call, 200, this.namespace) };
    }
    if (b !== 'b' || bucket === undefined) return undefined;
    const name = rest.join('/');
    if (kind === 'o' && rest.length === 0 && method === 'GET') return { operation: 'ListObjects', run: (c) => this.list(c, ns, bucket) };
    if (kind === 'o' && name) {
      if (method === 'HEAD') return { operation: 'HeadObject', run: (c) => this.read(c, this.object(ns, bucket, name)) };
      if (method === 'GET') return { operation: 'GetObject', run: (c) => this.read(c, this.object(ns, bucket, name)) };
      if (method === 'PUT') return { operation: 'PutObject', bodyExempt: true, run: (c) => this.put(c, ns, bucket, name) };
      if (method === 'DELETE') return { operation: 'DeleteObject', run: (c) => this.remove(c, ns, bucket, name) };
    }
    if (kind === 'u' && rest.length === 0 && method === 'POST') return { operation: 'CreateMultipartUpload', run: (c) => this.createUpload(c, ns, bucket) };
    if (kind === 'u' && name) {
      if (method === 'PUT') return { operation: 'UploadPart', bodyExempt: true, run: (c) => this.uploadPart(c, ns, bucket, name) };
      if (method === 'POST') return { operation: 'CommitMultipartUpload', run: (c) => this.commit(c, ns, bucket, name) };
      if (method === 'DELETE') return { operation: 'AbortMultipartUpload', run: (c) => this.abort(c, ns, bucket, name) };
    }
    if (kind === 'p' && (rest.length === 0 || name === '') && method === 'POST') return { operation: 'CreatePreauthenticatedRequest', run: (c) => this.createPar(c, ns, bucket) };
    if (kind === 'p' && name && method === 'DELETE') return { operation: 'DeletePreauthenticatedRequest', run: (c) => this.deletePar(c, ns, bucket, name) };
    return undefined;
  }

  private object(ns: string | undefined, bucket: string, name: string): StoredObject {
    const object = this.bucket(ns, bucket).get(name);
    if (!object) throw objectMissing(bucket, name);
    return object;
  }

  private read(call: Call, object: StoredObject): void {
    const headers: Record<string, string> = {
      etag: object.etag,
      'content-type': object.contentType,
      'content-md5': object.md5,
      'last-modified': object.timeCreated.toUTCString(),
      'accept-ranges': 'bytes',
      'opc-request-id': call.requestId,
      ...(object.cacheControl ? { 'cache-control': object.cacheControl } : {}),
      ...(object.multipartMd5 ? { 'opc-multipart-md5': object.multipartMd5 } : {}),
    };
    const ifMatch = call.req.headers['if-match'];
    if (ifMatch !== undefined && ifMatch !== object.etag && ifMatch !== '*') {
      throw new ApiError(412, 'IfMatchFailed', `The If-Match header value '${ifMatch}' does not match the object's ETag`);
    }
    const range = parseRange(call.req.headers.range, object.data.length);
    if (call.req.headers.range && !range) {
      call.res.writeHead(416, { ...headers, 'content-range': `bytes */${object.data.length}` });
      call.res.end();
      return;
    }
    const body = range ? object.data.subarray(range.start, range.end + 1) : object.data;
    if (range) headers['content-range'] = `bytes ${range.start}-${range.end}/${object.data.length}`;
    call.res.writeHead(range ? 206 : 200, { ...headers, 'content-length': String(body.length) });
    call.res.end(call.method === 'HEAD' ? undefined : body);
  }

  private put(call: Call, ns: string | undefined, bucket: string, name: string): void {
    this.bucket(ns, bucket);
    const object = this.store(bucket, name, call.body, call.req.headers['content-type'] ?? 'application/octet-stream', call.req.headers['cache-control']);
    sendEmpty(call, 200, { etag: object.etag, 'opc-content-md5': object.md5, 'last-modified': object.timeCreated.toUTCString() });
  }

  private remove(call: Call, ns: string | undefined, bucket: string, name: string): void {
    if (!this.bucket(ns, bucket).delete(name)) throw objectMissing(bucket, name);
    sendEmpty(call, 204, { 'last-modified': new Date().toUTCString() });
  }

  /** Real ListObjects: lexicographic, `start` inclusive, only names unless `fields` asks for more. */
  private list(call: Call, ns: string | undefined, bucketName: string): void {
    const bucket = this.bucket(ns, bucketName);
    const q = call.url.searchParams;
    const prefix = q.get('prefix') ?? '';
    const start = q.get('start') ?? '';
    const end = q.get('end');
    const limit = Math.min(1000, Number(q.get('limit') ?? 1000));
    if (!Number.isInteger(limit) || limit < 1) throw badRequest('limit must be between 1 and 1000');
    const fields = new Set((q.get('fields') ?? 'name').split(',').map((f) => f.trim()));
    const names = [...bucket.keys()].filter((k) => k.startsWith(prefix) && k >= start && (end === null || k < end)).sort();
    const page = names.slice(0, limit);
    const objects = page.map((name) => {
      const o = bucket.get(name)!;
      const summary: Record<string, unknown> = { name };
      if (fields.has('size')) summary.size = o.data.length;
      if (fields.has('etag')) summary.etag = o.etag;
      if (fields.has('md5')) summary.md5 = o.multipartMd5 ?? o.md5;
      if (fields.has('timeCreated')) summary.timeCreated = o.timeCreated.toISOString();
      if (fields.has('timeModified')) summary.timeModified = o.timeCreated.toISOString();
      return summary;
    });
    sendJson(call, 200, { objects, prefixes: [], ...(names.length > limit ? { nextStartWith: names[limit] } : {}) });
  }

  private createUpload(call: Call, ns: string | undefined, bucket: string): void {
    this.bucket(ns, bucket);
    const details = parseJson<{ object?: string; contentType?: string; cacheControl?: string }>(call);
    if (!details.object) throw badRequest('object is required', 'MissingParameter');
    const uploadId = randomUUID();
    this.uploads.set(uploadId, { bucket, object: details.object, contentType: details.contentType, cacheControl: details.cacheControl, parts: new Map(), timeCreated: new Date() });
    sendJson(call, 200, { namespace: this.namespace, bucket, object: details.object, uploadId, timeCreated: new Date().toISOString(), storageTier: 'Standard' });
  }

  private upload(call: Call, bucket: string, name: string): Upload {
    const uploadId = call.url.searchParams.get('uploadId') ?? '';
    const upload = this.uploads.get(uploadId);
    if (!upload || upload.bucket !== bucket || upload.object !== name) throw new ApiError(404, 'NoSuchUpload', `The upload ${uploadId} does not exist for object '${name}'`);
    return upload;
  }

  private uploadPart(call: Call, ns: string | undefined, bucket: string, name: string): void {
    this.bucket(ns, bucket);
    const upload = this.upload(call, bucket, name);
    const partNum = Number(call.url.searchParams.get('uploadPartNum'));
    if (!Number.isInteger(partNum) || partNum < 1 || partNum > 10000) throw badRequest('uploadPartNum must be 1 to 10000');
    const part = { data: call.body, etag: randomUUID(), md5: md5(call.body) };
    upload.parts.set(partNum, part);
    sendEmpty(call, 200, { etag: part.etag, 'opc-content-md5': part.md5 });
  }

  private commit(call: Call, ns: string | undefined, bucket: string, name: string): void {
    this.bucket(ns, bucket);
    const upload = this.upload(call, bucket, name);
    const details = parseJson<{ partsToCommit?: { partNum: number; etag: string }[] }>(call);
    const parts = [...(details.partsToCommit ?? [])].sort((a, b) => a.partNum - b.partNum);
    if (parts.length === 0) throw badRequest('partsToCommit must not be empty');
    const chunks = parts.map((p) => {
      const stored = upload.parts.get(p.partNum);
      if (!stored || stored.etag !== p.etag) throw badRequest(`part ${p.partNum} with etag ${p.etag} was not uploaded`, 'InvalidUploadPart');
      return stored;
    });
    const object = this.store(bucket, name, Buffer.concat(chunks.map((c) => c.data)), upload.contentType, upload.cacheControl);
    const combined = createHash('md5').update(Buffer.concat(chunks.map((c) => Buffer.from(c.md5, 'base64')))).digest('base64');
    object.multipartMd5 = `${combined}-${chunks.length}`;
    this.uploads.delete(call.url.searchParams.get('uploadId')!);
    sendEmpty(call, 200, { etag: object.etag, 'opc-multipart-md5': object.multipartMd5, 'last-modified': object.timeCreated.toUTCString() });
  }

  private abort(call: Call, ns: string | undefined, bucket: string, name: string): void {
    this.bucket(ns, bucket);
    this.upload(call, bucket, name);
    this.uploads.delete(call.url.searchParams.get('uploadId')!);
    sendEmpty(call, 204);
  }

  private createPar(call: Call, ns: string | undefined, bucket: string): void {
    this.bucket(ns, bucket);
    const d = parseJson<{ name?: string; objectName?: string; accessType?: string; timeExpires?: string }>(call);
    if (!d.name || !d.accessType || !d.timeExpires) throw badRequest('name, accessType and timeExpires are required', 'MissingParameter');
    const timeExpires = new Date(d.timeExpires);
    if (Number.isNaN(timeExpires.getTime()) || timeExpires.getTime() <= Date.now()) throw badRequest('timeExpires must be in the future');
    if (d.accessType.startsWith('Object') && !d.objectName) throw badRequest(`objectName is required for ${d.accessType}`);
    const par: Par = {
      id: randomBytes(24).toString('base64url'),
      token: randomBytes(32).toString('base64url'),
      name: d.name,
      bucket,
      objectName: d.objectName ?? '',
      accessType: d.accessType,
      timeExpires,
      timeCreated: new Date(),
    };
    this.pars.set(par.id, par);
    const accessUri = `/p/${par.token}/n/${encodeURIComponent(this.namespace)}/b/${encodeURIComponent(bucket)}/o/${encodeURIComponent(par.objectName)}`;
    sendJson(call, 200, {
      id: par.id, name: par.name, accessUri, fullPath: `${call.origin}${accessUri}`, objectName: par.objectName,
      accessType: par.accessType, timeExpires: par.timeExpires.toISOString(), timeCreated: par.timeCreated.toISOString(),
    });
  }

  private deletePar(call: Call, ns: string | undefined, bucket: string, parId: string): void {
    this.bucket(ns, bucket);
    const par = this.pars.get(parId);
    if (!par || par.bucket !== bucket) throw new ApiError(404, 'NotFound', `The pre-authenticated request ${parId} was not found`);
    this.pars.delete(parId);
    sendEmpty(call, 204);
  }

  /** Reads through a PAR URL: no signature, the token is the credential; expired or deleted ones are 404. */
  private parRoute(method: string, segments: string[]): OsRoute | undefined {
    const [, token, n, ns, b, bucket, o, ...rest] = segments;
    if (n !== 'n' || b !== 'b' || o !== 'o' || !bucket || (method !== 'GET' && method !== 'HEAD')) return undefined;
    const name = rest.join('/');
    return {
      operation: 'ReadWithPar',
      unsigned: true,
      run: (call) => {
        const par = [...this.pars.values()].find((p) => p.token === token);
        const valid = par && par.timeExpires.getTime() > Date.now() && par.bucket === bucket && ns === this.namespace
          && par.objectName === name && par.accessType.includes('Read');
        if (!valid) throw new ApiError(404, 'NotFound', 'The pre-authenticated request is not valid');
        this.read(call, this.object(ns, bucket, name));
      },
    };
  }

  /** Open multipart uploads and live PARs: a clean run leaves none behind. */
  leftovers(): { uploads: number; pars: number } {
    const now = Date.now();
    return { uploads: this.uploads.size, pars: [...this.pars.values()].filter((p) => p.timeExpires.getTime() > now).length };
  }
}

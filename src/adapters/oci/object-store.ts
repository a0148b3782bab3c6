// ObjectStore on OCI Object Storage (oci-objectstorage). Streams in and out; multipart beyond one part;
// read-only pre-authenticated requests (PARs) give ffprobe a short-lived URL, revoked on dispose.
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { Range } from 'oci-common';
import { models, ObjectStorageClient } from 'oci-objectstorage';
import { loadOciConfig, type OciConfig } from '../../config-oci.js';
import { formatOciUri } from '../../domain/oci-uri.js';
import type { GetOptions, ListPage, ObjectInfo, ObjectStore, PutOptions, ReadUrl } from '../../ports.js';
import { openClient } from './clients.js';
import { ociDate } from './dates.js';
import { statusOf, toPortError } from './errors.js';
import { uploadBuffer, uploadFile, uploadStream, type UploadTarget } from './uploads.js';

// archivalState: the reconciler leaves archived sources alone, as the starter does for their events.
const LIST_FIELDS = 'name,size,etag,md5,timeCreated,timeModified,archivalState';

function toReadable(value: Readable | ReadableStream | WebReadableStream): Readable {
  return value instanceof Readable ? value : Readable.fromWeb(value as WebReadableStream);
}

export interface OciObjectStoreOptions {
  /** Object Storage namespace; fetched with getNamespace on first use when absent. */
  namespace?: string;
  env?: Record<string, string | undefined>;
}

export class OciObjectStore implements ObjectStore {
  private ns: string | undefined;
  private opened: Promise<ObjectStorageClient> | undefined;

  constructor(
    readonly config: OciConfig,
    private readonly open: () => Promise<ObjectStorageClient>,
    namespace?: string,
  ) {
    this.ns = namespace;
  }

  /** The namespace given or resolved so far ('' until the first call resolves it). */
  get namespace(): string {
    return this.ns ?? '';
  }

  private async client(): Promise<{ client: ObjectStorageClient; namespace: string }> {
    this.opened ??= this.open();
    const objectStorage = await this.opened.catch((error: unknown) => {
      this.opened = undefined; // a bad credential or metadata hiccup must not poison every later call
      throw error;
    });
    if (this.ns === undefined) {
      try {
        this.ns = (await objectStorage.getNamespace({})).value;
      } catch (error) {
        throw toPortError(error, 'get Object Storage namespace');
      }
    }
    return { client: objectStorage, namespace: this.ns };
  }

  async resolveNamespace(): Promise<string> {
    return (await this.client()).namespace;
  }

  private uri(bucket: string, name = ''): string {
    return formatOciUri({ namespace: this.namespace, bucket, name });
  }

  async head(bucket: string, name: string): Promise<ObjectInfo | undefined> {
    const { client, namespace } = await this.client();
    try {
      const r = await client.headObject({ namespaceName: namespace, bucketName: bucket, objectName: name });
      return { name, size: Number(r.contentLength), etag: r.eTag, modified: ociDate(r.lastModified, 'header'), contentType: r.contentType ?? undefined };
    } catch (error) {
      if (statusOf(error) === 404) return undefined;
      throw toPortError(error, `head ${this.uri(bucket, name)}`);
    }
  }

  async get(bucket: string, name: string, options: GetOptions = {}): Promise<Readable> {
    const { client, namespace } = await this.client();
    const { range, ifMatch } = options;
    try {
      const r = await client.getObject({
        namespaceName: namespace,
        bucketName: bucket,
        objectName: name,
        ...(ifMatch !== undefined ? { ifMatch } : {}),
        ...(range ? { range: new Range(range.start, range.end ?? null, null) } : {}),
      });
      return toReadable(r.value);
    } catch (error) {
      throw toPortError(error, `get ${this.uri(bucket, name)}`);
    }
  }

  private async target(bucket: string, name: string, options?: PutOptions): Promise<UploadTarget> {
    const { client, namespace } = await this.client();
    return { client, namespace, bucket, name, options };
  }

  async put(bucket: string, name: string, body: Readable | Buffer | string, options?: PutOptions): Promise<ObjectInfo> {
    const target = await this.target(bucket, name, options);
    const result =
      body instanceof Readable
        ? await uploadStream(target, this.config, body)
        : await uploadBuffer(target, this.config, typeof body === 'string' ? Buffer.from(body) : body);
    return { name, size: result.size, etag: result.etag, contentType: options?.contentType };
  }

  async putFile(bucket: string, name: string, path: string, options?: PutOptions): Promise<ObjectInfo> {
    const result = await uploadFile(await this.target(bucket, name, options), this.config, path);
    return { name, size: result.size, etag: result.etag, contentType: options?.contentType };
  }

  async list(bucket: string, prefix: string, options: { start?: string; limit?: number } = {}): Promise<ListPage> {
    const { client, namespace } = await this.client();
    try {
      const r = await client.listObjects({
        namespaceName: namespace,
        bucketName: bucket,
        prefix: prefix || undefined,
        start: options.start,
        limit: options.limit,
        fields: LIST_FIELDS,
      });
      const objects = r.listObjects.objects.map(
        (o): ObjectInfo => ({
          name: o.name,
          size: Number(o.size ?? 0),
          etag: o.etag ?? '',
          modified: ociDate(o.timeModified ?? o.timeCreated, 'body'),
          ...(o.archivalState ? { archivalState: o.archivalState } : {}),
        }),
      );
      const next = r.listObjects.nextStartWith;
      return next ? { objects, next } : { objects };
    } catch (error) {
      throw toPortError(error, `list ${this.uri(bucket, prefix)}`);
    }
  }

  async delete(bucket: string, name: string): Promise<void> {
    const { client, namespace } = await this.client();
    try {
      await client.deleteObject({ namespaceName: namespace, bucketName: bucket, objectName: name });
    } catch (error) {
      if (statusOf(error) === 404) return;
      throw toPortError(error, `delete ${this.uri(bucket, name)}`);
    }
  }

  async readUrl(bucket: string, name: string, ttlSeconds: number): Promise<ReadUrl> {
    const { client, namespace } = await this.client();
    let par: models.PreauthenticatedRequest;
    try {
      const r = await client.createPreauthenticatedRequest({
        namespaceName: namespace,
        bucketName: bucket,
        createPreauthenticatedRequestDetails: {
          name: `oci-transcode-read-${randomBytes(6).toString('hex')}`,
          objectName: name,
          accessType: models.CreatePreauthenticatedRequestDetails.AccessType.ObjectRead,
          timeExpires: new Date(Date.now() + Math.max(1, ttlSeconds) * 1000),
        },
      });
      par = r.preauthenticatedRequest;
    } catch (error) {
      throw toPortError(error, `create read URL for ${this.uri(bucket, name)}`);
    }
    const url = par.fullPath ?? new URL(par.accessUri, `${client.endpoint}/`).toString();
    let disposed = false;
    const expiresAt = ociDate(par.timeExpires, 'body');
    return {
      url,
      ...(expiresAt ? { expiresAt } : {}),
      dispose: async () => {
        if (disposed) return;
        try {
          await client.deletePreauthenticatedRequest({ namespaceName: namespace, bucketName: bucket, parId: par.id });
          disposed = true;
        } catch (error) {
          if (statusOf(error) === 404) disposed = true;
          else throw toPortError(error, `revoke read URL for ${this.uri(bucket, name)}`);
        }
      },
    };
  }

  /** Releases the SDK client (circuit breaker, token refreshers). */
  async close(): Promise<void> {
    const opened = this.opened;
    this.opened = undefined;
    if (opened) (await opened.catch(() => undefined))?.close();
  }
}

/**
 * The store the transcoder and the worker use in OCI mode, configured from the environment
 * (OCI_TRANSCODE_OCI_* and OCI_TRANSCODE_NAMESPACE). Clients open on first use.
 */
export function createOciObjectStore(
  env: Record<string, string | undefined> = process.env,
  options: Omit<OciObjectStoreOptions, 'env'> = {},
): OciObjectStore {
  const config = loadOciConfig(env);
  const namespace = options.namespace ?? (env.OCI_TRANSCODE_NAMESPACE || undefined);
  return new OciObjectStore(config, () => openClient(ObjectStorageClient, config, config.endpoints.objectStorage, env), namespace);
}

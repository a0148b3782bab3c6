// The one oci:// format: `oci://<namespace>/<bucket>/<object name or prefix>`, for container arguments,
// log lines and error messages. Names are taken verbatim (no percent-encoding): object names may hold
// '%', spaces and any other character, and a container argument carries them as they are.

export const OCI_SCHEME = 'oci://';

export interface OciLocation {
  namespace: string;
  bucket: string;
  /** An object name, a prefix ending in '/', or '' for the bucket itself. */
  name: string;
}

export function formatOciUri({ namespace, bucket, name }: OciLocation): string {
  return `${OCI_SCHEME}${namespace}/${bucket}/${name}`;
}

/** The location an oci:// uri names, or undefined when it is not one (another scheme, or no bucket). */
export function parseOciUri(uri: string): OciLocation | undefined {
  if (!uri.startsWith(OCI_SCHEME)) return undefined;
  const [namespace = '', bucket = '', ...rest] = uri.slice(OCI_SCHEME.length).split('/');
  if (!namespace || !bucket) return undefined;
  return { namespace, bucket, name: rest.join('/') };
}

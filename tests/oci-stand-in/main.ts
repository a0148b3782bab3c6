// The OCI stand-in by hand: `tsx tests/oci-stand-in/main.ts [--port 8123] [--bucket media-in ...]
// [--env-file .data/oci-stand-in.env] [--quiet]`. Prints (and writes) the variables that point a worker
// at it with a fresh API key in an OCI config file; logs one line per request.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ADMIN_GROUP } from './iam/stand-in-iam.js';
import { standInImages, TRANSCODER_IMAGE } from './images.js';
import { startOciStandIn } from './server.js';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '0' },
    bucket: { type: 'string', multiple: true, default: ['media-in', 'media-out'] },
    'env-file': { type: 'string' },
    quiet: { type: 'boolean', default: false },
  },
});

const port = Number(values.port);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`--port ${values.port}: expected a port number`);
  process.exit(64);
}

const standIn = await startOciStandIn({
  port,
  buckets: values.bucket,
  images: standInImages(),
  onContainerOutput: values.quiet ? undefined : (container, line) => console.error(`[${container}] ${line}`),
});
// Two identities, as in a tenancy: the worker's (held to deploy/oci-policies.yaml, like a real worker) and
// an operator's (profile OPERATOR, Administrators) for uploading sources and looking at outputs.
const key = standIn.createApiKey();
const operator = standIn.createApiKey({ groups: [ADMIN_GROUP] });
const dir = mkdtempSync(join(tmpdir(), 'oci-stand-in-'));
const profile = (name: string, k: typeof key, file: string): string => {
  writeFileSync(join(dir, file), k.privateKeyPem, { mode: 0o600 });
  return `[${name}]\nuser=${k.user}\nfingerprint=${k.fingerprint}\ntenancy=${k.tenancy}\nregion=${standIn.region}\nkey_file=${join(dir, file)}\n`;
};
writeFileSync(join(dir, 'config'), `${profile('DEFAULT', key, 'key.pem')}\n${profile('OPERATOR', operator, 'operator.pem')}`, { mode: 0o600 });

const env: Record<string, string> = {
  OCI_TRANSCODE_MODE: 'oci',
  OCI_TRANSCODE_NAMESPACE: standIn.namespace,
  OCI_TRANSCODE_OCI_AUTH: 'config-file',
  OCI_TRANSCODE_OCI_CONFIG_FILE: join(dir, 'config'),
  OCI_TRANSCODE_OCI_COMPARTMENT: standIn.compartmentId,
  OCI_TRANSCODE_OCI_SUBNET: standIn.subnetId,
  OCI_TRANSCODE_OCI_AVAILABILITY_DOMAINS: standIn.availabilityDomains.join(','),
  OCI_TRANSCODE_OCI_IMAGE: TRANSCODER_IMAGE,
  ...standIn.endpointEnv(),
};
const lines = Object.entries(env).map(([k, v]) => `export ${k}='${v}'`);
console.log(`# OCI stand-in on ${standIn.url} (namespace ${standIn.namespace}, buckets ${values.bucket.join(', ')})`);
console.log(`# the worker signs with profile DEFAULT of ${join(dir, 'config')}; upload sources with profile OPERATOR`);
console.log(lines.join('\n'));
if (values['env-file']) writeFileSync(values['env-file'], `${lines.join('\n')}\n`);

if (!values.quiet) {
  let seen = 0;
  setInterval(() => {
    for (const r of standIn.requests.slice(seen, standIn.requests.length)) {
      if (r.status === 0) break; // still in flight: print next time
      seen += 1;
      const who = r.principal ? (r.principal.kind === 'user' ? 'api-key' : r.principal.resourceType) : r.rejected ? `REJECTED: ${r.rejected}` : 'unsigned';
      console.error(`${r.status} ${r.operation} ${r.method} ${decodeURIComponent(r.path).slice(0, 120)} (${who})`);
    }
  }, 250).unref();
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    void standIn.stop().then(() => process.exit(0));
  });
}

// The shipped IAM policies (deploy/oci-policies.yaml) against the stand-in's evaluator, through the real
// adapters and SDK clients: each principal can do what the pipeline does with it and nothing more, and a
// wrong line is refused the way OCI refuses it (404, nothing revealed), with the missing permission on
// the stand-in's request record. The old `use compute-containers` worker line is the case in point.
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { text } from 'node:stream/consumers';
import { ContainerInstanceClient } from 'oci-containerinstances';
import type { AuthenticationDetailsProvider } from 'oci-common';
import { ObjectStorageClient } from 'oci-objectstorage';
import { SecretsClient } from 'oci-secrets';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createOciJobRunner, OciJobRunner } from '../../../src/adapters/oci/job-runner.js';
import { createOciObjectStore, OciObjectStore } from '../../../src/adapters/oci/object-store.js';
import { loadOciConfig, requireJobRunnerConfig } from '../../../src/config-oci.js';
import { JobLaunchError, type JobHandle, type JobPhase } from '../../../src/ports.js';
import { startFunction } from '../../oci-stand-in/fn-host.js';
import { ADMIN_GROUP } from '../../oci-stand-in/iam/stand-in-iam.js';
import { ECHO_IMAGE, standInImages } from '../../oci-stand-in/images.js';
import { ocid } from '../../oci-stand-in/keys.js';
import { startOciStandIn, type OciStandIn } from '../../oci-stand-in/server.js';

const SECRET_ID = 'ocid1.vaultsecret.oc1.eu-frankfurt-1.temporalapikey';
let standIn: OciStandIn;
let workerEnv: Record<string, string>;
let operator: OciObjectStore;
let dir: string;
let serial = 0;

beforeAll(async () => {
  standIn = await startOciStandIn({ buckets: ['media-in', 'media-out'], images: standInImages() });
  standIn.secrets.set(SECRET_ID, 'tk-1');
  standIn.secrets.set('ocid1.vaultsecret.oc1.eu-frankfurt-1.other', 'not yours');
  workerEnv = { ...standIn.workerEnv(standIn.createApiKey()), OCI_TRANSCODE_OCI_IMAGE: ECHO_IMAGE, OCI_TRANSCODE_OCI_MAX_ATTEMPTS: '1' };
  operator = createOciObjectStore(standIn.workerEnv(standIn.createApiKey({ groups: [ADMIN_GROUP] })));
  await operator.put('media-in', 'src.mp4', 'source bytes');
  dir = await mkdtemp(join(tmpdir(), 'iam-'));
});

afterEach(() => {
  standIn.iam.reset();
  standIn.iam.denials.length = 0;
});

afterAll(async () => {
  await operator?.close();
  await standIn?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** Signs as a principal the stand-in minted (resource or instance principal: keyId ST$<token>). */
function tokenSigner(env: Record<string, string>): AuthenticationDetailsProvider {
  return { getKeyId: () => Promise.resolve(`ST$${env.OCI_RESOURCE_PRINCIPAL_RPST}`), getPrivateKey: () => env.OCI_RESOURCE_PRINCIPAL_PRIVATE_PEM!, getPassphrase: () => null };
}

function client<T extends { endpoint: string }>(Client: new (p: { authenticationDetailsProvider: AuthenticationDetailsProvider }) => T, env: Record<string, string>): T {
  const c = new Client({ authenticationDetailsProvider: tokenSigner(env) });
  c.endpoint = standIn.url;
  return c;
}

const mint = (type: string, id: string, compartmentId = standIn.compartmentId) => standIn.keys.mintResourcePrincipal(type, id, compartmentId, standIn.region);
const tokenStore = (env: Record<string, string>) => new OciObjectStore(loadOciConfig({ ...workerEnv, OCI_TRANSCODE_OCI_UPLOAD_PART_BYTES: '1024' }), () => Promise.resolve(client(ObjectStorageClient, env)), standIn.namespace);
const launch = (args: string[] = []) => {
  serial += 1;
  return { idempotencyKey: `iam-${serial}/run/job/1`, displayName: `iam ${serial}`, args, env: {}, tags: { app: 'oci-transcode', workflowId: `iam-${serial}`, jobId: 'job', attempt: '1' } };
};

async function until(runner: OciJobRunner, handle: JobHandle, phases: JobPhase[]): Promise<string> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const state = await runner.state(handle);
    if (phases.includes(state.phase)) return `${state.phase}${state.message ? `: ${state.message}` : ''}`;
    if (Date.now() > deadline) throw new Error(`still ${state.phase}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const lastDenied = (operation: string) => standIn.requests.filter((r) => r.operation === operation).at(-1);

describe('the shipped policies', () => {
  it('let the worker (user in oci-transcode-workers) run a job, read the source, mint and revoke a read URL, publish', async () => {
    const store = createOciObjectStore(workerEnv);
    const runner = createOciJobRunner(workerEnv);
    expect((await store.head('media-in', 'src.mp4'))?.size).toBe(12);
    const link = await store.readUrl('media-in', 'src.mp4', 60);
    expect(await (await fetch(link.url)).text()).toBe('source bytes');
    await link.dispose();
    await store.put('media-out', 'src.mp4/job.json', '{}');
    await store.put('media-out', 'src.mp4/job.json', '{"again":true}'); // overwrite
    expect((await store.list('media-out', 'src.mp4/')).objects.map((o) => o.name)).toEqual(['src.mp4/job.json']);
    await store.delete('media-out', 'src.mp4/job.json');

    const handle = await runner.start(launch(['--sleep', '200']));
    expect(await until(runner, handle, ['succeeded', 'failed'])).toBe('succeeded');
    expect(await runner.logTail(handle)).toContain('"event":"started"');
    expect((await runner.list({ workflowId: `iam-${serial}` })).map((j) => j.id)).toEqual([handle.id]);
    await runner.delete(handle);
    expect(await until(runner, handle, ['gone'])).toMatch(/^gone/);
    expect(standIn.iam.denials).toEqual([]);

    // ...and nothing it does not need: no upload into the source bucket, no deleting sources.
    await expect(store.put('media-in', 'x.mp4', 'x')).rejects.toThrow(/404 BucketNotFound: Either the bucket named 'media-in' does not exist/);
    expect(lastDenied('PutObject')?.denied).toEqual(['OBJECT_CREATE in compartment oci-transcode (target.bucket.name=media-in)']);
    await expect(store.delete('media-in', 'src.mp4')).resolves.toBeUndefined(); // the adapter treats 404 as gone...
    expect(lastDenied('DeleteObject')?.denied).toEqual(['OBJECT_DELETE in compartment oci-transcode (target.bucket.name=media-in)']);
    expect(await operator.head('media-in', 'src.mp4')).toBeDefined(); // ...but the source is still there
    await Promise.all([store.close(), runner.close()]);
  });

  it('give the worker the same grants as a dynamic group (instance principal); another instance gets none', async () => {
    const config = requireJobRunnerConfig(loadOciConfig(workerEnv));
    const asWorker = mint('instance', standIn.workerInstanceId);
    const runner = new OciJobRunner(config, () => Promise.resolve(client(ContainerInstanceClient, asWorker)));
    const handle = await runner.start(launch());
    expect(await until(runner, handle, ['succeeded', 'failed'])).toBe('succeeded');
    await runner.delete(handle);
    expect((await tokenStore(asWorker).head('media-in', 'src.mp4'))?.size).toBe(12);

    const stranger = new OciJobRunner(config, () => Promise.resolve(client(ContainerInstanceClient, mint('instance', ocid('instance')))));
    await expect(stranger.start(launch())).rejects.toThrow(/404 NotAuthorizedOrNotFound/);
  });

  it('let the starter function read its secret and no other; another function reads none', async () => {
    const secrets = client(SecretsClient, standIn.functionPrincipalEnv());
    const bundle = await secrets.getSecretBundle({ secretId: SECRET_ID });
    expect(Buffer.from(String((bundle.secretBundle.secretBundleContent as { content?: string }).content), 'base64').toString()).toBe('tk-1');
    await expect(secrets.getSecretBundle({ secretId: 'ocid1.vaultsecret.oc1.eu-frankfurt-1.other' })).rejects.toMatchObject({ statusCode: 404, serviceCode: 'NotAuthorizedOrNotFound' });
    expect(lastDenied('GetSecretBundle')?.denied?.[0]).toMatch(/^SECRET_BUNDLE_READ in compartment oci-transcode \(target.secret.id=.*other\)$/);
    const impostor = client(SecretsClient, standIn.functionPrincipalEnv(ocid('fnfunc', standIn.region)));
    await expect(impostor.getSecretBundle({ secretId: SECRET_ID })).rejects.toMatchObject({ statusCode: 404 });
  });

  it('let a transcoder container read the source and write, multipart included, only in the destination', async () => {
    const store = tokenStore(mint('computecontainerinstance', ocid('computecontainerinstance')));
    expect(await text(await store.get('media-in', 'src.mp4'))).toBe('source bytes');
    await store.put('media-out', 'src.mp4/v1/seg_00001.m4s', randomBytes(3000)); // 3 parts of 1 KiB
    await store.put('media-out', 'src.mp4/v1/seg_00001.m4s', 'small'); // overwrite
    expect((await store.list('media-out', 'src.mp4/v1/')).objects).toHaveLength(1);
    expect(standIn.count('CommitMultipartUpload')).toBeGreaterThan(0);
    expect(standIn.iam.denials).toEqual([]);
    await expect(store.put('media-in', 'evil.mp4', 'x')).rejects.toThrow(/404 BucketNotFound/);
    await expect(store.readUrl('media-in', 'src.mp4', 60)).rejects.toThrow(/404 BucketNotFound/);
    expect(lastDenied('CreatePreauthenticatedRequest')?.denied).toEqual(['PAR_MANAGE in compartment oci-transcode (target.bucket.name=media-in)']);
    // A container instance of another compartment is not in the dynamic group.
    const foreign = tokenStore(mint('computecontainerinstance', ocid('computecontainerinstance'), standIn.networkCompartmentId));
    await expect(foreign.get('media-in', 'src.mp4')).rejects.toThrow(/404 BucketNotFound/);
  });

  it('let Events deliver to the function; without the grant the event never reaches it', async () => {
    await writeFile(
      join(dir, 'func.js'),
      `require('node:http').createServer((q, s) => { q.resume(); q.on('end', () => { console.log('called'); s.end('{"delivered":true}'); }); }).listen(process.env.FN_LISTENER.slice(5));`,
    );
    const fn = await startFunction({ bundleDir: dir, socketDir: dir, config: {}, events: standIn.eventsInvoker() });
    try {
      expect((await fn.invoke({ eventType: 'x' })).body).toEqual({ delivered: true });
      standIn.iam.replaceStatement('service cloudEvents', 'Allow service cloudEvents to read functions-family in compartment <compartment>');
      await expect(fn.invoke({ eventType: 'x' })).rejects.toThrow(/404 NotAuthorizedOrNotFound \(missing FN_INVOCATION in compartment oci-transcode\)/);
      expect(fn.output().match(/called/g)).toHaveLength(1);
      expect(standIn.iam.denials.map((d) => `${d.operation} ${d.principal}`)).toEqual(['InvokeFunction service cloudEvents']);
    } finally {
      await fn.stop();
    }
  });
});

describe('a wrong line', () => {
  const WORKER_CONTAINERS = 'Allow group oci-transcode-workers to manage compute-containers';
  const OLD_LINE = 'Allow group oci-transcode-workers to use compute-containers in compartment <compartment>';

  it('the old `use compute-containers`: CreateContainerInstance and DeleteContainerInstance get 404 NotAuthorizedOrNotFound', async () => {
    const runner = createOciJobRunner(workerEnv);
    const running = await runner.start(launch(['--sleep', '3000']));
    standIn.iam.replaceStatement(WORKER_CONTAINERS, OLD_LINE);
    const before = standIn.containerInstances.instances.size;

    // A refused create fails at once (no placement or retry changes it), saying what to check.
    const refused = await runner.start(launch()).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(JobLaunchError);
    expect(String(refused)).toMatch(/create container instance for iam \d+: 404 NotAuthorizedOrNotFound: Authorization failed or requested resource not found\. .*manage compute-containers/);
    expect(lastDenied('CreateContainerInstance')).toMatchObject({ status: 404, denied: ['COMPUTE_CONTAINER_CREATE in compartment oci-transcode'] });
    expect(standIn.containerInstances.instances.size).toBe(before);

    // OCI answers a refused delete like a missing instance: the runner reads it again and says so.
    await expect(runner.delete(running)).rejects.toThrow(/404 NotAuthorizedOrNotFound.* although the instance is ACTIVE: the worker's policy must grant/);
    expect(lastDenied('DeleteContainerInstance')).toMatchObject({ status: 404, denied: ['COMPUTE_CONTAINER_DELETE in compartment oci-transcode'] });
    expect(standIn.containerInstances.instances.get(running.id)?.lifecycleState).toBe('ACTIVE');
    // `use` does carry what polling needs: the job's state and logs still answer.
    expect(await until(runner, running, ['running', 'succeeded'])).toMatch(/^(running|succeeded)/);

    standIn.iam.reset();
    await runner.delete(running);
    expect(await until(runner, running, ['gone'])).toMatch(/^gone/);
    await runner.close();
  });

  it('repositories or the subnet named in the wrong compartment fail the pull or the create', async () => {
    const runner = createOciJobRunner(workerEnv);
    standIn.iam.replaceStatement('to read repos in compartment <repo-compartment>', 'Allow dynamic-group oci-transcode-transcoder to read repos in compartment <compartment>');
    // The pull fails once the instance is accepted: the runner reports it at start or in the job's state.
    const outcome = await runner.start(launch()).then(
      async (handle) => {
        const state = await until(runner, handle, ['failed']);
        await runner.delete(handle);
        return state;
      },
      (error: unknown) => String(error),
    );
    expect(outcome).toMatch(/Failed to pull image fra.ocir.io\/standin\/echo-job:test: not found or not authorized/);
    expect(standIn.iam.denials.at(-1)).toMatchObject({ operation: 'PullImage', missing: ['REPOSITORY_READ in compartment oci-transcode-images (target.repo.name=echo-job)'] });

    standIn.iam.reset();
    standIn.iam.replaceStatement('workers to use subnets', 'Allow group oci-transcode-workers to use subnets in compartment <compartment>');
    await expect(runner.start(launch())).rejects.toThrow(/404 NotAuthorizedOrNotFound/);
    expect(lastDenied('CreateContainerInstance')?.denied).toEqual(['SUBNET_USE in compartment oci-transcode-network']);
    await runner.close();
  });

  it('without read on the source, or without PAR_MANAGE, the worker cannot mint its read URL', async () => {
    const store = createOciObjectStore(workerEnv);
    standIn.iam.removeStatement("workers to read objects in compartment <compartment> where target.bucket.name = '<source-bucket>'");
    await expect(store.readUrl('media-in', 'src.mp4', 60)).rejects.toThrow(/404 BucketNotFound/);
    expect(lastDenied('CreatePreauthenticatedRequest')?.denied).toEqual(['OBJECT_READ in compartment oci-transcode (target.bucket.name=media-in)']);
    standIn.iam.reset();
    standIn.iam.removeStatement('workers to manage buckets');
    await expect(store.readUrl('media-in', 'src.mp4', 60)).rejects.toThrow(/404 BucketNotFound/);
    expect(lastDenied('CreatePreauthenticatedRequest')?.denied).toEqual(['PAR_MANAGE in compartment oci-transcode (target.bucket.name=media-in)']);
    expect(standIn.objectStorage.leftovers().pars).toBe(0);
    await store.close();
  });
});

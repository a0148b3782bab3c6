// Operation -> required permissions on their target, for each API the stand-in serves: create vs
// overwrite, multipart, PARs and the access they hand out, container instances with their subnet's
// compartment. Every operation a service routes has an entry, so a newly served API cannot go unchecked.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { OPERATION_SOURCES, pullRequirements, requirementsFor, type RequestFacts, type World } from '../../oci-stand-in/iam/operations.js';

const world: World = {
  bucketCompartment: (b) => (b === 'media-in' || b === 'media-out' ? 'C' : undefined),
  objectExists: (b, n) => b === 'media-out' && n === 'exists.m4s',
  instance: (id) => (id === 'ci1' ? { compartmentId: 'C', subnetId: 'sub1' } : undefined),
  instanceOfContainer: (id) => (id === 'ctr1' ? 'ci1' : undefined),
  workRequestCompartment: (id) => (id === 'wr1' ? 'C' : undefined),
  secretCompartment: (id) => (id === 'sec1' ? 'C' : undefined),
  subnetCompartment: (id) => (id === 'sub1' ? 'NET' : undefined),
  topicCompartment: (id) => (id === 'topic1' ? 'C' : undefined),
};

const facts = (operation: string, path: string, body: unknown = undefined, query = ''): RequestFacts => ({
  operation,
  segments: path.split('/').slice(1),
  query: new URLSearchParams(query),
  body: Buffer.from(body === undefined ? '' : JSON.stringify(body)),
});
const perms = (service: string, f: RequestFacts) => requirementsFor(service, f, world)?.map((r) => `${r.permission}@${r.compartmentId}`);

describe('Object Storage', () => {
  it('asks OBJECT_CREATE for a new name and OBJECT_OVERWRITE for an existing one', () => {
    expect(perms('objectstorage', facts('PutObject', '/n/ns/b/media-out/o/new.m4s'))).toEqual(['OBJECT_CREATE@C']);
    expect(perms('objectstorage', facts('PutObject', '/n/ns/b/media-out/o/exists.m4s'))).toEqual(['OBJECT_OVERWRITE@C']);
    expect(requirementsFor('objectstorage', facts('PutObject', '/n/ns/b/media-out/o/x'), world)?.[0]?.vars).toEqual({ 'target.bucket.name': 'media-out' });
  });

  it('asks both for every multipart step, OBJECT_DELETE to abort, and nothing of the bucket', () => {
    for (const op of ['CreateMultipartUpload', 'UploadPart', 'CommitMultipartUpload']) {
      expect(perms('objectstorage', facts(op, '/n/ns/b/media-out/u/x')), op).toEqual(['OBJECT_CREATE@C', 'OBJECT_OVERWRITE@C']);
    }
    expect(perms('objectstorage', facts('AbortMultipartUpload', '/n/ns/b/media-out/u/x'))).toEqual(['OBJECT_DELETE@C']);
  });

  it('reads, lists, deletes and namespaces', () => {
    expect(perms('objectstorage', facts('HeadObject', '/n/ns/b/media-in/o/a/b.mp4'))).toEqual(['OBJECT_READ@C']);
    expect(perms('objectstorage', facts('GetObject', '/n/ns/b/media-in/o/a'))).toEqual(['OBJECT_READ@C']);
    expect(perms('objectstorage', facts('ListObjects', '/n/ns/b/media-out/o'))).toEqual(['OBJECT_INSPECT@C']);
    expect(perms('objectstorage', facts('DeleteObject', '/n/ns/b/media-out/o/a'))).toEqual(['OBJECT_DELETE@C']);
    expect(perms('objectstorage', facts('GetNamespace', '/n/'))).toEqual([]);
  });

  it('asks PAR_MANAGE plus the access a PAR hands out', () => {
    const par = (accessType: string, extra = {}) => perms('objectstorage', facts('CreatePreauthenticatedRequest', '/n/ns/b/media-in/p/', { name: 'p', accessType, ...extra }));
    expect(par('ObjectRead')).toEqual(['PAR_MANAGE@C', 'OBJECT_READ@C']);
    expect(par('ObjectWrite')).toEqual(['PAR_MANAGE@C', 'OBJECT_CREATE@C', 'OBJECT_OVERWRITE@C']);
    expect(par('AnyObjectRead', { bucketListingAction: 'ListObjects' })).toEqual(['PAR_MANAGE@C', 'OBJECT_READ@C', 'OBJECT_INSPECT@C']);
    expect(perms('objectstorage', facts('DeletePreauthenticatedRequest', '/n/ns/b/media-in/p/id'))).toEqual(['PAR_MANAGE@C']);
    expect(perms('objectstorage', facts('CreatePreauthenticatedRequest', '/n/ns/b/media-in/p/', 'not an object'))).toBeUndefined();
  });

  it('leaves a missing bucket to the service (its own BucketNotFound)', () => {
    expect(requirementsFor('objectstorage', facts('GetObject', '/n/ns/b/nope/o/a'), world)).toBeUndefined();
  });
});

describe('Container Instances', () => {
  const create = (body: unknown) => perms('containerinstances', facts('CreateContainerInstance', '/20210415/containerInstances', body));

  it('create needs the instance, its container and VNIC in its compartment, and the subnet in the subnet\'s', () => {
    expect(create({ compartmentId: 'C', vnics: [{ subnetId: 'sub1' }] })).toEqual([
      'COMPUTE_CONTAINER_INSTANCE_CREATE@C',
      'COMPUTE_CONTAINER_CREATE@C',
      'VNIC_CREATE@C',
      'SUBNET_USE@NET',
    ]);
    expect(create({ compartmentId: 'C', vnics: [{ subnetId: 'sub9' }] })?.at(-1)).toBe('SUBNET_USE@unknown:sub9');
    expect(create({ vnics: [] })).toBeUndefined(); // the service's validation answers
  });

  it('get, list, delete, containers, logs and work requests', () => {
    expect(perms('containerinstances', facts('GetContainerInstance', '/20210415/containerInstances/ci1'))).toEqual([
      'COMPUTE_CONTAINER_INSTANCE_READ@C',
      'COMPUTE_CONTAINER_INSPECT@C',
    ]);
    expect(perms('containerinstances', facts('ListContainerInstances', '/20210415/containerInstances', undefined, 'compartmentId=C'))).toEqual([
      'COMPUTE_CONTAINER_INSTANCE_INSPECT@C',
    ]);
    expect(perms('containerinstances', facts('DeleteContainerInstance', '/20210415/containerInstances/ci1'))).toEqual([
      'COMPUTE_CONTAINER_INSTANCE_DELETE@C',
      'COMPUTE_CONTAINER_DELETE@C',
      'VNIC_DELETE@C',
      'SUBNET_DETACH@NET',
    ]);
    expect(perms('containerinstances', facts('GetContainer', '/20210415/containers/ctr1'))).toEqual(['COMPUTE_CONTAINER_READ@C']);
    expect(perms('containerinstances', facts('RetrieveLogs', '/20210415/containers/ctr1/actions/retrieveLogs'))).toEqual(['COMPUTE_CONTAINER_LOG_RETRIEVE@C']);
    expect(perms('containerinstances', facts('GetWorkRequest', '/20210415/workRequests/wr1'))).toEqual(['COMPUTE_CONTAINER_INSTANCE_READ@C']);
    expect(perms('containerinstances', facts('ListWorkRequestErrors', '/20210415/workRequests/wr1/errors'))).toEqual(['COMPUTE_CONTAINER_INSTANCE_INSPECT@C']);
    expect(perms('containerinstances', facts('GetContainerInstance', '/20210415/containerInstances/gone'))).toBeUndefined();
  });
});

describe('secrets, images, and coverage', () => {
  it('asks SECRET_BUNDLE_READ with target.secret.id, and REPOSITORY_READ with the repository name', () => {
    expect(requirementsFor('secrets', facts('GetSecretBundle', '/20190301/secretbundles/sec1'), world)).toEqual([
      { permission: 'SECRET_BUNDLE_READ', compartmentId: 'C', vars: { 'target.secret.id': 'sec1' } },
    ]);
    expect(pullRequirements('fra.ocir.io/ns/team/oci-transcode:0.1.0', 'IMG')).toEqual([
      { permission: 'REPOSITORY_READ', compartmentId: 'IMG', vars: { 'target.repo.name': 'team/oci-transcode' } },
    ]);
  });

  it('asks ONS_TOPIC_PUBLISH in the topic\'s compartment to publish, and leaves an unknown topic to the service', () => {
    expect(perms('notifications', facts('PublishMessage', '/20181201/topics/topic1/messages'))).toEqual(['ONS_TOPIC_PUBLISH@C']);
    expect(requirementsFor('notifications', facts('PublishMessage', '/20181201/topics/nope/messages'), world)).toBeUndefined();
  });

  it('knows the permissions of every operation the stand-in serves', () => {
    const served = ['object-storage', 'container-instances', 'secrets', 'notifications'].flatMap((f) =>
      [...readFileSync(new URL(`../../oci-stand-in/${f}.ts`, import.meta.url), 'utf8').matchAll(/operation: '(\w+)'/g)].map((m) => m[1]!),
    );
    expect(served.length).toBeGreaterThan(15);
    const unsigned = ['ReadWithPar']; // the PAR token is the credential
    expect(served.filter((op) => !unsigned.includes(op) && !(op in OPERATION_SOURCES))).toEqual([]);
  });

  it('lists each unconfirmed reading in deploy/oci-policies.yaml, which the doc shows', () => {
    const file = readFileSync(new URL('../../../deploy/oci-policies.yaml', import.meta.url), 'utf8');
    const alias: Record<string, RegExp> = { PullImage: /image pull/ };
    const unconfirmed = Object.entries(OPERATION_SOURCES).filter(([, s]) => s === 'unconfirmed').map(([op]) => op);
    expect(unconfirmed.filter((op) => !(alias[op] ?? new RegExp(`\\b${op}\\b`)).test(file))).toEqual([]);
  });
});

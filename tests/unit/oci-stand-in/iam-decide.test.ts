// The stand-in's authorization decision on synthetic statements: cumulative verbs, families, compartment
// scope (a statement covers its compartment and those below it), conditions on the target and on
// request.permission, and who a principal is (groups, dynamic groups by matching rule, a named service).
import { describe, expect, it } from 'vitest';
import { Policies, type PrincipalFacts } from '../../oci-stand-in/iam/decide.js';
import type { Requirement } from '../../oci-stand-in/iam/operations.js';
import { permissionsOf } from '../../oci-stand-in/iam/permissions.js';

const root = { id: 'ocid1.tenancy..root', name: 'root' };
const media = { id: 'ocid1.compartment..media', name: 'media', parentId: root.id };
const jobs = { id: 'ocid1.compartment..jobs', name: 'jobs', parentId: media.id };
const other = { id: 'ocid1.compartment..other', name: 'other', parentId: root.id };
const compartments = [media, jobs, other];

const worker: PrincipalFacts = { kind: 'user', user: 'ocid1.user..w', groups: ['Workers'] };
const need = (permission: string, compartmentId = media.id, vars: Record<string, string> = {}): Requirement => ({ permission, compartmentId, vars });

function policies(statements: string[], dynamicGroups: { name: string; rule: string }[] = []): Policies {
  return new Policies(root, compartments, statements, dynamicGroups);
}

describe('verbs and resource types', () => {
  it('are cumulative: read carries inspect, use carries read, manage carries use', () => {
    expect([...permissionsOf('read', 'objects')].sort()).toEqual(['OBJECT_INSPECT', 'OBJECT_READ']);
    expect(permissionsOf('use', 'objects').has('OBJECT_OVERWRITE')).toBe(true);
    expect(permissionsOf('use', 'objects').has('OBJECT_CREATE')).toBe(false);
    expect(permissionsOf('manage', 'objects').has('OBJECT_READ')).toBe(true);
  });

  it('puts container create and delete under manage compute-containers only, logs under use', () => {
    expect(permissionsOf('use', 'compute-containers').has('COMPUTE_CONTAINER_CREATE')).toBe(false);
    expect(permissionsOf('use', 'compute-containers').has('COMPUTE_CONTAINER_LOG_RETRIEVE')).toBe(true);
    expect(permissionsOf('manage', 'compute-containers').has('COMPUTE_CONTAINER_DELETE')).toBe(true);
  });

  it('expands families to their members', () => {
    const family = permissionsOf('manage', 'compute-container-family');
    expect(family.has('COMPUTE_CONTAINER_INSTANCE_CREATE') && family.has('COMPUTE_CONTAINER_CREATE')).toBe(true);
    expect(permissionsOf('manage', 'object-family').has('PAR_MANAGE')).toBe(true);
    expect(permissionsOf('read', 'secret-family').has('SECRET_BUNDLE_READ')).toBe(true);
    expect(permissionsOf('use', 'functions-family').has('FN_INVOCATION')).toBe(true);
    expect(permissionsOf('read', 'functions-family').has('FN_INVOCATION')).toBe(false);
  });
});

describe('decide', () => {
  it('grants a permission only through a statement whose verb carries it', () => {
    const p = policies(['Allow group Workers to use compute-containers in compartment media']);
    expect(p.decide(worker, 'RetrieveLogs', [need('COMPUTE_CONTAINER_LOG_RETRIEVE')]).allowed).toBe(true);
    const create = p.decide(worker, 'CreateContainerInstance', [need('COMPUTE_CONTAINER_LOG_RETRIEVE'), need('COMPUTE_CONTAINER_CREATE')]);
    expect(create).toEqual({ allowed: false, missing: [need('COMPUTE_CONTAINER_CREATE')] });
    expect(p.describe(create.missing[0]!)).toBe('COMPUTE_CONTAINER_CREATE in compartment media');
  });

  it('covers the statement\'s compartment and those below it, nothing beside it; tenancy covers all', () => {
    const p = policies(['Allow group Workers to read objects in compartment media']);
    expect(p.decide(worker, 'GetObject', [need('OBJECT_READ', jobs.id)]).allowed).toBe(true);
    expect(p.decide(worker, 'GetObject', [need('OBJECT_READ', other.id)]).allowed).toBe(false);
    expect(p.decide(worker, 'GetObject', [need('OBJECT_READ', root.id)]).allowed).toBe(false);
    expect(p.decide(worker, 'GetObject', [need('OBJECT_READ', 'unknown:ocid1.subnet..x')]).allowed).toBe(false);
    const nested = policies(['Allow group Workers to read objects in compartment media:jobs']);
    expect(nested.decide(worker, 'GetObject', [need('OBJECT_READ', jobs.id)]).allowed).toBe(true);
    expect(nested.decide(worker, 'GetObject', [need('OBJECT_READ', media.id)]).allowed).toBe(false);
    const all = policies(['Allow group Workers to read objects in tenancy']);
    expect(all.decide(worker, 'GetObject', [need('OBJECT_READ', other.id)]).allowed).toBe(true);
    const byId = policies([`Allow group Workers to read objects in compartment id ${other.id}`]);
    expect(byId.decide(worker, 'GetObject', [need('OBJECT_READ', other.id)]).allowed).toBe(true);
  });

  it('refuses a statement naming a compartment the tenancy does not have', () => {
    expect(() => policies(['Allow group Workers to read objects in compartment nowhere'])).toThrow(/no compartment nowhere in the tenancy/);
    expect(() => policies(['Allow group Workers to read objects in compartment jobs'])).toThrow(/no compartment jobs/); // jobs is below media
  });

  it('applies conditions to the target and to each permission on its own (request.permission)', () => {
    const p = policies([
      "Allow group Workers to read objects in compartment media where target.bucket.name = 'in'",
      "Allow group Workers to manage buckets in compartment media where all {target.bucket.name = 'in', request.permission = 'PAR_MANAGE'}",
    ]);
    const inBucket = { 'target.bucket.name': 'IN' };
    expect(p.decide(worker, 'CreatePreauthenticatedRequest', [need('PAR_MANAGE', media.id, inBucket), need('OBJECT_READ', media.id, inBucket)]).allowed).toBe(true);
    expect(p.decide(worker, 'DeleteBucket', [need('BUCKET_DELETE', media.id, inBucket)]).allowed).toBe(false);
    expect(p.decide(worker, 'GetObject', [need('OBJECT_READ', media.id, { 'target.bucket.name': 'out' })]).allowed).toBe(false);
    // A condition on a variable the target does not have declines the statement.
    expect(p.decide(worker, 'GetObject', [need('OBJECT_READ')]).allowed).toBe(false);
  });

  it('tells a create from an overwrite by the permission the operation asks for', () => {
    const overwriteOnly = policies(["Allow group Workers to use objects in compartment media where target.bucket.name = 'out'"]);
    const out = { 'target.bucket.name': 'out' };
    expect(overwriteOnly.decide(worker, 'PutObject', [need('OBJECT_OVERWRITE', media.id, out)]).allowed).toBe(true);
    expect(overwriteOnly.decide(worker, 'PutObject', [need('OBJECT_CREATE', media.id, out)]).allowed).toBe(false);
  });

  it('knows users by their groups (any case), resources by dynamic-group rules, services by name', () => {
    const p = policies(
      [
        'Allow group workers to read objects in compartment media',
        'Allow dynamic-group jobs-dg to read objects in compartment media',
        'Allow dynamic-group vm-dg to inspect objects in compartment media',
        'Allow service cloudEvents to use fn-invocation in compartment media',
      ],
      [
        { name: 'jobs-dg', rule: `ALL {resource.type = 'computecontainerinstance', resource.compartment.id = '${media.id}'}` },
        { name: 'vm-dg', rule: "ALL {instance.id = 'ocid1.instance..vm'}" },
      ],
    );
    const read = [need('OBJECT_READ')];
    expect(p.decide(worker, 'GetObject', read).allowed).toBe(true);
    expect(p.decide({ kind: 'user', user: 'u', groups: [] }, 'GetObject', read).allowed).toBe(false);
    const job = (compartmentId: string): PrincipalFacts => ({ kind: 'resource', resourceType: 'computecontainerinstance', resourceId: 'ocid1.ci..1', compartmentId });
    expect(p.decide(job(media.id), 'GetObject', read).allowed).toBe(true);
    expect(p.decide(job(other.id), 'GetObject', read).allowed).toBe(false);
    expect(p.decide({ kind: 'resource', resourceType: 'fnfunc', resourceId: 'f', compartmentId: media.id }, 'GetObject', read).allowed).toBe(false);
    const vm: PrincipalFacts = { kind: 'resource', resourceType: 'instance', resourceId: 'ocid1.instance..vm', compartmentId: media.id };
    expect(p.subjectsOf(vm)).toEqual(new Set(['dynamic-group vm-dg']));
    expect(p.decide(vm, 'ListObjects', [need('OBJECT_INSPECT')]).allowed).toBe(true);
    expect(p.decide(vm, 'GetObject', read).allowed).toBe(false);
    expect(p.decide({ kind: 'service', name: 'cloudevents' }, 'InvokeFunction', [need('FN_INVOCATION')]).allowed).toBe(true);
    expect(p.decide({ kind: 'service', name: 'objectstorage' }, 'InvokeFunction', [need('FN_INVOCATION')]).allowed).toBe(false);
  });

  it('needs every requirement granted, and an operation asking nothing is allowed', () => {
    const p = policies([]);
    expect(p.decide(worker, 'GetNamespace', [])).toEqual({ allowed: true, missing: [] });
    expect(p.decide(worker, 'GetObject', [need('OBJECT_READ')]).allowed).toBe(false);
  });
});

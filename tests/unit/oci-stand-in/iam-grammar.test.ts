// The stand-in's policy parser: the statement forms this project writes, conditions with any/all, and a
// specific error for everything else (so a typo in deploy/oci-policies.yaml cannot silently grant nothing).
import { describe, expect, it } from 'vitest';
import { holds, parseMatchingRule, parseStatement, PolicySyntaxError } from '../../oci-stand-in/iam/grammar.js';

describe('policy statements', () => {
  it('parses subject, verb, resource type, location and condition', () => {
    expect(parseStatement("Allow group Workers to read objects in compartment media where target.bucket.name = 'media-in'")).toMatchObject({
      subject: { kind: 'group', name: 'Workers' },
      verb: 'read',
      resourceType: 'objects',
      location: { kind: 'compartment', name: 'media' },
      where: { kind: 'compare', variable: 'target.bucket.name', op: '=', value: 'media-in' },
    });
    expect(parseStatement('allow DYNAMIC-GROUP dg TO Manage compute-container-family IN TENANCY')).toMatchObject({
      subject: { kind: 'dynamic-group', name: 'dg' },
      verb: 'manage',
      resourceType: 'compute-container-family',
      location: { kind: 'tenancy' },
    });
    expect(parseStatement('Allow service cloudEvents to use functions-family in compartment id ocid1.compartment.oc1..abc').location).toEqual({
      kind: 'compartment-id',
      id: 'ocid1.compartment.oc1..abc',
    });
    expect(parseStatement('Allow group g to use vnics in compartment a:b').location).toEqual({ kind: 'compartment', name: 'a:b' });
  });

  it('parses nested any/all conditions, quoted either way, and !=', () => {
    const s = parseStatement(
      `Allow group g to manage objects in compartment c where all {target.bucket.name = "out", any {request.permission = 'OBJECT_CREATE', request.permission != OBJECT_DELETE}}`,
    );
    expect(s.where).toEqual({
      kind: 'all',
      of: [
        { kind: 'compare', variable: 'target.bucket.name', op: '=', value: 'out' },
        {
          kind: 'any',
          of: [
            { kind: 'compare', variable: 'request.permission', op: '=', value: 'OBJECT_CREATE' },
            { kind: 'compare', variable: 'request.permission', op: '!=', value: 'OBJECT_DELETE' },
          ],
        },
      ],
    });
  });

  it('refuses what it does not understand, naming what was expected', () => {
    const bad: [string, RegExp][] = [
      ['Allow group g to write objects in compartment c', /expected a verb \(inspect, read, use, manage\) but found "write"/],
      ['Allow group g to read object in compartment c', /resource type object is not modelled/],
      ['Allow group g read objects in compartment c', /expected "to" but found "read"/],
      ['Allow user u to read objects in compartment c', /expected group, dynamic-group or service/],
      ['Allow group g to read objects in compartment', /expected a compartment name but found the end/],
      ['Allow group g to read objects in compartment c where target.bucket = x', /unsupported variable target.bucket/],
      ["Allow group g to read objects in compartment c where all {target.bucket.name = 'a'", /expected "," or "}" but found the end/],
      ["Allow group g to read objects in compartment c where target.bucket.name = 'a' extra", /expected the end of the statement but found "extra"/],
      ['Allow group g to read objects in compartment c when x', /expected "where" or the end but found "when"/],
      ["Allow group g to read objects in compartment c where target.bucket.name 'a'", /expected "=" or "!="/],
      ['Allow group g to read objects in compartment c ! x', /unexpected "!"/],
    ];
    for (const [text, message] of bad) {
      expect(() => parseStatement(text), text).toThrow(PolicySyntaxError);
      expect(() => parseStatement(text), text).toThrow(message);
    }
  });
});

describe('conditions', () => {
  const where = (c: string) => parseStatement(`Allow group g to manage objects in compartment c where ${c}`).where!;

  it('compare case-insensitively, as Oracle documents for bucket names', () => {
    expect(holds(where("target.bucket.name = 'Media-In'"), { 'target.bucket.name': 'media-in' })).toBe(true);
    expect(holds(where("target.bucket.name = 'media-in'"), { 'target.bucket.name': 'media-out' })).toBe(false);
    expect(holds(where("target.bucket.name != 'media-in'"), { 'target.bucket.name': 'media-out' })).toBe(true);
  });

  it('are false, with = and != alike, when the request has no such variable', () => {
    expect(holds(where("target.bucket.name = 'a'"), {})).toBe(false);
    expect(holds(where("target.bucket.name != 'a'"), {})).toBe(false);
  });

  it('combine with any (one suffices) and all (each must hold)', () => {
    const c = where("all {target.bucket.name = 'out', any {request.permission = 'OBJECT_READ', request.permission = 'OBJECT_CREATE'}}");
    expect(holds(c, { 'target.bucket.name': 'out', 'request.permission': 'OBJECT_CREATE' })).toBe(true);
    expect(holds(c, { 'target.bucket.name': 'out', 'request.permission': 'OBJECT_DELETE' })).toBe(false);
    expect(holds(c, { 'target.bucket.name': 'in', 'request.permission': 'OBJECT_READ' })).toBe(false);
  });
});

describe('dynamic-group matching rules', () => {
  it('parse ALL/ANY over resource variables and match', () => {
    const rule = parseMatchingRule("ALL {resource.type = 'computecontainerinstance', resource.compartment.id = 'ocid1.compartment..c'}");
    expect(holds(rule, { 'resource.type': 'computecontainerinstance', 'resource.compartment.id': 'ocid1.compartment..c' })).toBe(true);
    expect(holds(rule, { 'resource.type': 'fnfunc', 'resource.compartment.id': 'ocid1.compartment..c' })).toBe(false);
    const any = parseMatchingRule("ANY {instance.id = 'i1', instance.id = 'i2'}");
    expect(holds(any, { 'instance.id': 'i2' })).toBe(true);
    expect(holds(parseMatchingRule("resource.id = 'f'"), { 'resource.id': 'f' })).toBe(true);
  });

  it('refuse statement variables and trailing text', () => {
    expect(() => parseMatchingRule("ALL {target.bucket.name = 'x'}")).toThrow(/unsupported variable target.bucket.name \(supported: resource.type/);
    expect(() => parseMatchingRule("resource.id = 'f' resource.type = 'x'")).toThrow(/expected the end/);
  });
});

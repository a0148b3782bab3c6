// OCI's authorization decision, pure: a principal's subjects (groups, matching dynamic groups, a named
// service), the statements naming them, and for each required permission one statement whose verb and
// resource type carry it, whose compartment contains the target, and whose condition holds for the target.
// Allow-only, as OCI policies are: anything no statement grants is refused.
import { holds, parseMatchingRule, parseStatement, type Condition, type Statement } from './grammar.js';
import type { Requirement } from './operations.js';
import { permissionsOf } from './permissions.js';

export interface Compartment {
  id: string;
  name: string;
  /** Parent compartment; the root compartment (the tenancy) has none. */
  parentId?: string;
}

export type PrincipalFacts =
  | { kind: 'user'; user: string; groups: readonly string[] }
  | { kind: 'resource'; resourceType: string; resourceId: string; compartmentId?: string }
  | { kind: 'service'; name: string };

export interface DynamicGroup {
  name: string;
  rule: Condition;
}

export interface Decision {
  allowed: boolean;
  missing: Requirement[];
}

const key = (kind: string, name: string): string => `${kind} ${name.toLowerCase()}`;

export class Policies {
  readonly statements: Statement[];
  readonly dynamicGroups: DynamicGroup[];
  private readonly byId: Map<string, Compartment>;
  private readonly scopes: Map<Statement, string>;

  /** Throws on a statement that does not parse or names a compartment the tenancy does not have. */
  constructor(
    readonly tenancy: Compartment,
    compartments: readonly Compartment[],
    statements: readonly string[],
    dynamicGroups: readonly { name: string; rule: string }[],
  ) {
    this.byId = new Map([tenancy, ...compartments].map((c) => [c.id, c]));
    this.statements = statements.map(parseStatement);
    this.dynamicGroups = dynamicGroups.map((g) => ({ name: g.name, rule: parseMatchingRule(g.rule) }));
    this.scopes = new Map(this.statements.map((s) => [s, this.scopeOf(s)]));
  }

  private scopeOf(s: Statement): string {
    if (s.location.kind === 'tenancy') return this.tenancy.id;
    if (s.location.kind === 'compartment-id') {
      if (!this.byId.has(s.location.id)) throw new Error(`no compartment ${s.location.id} in the tenancy: ${s.text}`);
      return s.location.id;
    }
    // Statements are attached to the root compartment: names are paths from there (a:b:c).
    let parent = this.tenancy.id;
    for (const part of s.location.name.split(':')) {
      const child = [...this.byId.values()].find((c) => c.parentId === parent && c.name.toLowerCase() === part.toLowerCase());
      if (!child) throw new Error(`no compartment ${s.location.name} in the tenancy: ${s.text}`);
      parent = child.id;
    }
    return parent;
  }

  compartmentName(id: string): string {
    return this.byId.get(id)?.name ?? id;
  }

  /** Whether `scope` is `target` or one of its ancestors. */
  private contains(scope: string, target: string): boolean {
    for (let c = this.byId.get(target); c; c = c.parentId ? this.byId.get(c.parentId) : undefined) if (c.id === scope) return true;
    return false;
  }

  /** The subjects a principal acts as: "group x", "dynamic-group y", "service z". */
  subjectsOf(principal: PrincipalFacts): Set<string> {
    if (principal.kind === 'user') return new Set(principal.groups.map((g) => key('group', g)));
    if (principal.kind === 'service') return new Set([key('service', principal.name)]);
    const instance = principal.resourceType === 'instance';
    const vars: Record<string, string | undefined> = {
      'resource.type': principal.resourceType,
      'resource.id': principal.resourceId,
      'resource.compartment.id': principal.compartmentId,
      'instance.id': instance ? principal.resourceId : undefined,
      'instance.compartment.id': instance ? principal.compartmentId : undefined,
    };
    return new Set(this.dynamicGroups.filter((g) => holds(g.rule, vars)).map((g) => key('dynamic-group', g.name)));
  }

  /** Whether one statement grants one requirement to someone acting as `subjects`. */
  grants(s: Statement, subjects: Set<string>, operation: string, r: Requirement): boolean {
    if (!subjects.has(key(s.subject.kind, s.subject.name))) return false;
    if (!this.contains(this.scopes.get(s)!, r.compartmentId)) return false;
    if (!permissionsOf(s.verb, s.resourceType).has(r.permission)) return false;
    const vars = {
      ...r.vars,
      'request.permission': r.permission,
      'request.operation': operation,
      'target.compartment.id': r.compartmentId,
      'target.compartment.name': this.byId.get(r.compartmentId)?.name,
    };
    return s.where === undefined || holds(s.where, vars);
  }

  decide(principal: PrincipalFacts, operation: string, requirements: readonly Requirement[]): Decision {
    const subjects = this.subjectsOf(principal);
    const missing = requirements.filter((r) => !this.statements.some((s) => this.grants(s, subjects, operation, r)));
    return { allowed: missing.length === 0, missing };
  }

  /** "COMPUTE_CONTAINER_CREATE in compartment oci-transcode", with the target's variables when it has any. */
  describe(r: Requirement): string {
    const vars = Object.entries(r.vars).map(([k, v]) => `${k}=${v}`);
    return `${r.permission} in compartment ${this.compartmentName(r.compartmentId)}${vars.length ? ` (${vars.join(', ')})` : ''}`;
  }
}

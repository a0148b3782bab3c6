// IAM of the OCI stand-in: the shipped statements of deploy/oci-policies.yaml (placeholders filled with the
// stand-in's compartments and OCIDs) plus the tenancy's own administrator policy, evaluated for every
// signed request right after its signature is verified, for each image pull at boot and for each event
// Events delivers. A refused request gets the answer OCI gives (404, nothing revealed) and is recorded with
// what was missing, so a failing test says which permission a statement did not grant.
import { loadPolicyFile, statementTemplates, fillPlaceholders, type PolicyFile } from '../../../scripts/oci-policies.js';
import type { Service } from '../faults.js';
import { ApiError } from '../http.js';
import type { KeyRing } from '../keys.js';
import type { Principal } from '../signature.js';
import { Policies, type Compartment, type PrincipalFacts } from './decide.js';
import { invokeRequirements, pullRequirements, requirementsFor, type RequestFacts, type Requirement, type World } from './operations.js';

/** OCI creates this group and its policy with every tenancy; the tests' "operator" keys are in it. */
export const ADMIN_GROUP = 'Administrators';
const TENANT_ADMIN_POLICY = `Allow group ${ADMIN_GROUP} to manage all-resources in tenancy`;

export interface Denial {
  operation: string;
  principal: string;
  /** What the caller saw, e.g. "404 NotAuthorizedOrNotFound". */
  answer: string;
  /** Each permission no statement granted, with its compartment and target. */
  missing: string[];
}

export interface StandInIamOptions {
  tenancy: Compartment;
  compartments: Compartment[];
  keys: KeyRing;
  world: World;
  /** Placeholder -> value, read at each decision (the secret a test registers comes late). */
  values: () => Record<string, string>;
  policyFile?: string;
}

const NOT_AUTHORIZED = 'Authorization failed or requested resource not found.';

export class StandInIam {
  readonly file: PolicyFile;
  readonly denials: Denial[] = [];
  private readonly shipped: string[];
  private templates: string[];
  private cache: { key: string; policies: Policies } | undefined;

  constructor(private readonly options: StandInIamOptions) {
    this.file = loadPolicyFile(options.policyFile);
    this.shipped = statementTemplates(this.file).map((t) => t.text);
    this.templates = [...this.shipped];
  }

  /** The group a worker's API key user is in by default (the file's first user group). */
  get workerGroup(): string {
    const group = this.file.groups[0]?.name;
    if (!group) throw new Error('the policy file declares no user group for a worker signing with an API key');
    return group;
  }

  /** Statements in force, placeholders filled; the tenancy's administrator policy first. */
  statements(): string[] {
    const values = this.options.values();
    return [TENANT_ADMIN_POLICY, ...this.templates.map((t) => fillPlaceholders(t, values))];
  }

  private find(fragment: string): number {
    const hits = this.templates.flatMap((t, i) => (t.includes(fragment) ? [i] : []));
    if (hits.length !== 1) throw new Error(`"${fragment}" matches ${hits.length} statements, not one:\n${this.templates.join('\n')}`);
    return hits[0]!;
  }

  /** Replaces the one statement containing `fragment` (e.g. to put back a wrong line); placeholders allowed. */
  replaceStatement(fragment: string, replacement: string): void {
    this.templates[this.find(fragment)] = replacement;
    this.policies(); // a replacement that does not parse fails here, not at the next request
  }

  removeStatement(fragment: string): void {
    this.templates.splice(this.find(fragment), 1);
  }

  addStatement(statement: string): void {
    this.templates.push(statement);
    this.policies();
  }

  /** Back to the shipped statements. */
  reset(): void {
    this.templates = [...this.shipped];
  }

  policies(): Policies {
    const statements = this.statements();
    const values = this.options.values();
    const key = JSON.stringify([statements, values]);
    if (this.cache?.key !== key) {
      const groups = this.file.dynamicGroups.map((g) => ({ name: g.name, rule: fillPlaceholders(g.rule, values) }));
      this.cache = { key, policies: new Policies(this.options.tenancy, this.options.compartments, statements, groups) };
    }
    return this.cache.policies;
  }

  factsOf(principal: Principal): PrincipalFacts {
    if (principal.kind === 'user') return { kind: 'user', user: principal.user, groups: this.options.keys.groupsOf(principal.user) };
    return { ...principal, compartmentId: this.options.keys.compartmentOf(principal.resourceId) };
  }

  /** Decides and records a refusal; returns what was missing (empty when allowed). */
  authorize(principal: PrincipalFacts, operation: string, requirements: readonly Requirement[], answer = '404 NotAuthorizedOrNotFound'): string[] {
    const policies = this.policies();
    const { missing } = policies.decide(principal, operation, requirements);
    if (missing.length === 0) return [];
    const described = missing.map((r) => policies.describe(r));
    this.denials.push({ operation, principal: label(principal), answer, missing: described });
    return described;
  }

  /** The server's hook: the OCI answer for a request its principal may not make, or undefined. */
  check(principal: Principal, service: Service, facts: RequestFacts): { error: ApiError; missing: string[] } | undefined {
    const requirements = requirementsFor(service, facts, this.options.world);
    if (!requirements?.length) return undefined;
    // Object Storage words a refusal as a missing bucket, whatever the operation.
    const code = service === 'objectstorage' ? 'BucketNotFound' : 'NotAuthorizedOrNotFound';
    const missing = this.authorize(this.factsOf(principal), facts.operation, requirements, `404 ${code}`);
    if (!missing.length) return undefined;
    if (service !== 'objectstorage') return { error: new ApiError(404, code, NOT_AUTHORIZED), missing };
    const [, namespace, , bucket] = facts.segments;
    const message = `Either the bucket named '${bucket}' does not exist in the namespace '${namespace}' or you are not authorized to access it`;
    return { error: new ApiError(404, code, message), missing };
  }

  /** Whether a container instance's own principal may pull its image from the repository compartment. */
  mayPull(instance: { id: string; compartmentId: string }, imageUrl: string, repoCompartmentId: string): boolean {
    const principal: PrincipalFacts = { kind: 'resource', resourceType: 'computecontainerinstance', resourceId: instance.id, compartmentId: instance.compartmentId };
    return this.authorize(principal, 'PullImage', pullRequirements(imageUrl, repoCompartmentId), 'instance FAILED: Failed to pull image').length === 0;
  }

  /** What Events checks before it delivers an event to the function: a refusal message, or undefined. */
  eventsInvoker(functionId: string, compartmentId: string): { mayInvoke(): string | undefined } {
    return {
      mayInvoke: () => {
        const missing = this.authorize({ kind: 'service', name: 'cloudEvents' }, 'InvokeFunction', invokeRequirements(compartmentId));
        return missing.length ? `Events could not invoke function ${functionId}: 404 NotAuthorizedOrNotFound (missing ${missing.join('; ')})` : undefined;
      },
    };
  }
}

function label(p: PrincipalFacts): string {
  if (p.kind === 'user') return `user ${p.user} (groups: ${p.groups.join(', ') || 'none'})`;
  if (p.kind === 'service') return `service ${p.name}`;
  return `${p.resourceType} ${p.resourceId}`;
}

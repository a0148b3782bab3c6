// The part of OCI's policy language this project writes, parsed strictly: anything else is an error naming
// the statement and what was expected, so a typo in deploy/oci-policies.yaml fails loudly instead of
// silently granting nothing.
//   Allow <group X | dynamic-group X | service X> to <inspect|read|use|manage> <resource-type>
//     in <tenancy | compartment NAME | compartment id OCID> [where <condition>]
//   condition: VARIABLE (=|!=) 'VALUE' | any {condition, ...} | all {condition, ...}
// Dynamic-group matching rules use the same condition syntax (ALL {...} / ANY {...}) over resource variables.
import { isResourceType, RESOURCE_TYPE_NAMES } from './permissions.js';

export const VERBS = ['inspect', 'read', 'use', 'manage'] as const;
export type Verb = (typeof VERBS)[number];

export type SubjectKind = 'group' | 'dynamic-group' | 'service';
export interface Subject {
  kind: SubjectKind;
  name: string;
}

export type Location = { kind: 'tenancy' } | { kind: 'compartment'; name: string } | { kind: 'compartment-id'; id: string };

export type Condition =
  | { kind: 'compare'; variable: string; op: '=' | '!='; value: string }
  | { kind: 'any' | 'all'; of: Condition[] };

export interface Statement {
  text: string;
  subject: Subject;
  verb: Verb;
  resourceType: string;
  location: Location;
  where?: Condition;
}

/** Variables a statement's condition may use here (OCI has more; these are the ones the stand-in can supply). */
export const STATEMENT_VARIABLES = [
  'request.permission',
  'request.operation',
  'target.compartment.id',
  'target.compartment.name',
  'target.bucket.name',
  'target.secret.id',
  'target.secret.name',
  'target.repo.name',
] as const;

/** Variables of dynamic-group matching rules. */
export const MATCHING_VARIABLES = ['resource.type', 'resource.id', 'resource.compartment.id', 'instance.id', 'instance.compartment.id'] as const;

export class PolicySyntaxError extends Error {
  override name = 'PolicySyntaxError';
}

type Token = { kind: 'word' | 'string' | 'punct'; value: string; at: number };

function tokenize(input: string): Token[] {
  const tokens: Token[] = [];
  const re = /\s+|(!=|[{},=])|'([^']*)'|"([^"]*)"|([^\s{},=!'"]+)|(.)/gy;
  for (let m = re.exec(input); m && m.index < input.length; m = re.exec(input)) {
    if (m[1] !== undefined) tokens.push({ kind: 'punct', value: m[1], at: m.index });
    else if (m[2] !== undefined || m[3] !== undefined) tokens.push({ kind: 'string', value: m[2] ?? m[3]!, at: m.index });
    else if (m[4] !== undefined) tokens.push({ kind: 'word', value: m[4], at: m.index });
    else if (m[5] !== undefined) throw new PolicySyntaxError(`unexpected "${m[5]}" at ${m.index} in: ${input}`);
  }
  return tokens;
}

class Reader {
  private i = 0;
  constructor(
    private readonly tokens: Token[],
    private readonly text: string,
  ) {}

  fail(expected: string): never {
    const t = this.tokens[this.i];
    throw new PolicySyntaxError(`expected ${expected} but found ${t ? `"${t.value}" at ${t.at}` : 'the end'} in: ${this.text}`);
  }

  peek(): Token | undefined {
    return this.tokens[this.i];
  }

  word(expected: string, ...allowed: string[]): string {
    const t = this.tokens[this.i];
    if (!t || t.kind !== 'word' || (allowed.length && !allowed.includes(t.value.toLowerCase()))) this.fail(expected);
    this.i += 1;
    return allowed.length ? t.value.toLowerCase() : t.value;
  }

  value(expected: string): string {
    const t = this.tokens[this.i];
    if (!t || t.kind === 'punct') this.fail(expected);
    this.i += 1;
    return t.value;
  }

  punct(value: string): boolean {
    const t = this.tokens[this.i];
    if (t?.kind !== 'punct' || t.value !== value) return false;
    this.i += 1;
    return true;
  }

  end(): void {
    if (this.i < this.tokens.length) this.fail('the end of the statement');
  }

  condition(variables: readonly string[]): Condition {
    const t = this.peek();
    const group = t?.kind === 'word' ? t.value.toLowerCase() : '';
    if ((group === 'any' || group === 'all') && this.tokens[this.i + 1]?.value === '{') {
      this.i += 2;
      const of: Condition[] = [this.condition(variables)];
      while (this.punct(',')) of.push(this.condition(variables));
      if (!this.punct('}')) this.fail('"," or "}"');
      return { kind: group, of };
    }
    const variable = this.word(`a variable (${variables.join(', ')})`).toLowerCase();
    if (!variables.includes(variable)) throw new PolicySyntaxError(`unsupported variable ${variable} (supported: ${variables.join(', ')}) in: ${this.text}`);
    const op = this.punct('=') ? '=' : this.punct('!=') ? '!=' : this.fail('"=" or "!="');
    return { kind: 'compare', variable, op, value: this.value('a value') };
  }
}

export function parseStatement(text: string): Statement {
  const r = new Reader(tokenize(text), text);
  r.word('"Allow"', 'allow');
  const kind = r.word('group, dynamic-group or service', 'group', 'dynamic-group', 'service') as SubjectKind;
  const subject = { kind, name: r.word(`a ${kind} name`) };
  r.word('"to"', 'to');
  const verb = r.word(`a verb (${VERBS.join(', ')})`, ...VERBS) as Verb;
  const resourceType = r.word('a resource type').toLowerCase();
  if (!isResourceType(resourceType)) {
    throw new PolicySyntaxError(`resource type ${resourceType} is not modelled by the stand-in (known: ${RESOURCE_TYPE_NAMES.join(', ')}) in: ${text}`);
  }
  r.word('"in"', 'in');
  let location: Location;
  if (r.word('tenancy or compartment', 'tenancy', 'compartment') === 'tenancy') location = { kind: 'tenancy' };
  else if (r.peek()?.kind === 'word' && r.peek()!.value.toLowerCase() === 'id') {
    r.word('"id"', 'id');
    location = { kind: 'compartment-id', id: r.value('a compartment OCID') };
  } else location = { kind: 'compartment', name: r.value('a compartment name') };
  let where: Condition | undefined;
  if (r.peek()) {
    r.word('"where" or the end', 'where');
    where = r.condition(STATEMENT_VARIABLES);
  }
  r.end();
  return { text, subject, verb, resourceType, location, ...(where ? { where } : {}) };
}

/** A dynamic group's matching rule: ALL {...}, ANY {...} or one comparison. */
export function parseMatchingRule(text: string): Condition {
  const r = new Reader(tokenize(text), text);
  const rule = r.condition(MATCHING_VARIABLES);
  r.end();
  return rule;
}

/**
 * A condition against the request's variables. A variable the request does not have makes its comparison
 * false (with = and != alike), as OCI declines a statement whose variable does not apply. Values compare
 * case-insensitively, as Oracle documents for target.bucket.name.
 */
export function holds(condition: Condition, vars: Readonly<Record<string, string | undefined>>): boolean {
  switch (condition.kind) {
    case 'any':
      return condition.of.some((c) => holds(c, vars));
    case 'all':
      return condition.of.every((c) => holds(c, vars));
    case 'compare': {
      const actual = vars[condition.variable];
      if (actual === undefined) return false;
      const same = actual.toLowerCase() === condition.value.toLowerCase();
      return condition.op === '=' ? same : !same;
    }
  }
}

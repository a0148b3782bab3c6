// deploy/oci-policies.yaml, read and checked: dynamic groups, user groups and the policy statements per
// principal, with their placeholders. The docs generator (scripts/docs-policies.ts) and the OCI stand-in's
// IAM (tests/oci-stand-in/iam/) both read it through here, so the doc and the tests see the same lines.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { z } from 'zod';

export const POLICY_FILE = fileURLToPath(new URL('../deploy/oci-policies.yaml', import.meta.url));

const PLACEHOLDER = /<[a-z][a-z0-9-]*>/g;
const text = z.string().trim().min(1);

const statementSchema = z.object({
  grant: text.refine((g) => !/^allow\b/i.test(g), 'write the grant without "Allow <subject> to"'),
  why: text,
  unconfirmed: text.optional(),
});

const policySchema = z.object({
  id: z.string().regex(/^[a-z][a-z0-9-]*$/),
  title: text,
  subjects: z.array(z.object({ subject: z.string().regex(/^(group|dynamic-group|service) [\w.-]+$/), label: text.optional() })).min(1),
  statements: z.array(statementSchema).min(1),
});

const fileSchema = z.object({
  placeholders: z.array(z.object({ name: z.string().regex(/^<[a-z][a-z0-9-]*>$/), means: text })).min(1),
  dynamicGroups: z.array(z.object({ name: z.string().regex(/^[\w-]+$/), rule: text, why: text })).min(1),
  groups: z.array(z.object({ name: z.string().regex(/^[\w-]+$/), why: text })),
  policies: z.array(policySchema).min(1),
  unconfirmed: z.array(text).default([]),
});

export type PolicyFile = z.infer<typeof fileSchema>;
export type PolicyStatement = z.infer<typeof statementSchema>;

/** One statement as written in OCI: "Allow <subject> to <grant>", still with its placeholders. */
export interface StatementTemplate {
  policy: string;
  subject: string;
  text: string;
}

/** Reads and checks the file; every problem is named (a placeholder nobody defined, a subject no group declares). */
export function loadPolicyFile(path = POLICY_FILE): PolicyFile {
  let raw: unknown;
  try {
    raw = parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new Error(`${path}: not readable YAML: ${error instanceof Error ? error.message : String(error)}`);
  }
  const parsed = fileSchema.safeParse(raw);
  if (!parsed.success) {
    throw new Error(`${path}: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(top)'}: ${i.message}`).join('; ')}`);
  }
  const file = parsed.data;
  const problems = crossCheck(file);
  if (problems.length) throw new Error(`${path}: ${problems.join('; ')}`);
  return file;
}

function crossCheck(file: PolicyFile): string[] {
  const problems: string[] = [];
  const defined = new Set(file.placeholders.map((p) => p.name));
  const used = new Set<string>();
  const texts = [...file.dynamicGroups.map((g) => g.rule), ...file.policies.flatMap((p) => p.statements.map((s) => s.grant))];
  for (const t of texts) for (const m of t.matchAll(PLACEHOLDER)) used.add(m[0]);
  for (const name of used) if (!defined.has(name)) problems.push(`placeholder ${name} is used but not defined`);
  for (const name of defined) if (!used.has(name)) problems.push(`placeholder ${name} is defined but never used`);
  const known = new Set([...file.dynamicGroups.map((g) => `dynamic-group ${g.name}`), ...file.groups.map((g) => `group ${g.name}`)]);
  for (const policy of file.policies) {
    for (const { subject } of policy.subjects) {
      if (!subject.startsWith('service ') && !known.has(subject)) problems.push(`policy ${policy.id}: ${subject} is not declared`);
    }
  }
  const ids = file.policies.map((p) => p.id);
  for (const id of new Set(ids)) if (ids.filter((x) => x === id).length > 1) problems.push(`policy id ${id} is used twice`);
  return problems;
}

/** Every statement of the file, each subject of a policy spelled out. */
export function statementTemplates(file: PolicyFile): StatementTemplate[] {
  return file.policies.flatMap((policy) =>
    policy.subjects.flatMap(({ subject }) => policy.statements.map((s) => ({ policy: policy.id, subject, text: `Allow ${subject} to ${s.grant}` }))),
  );
}

/** Fills placeholders; one left unfilled is an error that names it. */
export function fillPlaceholders(template: string, values: Record<string, string>): string {
  return template.replace(PLACEHOLDER, (name) => {
    const value = values[name];
    if (value === undefined) throw new Error(`no value for ${name} in: ${template}`);
    return value;
  });
}

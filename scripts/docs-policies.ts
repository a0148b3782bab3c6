// `npm run docs:policies`: writes deploy/oci-policies.yaml into docs/deploy-oci.md §6, between the
// markers, so the doc shows exactly the statements the OCI stand-in enforces. `--check` only reports
// whether the doc is current (exit 1 when not); tests/unit/static/iam-policies-doc.test.ts does the same.
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { loadPolicyFile, type PolicyFile } from './oci-policies.js';

export const DEPLOY_DOC = fileURLToPath(new URL('../docs/deploy-oci.md', import.meta.url));
export const BEGIN = '<!-- BEGIN generated policies: edit deploy/oci-policies.yaml, then run npm run docs:policies -->';
export const END = '<!-- END generated policies -->';

const code = (s: string): string => `\`${s}\``;

/** The markdown between the markers. */
export function renderPolicies(file: PolicyFile): string {
  const out: string[] = [];
  out.push('Placeholders in the statements:', '');
  out.push('| Placeholder | Meaning |', '|---|---|');
  for (const p of file.placeholders) out.push(`| ${code(p.name)} | ${p.means} |`);
  out.push('', '### Dynamic groups', '');
  out.push('| Dynamic group | Matching rule | For |', '|---|---|---|');
  for (const g of file.dynamicGroups) out.push(`| ${code(g.name)} | ${code(g.rule)} | ${g.why} |`);
  if (file.groups.length) {
    out.push('', '| Group | For |', '|---|---|');
    for (const g of file.groups) out.push(`| ${code(g.name)} | ${g.why} |`);
  }
  for (const policy of file.policies) {
    out.push('', `### ${policy.title}`, '');
    for (const { subject, label } of policy.subjects) {
      if (label) out.push(`${label}:`, '');
      out.push('```', ...policy.statements.map((s) => `Allow ${subject} to ${s.grant}`), '```', '');
    }
    policy.statements.forEach((s, i) => {
      const [verb, resource] = s.grant.split(' ');
      const doubt = s.unconfirmed ? ` *Not confirmed:* ${s.unconfirmed}.` : '';
      out.push(`${i + 1}. ${code(`${verb} ${resource}`)}: ${s.why}.${doubt}`);
    });
  }
  out.push('', "### What we could not confirm in Oracle's policy reference", '');
  out.push(
    'Every line above was checked against Oracle\'s policy reference ("Container Instances IAM Policies", "Details for Object',
    'Storage", the Vault, Container Registry and Functions details); the items marked *Not confirmed* above, and these',
    'readings of the reference that the OCI stand-in applies, could not be read in the reference itself:',
    '',
  );
  for (const item of file.unconfirmed) out.push(`- ${item}`);
  return out.join('\n');
}

/** The doc with its generated block replaced; throws when the markers are missing or out of order. */
export function withPolicies(doc: string, block: string): string {
  const begin = doc.indexOf(BEGIN);
  const end = doc.indexOf(END);
  if (begin < 0 || end < begin) throw new Error(`docs/deploy-oci.md has no "${BEGIN}" ... "${END}" block`);
  return `${doc.slice(0, begin + BEGIN.length)}\n\n${block}\n\n${doc.slice(end)}`;
}

function main(args: string[]): number {
  const doc = readFileSync(DEPLOY_DOC, 'utf8');
  const next = withPolicies(doc, renderPolicies(loadPolicyFile()));
  if (args.includes('--check')) {
    if (next === doc) return 0;
    console.error('docs/deploy-oci.md §6 differs from deploy/oci-policies.yaml: run npm run docs:policies');
    return 1;
  }
  if (next !== doc) writeFileSync(DEPLOY_DOC, next);
  console.log(next === doc ? 'docs/deploy-oci.md is current' : 'docs/deploy-oci.md §6 rewritten from deploy/oci-policies.yaml');
  return 0;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) process.exitCode = main(process.argv.slice(2));

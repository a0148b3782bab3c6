// deploy/oci-policies.yaml is the one source of the deployment's IAM: docs/deploy-oci.md §6 shows exactly
// its statements (npm run docs:policies), every statement parses in the stand-in's grammar, and a file
// that names an undefined placeholder or an undeclared group is refused by name.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BEGIN, DEPLOY_DOC, END, renderPolicies, withPolicies } from '../../../scripts/docs-policies.js';
import { loadPolicyFile, POLICY_FILE, statementTemplates } from '../../../scripts/oci-policies.js';
import { parseMatchingRule, parseStatement } from '../../oci-stand-in/iam/grammar.js';

const file = loadPolicyFile();
const dir = mkdtempSync(join(tmpdir(), 'iam-policies-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('deploy/oci-policies.yaml and docs/deploy-oci.md §6', () => {
  it('the doc shows exactly the file (run npm run docs:policies after editing the file)', () => {
    const doc = readFileSync(DEPLOY_DOC, 'utf8');
    expect(doc.indexOf(BEGIN)).toBeGreaterThan(doc.indexOf('## 6. '));
    expect(doc.indexOf(END)).toBeLessThan(doc.indexOf('## 7. '));
    expect(withPolicies(doc, renderPolicies(file))).toBe(doc);
    // And nothing else in the doc claims to be a policy statement.
    const block = doc.slice(doc.indexOf(BEGIN), doc.indexOf(END));
    const outside = doc.replace(block, '').split('\n').filter((l) => l.startsWith('Allow '));
    expect(outside).toEqual([]);
    const shown = block.split('\n').filter((l) => l.startsWith('Allow '));
    expect(shown).toEqual(statementTemplates(file).map((t) => t.text));
  });

  it('notices a doc that drifted from the file', () => {
    const doc = readFileSync(DEPLOY_DOC, 'utf8');
    const drifted = doc.replace('to manage compute-containers in', 'to use compute-containers in');
    expect(drifted).not.toBe(doc);
    expect(withPolicies(drifted, renderPolicies(file))).toBe(doc);
    expect(() => withPolicies('no markers here', renderPolicies(file))).toThrow(/has no/);
  });

  it('every statement and matching rule parses; the worker grants container create and delete', () => {
    for (const t of statementTemplates(file)) expect(() => parseStatement(t.text), t.text).not.toThrow();
    for (const g of file.dynamicGroups) expect(() => parseMatchingRule(g.rule), g.name).not.toThrow();
    const worker = statementTemplates(file).filter((t) => t.policy === 'worker').map((t) => t.text);
    expect(worker).toContain('Allow group oci-transcode-workers to manage compute-containers in compartment <compartment>');
    expect(worker.some((t) => /use compute-containers/.test(t))).toBe(false);
  });

  it('refuses a file with an undefined placeholder or an undeclared subject, by name', () => {
    const yaml = readFileSync(POLICY_FILE, 'utf8');
    const write = (name: string, text: string): string => {
      const path = join(dir, name);
      writeFileSync(path, text);
      return path;
    };
    expect(() => loadPolicyFile(write('a.yaml', yaml.replace("'<secret-ocid>'", "'<secret-id>'")))).toThrow(
      /placeholder <secret-id> is used but not defined; placeholder <secret-ocid> is defined but never used/,
    );
    expect(() => loadPolicyFile(write('b.yaml', yaml.replace('subject: group oci-transcode-workers', 'subject: group oci-transcode-worker')))).toThrow(
      /policy worker: group oci-transcode-worker is not declared/,
    );
    expect(() => loadPolicyFile(write('c.yaml', yaml.replace('grant: use vnics', 'grant: Allow group x to use vnics')))).toThrow(/without "Allow <subject> to"/);
    expect(() => loadPolicyFile(write('d.yaml', 'policies: [\n'))).toThrow(/not readable YAML/);
  });
});

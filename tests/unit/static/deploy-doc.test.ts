// docs/deploy-oci.md stays true: every OCI variable documented with the schema's own default, every file
// and npm script it names exists, and every policy statement names a dynamic group it defines.
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadOciConfig, OCI_ENV_NAMES } from '../../../src/config-oci.js';

const doc = readFileSync('docs/deploy-oci.md', 'utf8');
const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { scripts: Record<string, string> };

describe('docs/deploy-oci.md', () => {
  it('documents every OCI variable, with the default the schema really has', () => {
    const defaults = loadOciConfig({});
    for (const [path, variable] of Object.entries(OCI_ENV_NAMES)) {
      const row = new RegExp(`^\\| \`${variable}\` \\|([^|]*)\\|`, 'm').exec(doc);
      expect(row, variable).not.toBeNull();
      const documented = /^`([^`]*)`$/.exec(row![1]!.trim())?.[1];
      if (documented === undefined) continue; // no literal default (required, or derived)
      const [head, leaf] = path.split('.') as [keyof typeof defaults, string | undefined];
      const actual: unknown = leaf ? (defaults[head] as Record<string, unknown>)[leaf] : defaults[head];
      const shown = Array.isArray(actual)
        ? actual.map((s: { shape: string; ocpus: number; memoryInGBs: number }) => `${s.shape}:${s.ocpus}:${s.memoryInGBs}`).join(',')
        : String(actual).replace(/^.*\/\.oci\/config$/, '~/.oci/config');
      expect(shown, variable).toBe(documented);
    }
  });

  it('names only files and npm scripts that exist', () => {
    for (const file of ['transcoder-image/Dockerfile', 'worker-image/Dockerfile', 'docker-compose.temporal.yml', 'src/starter-fn/func.yaml', 'src/config-oci.ts', 'tests/oci-stand-in/main.ts']) {
      expect(doc).toContain(file);
      expect(existsSync(file), file).toBe(true);
    }
    for (const script of doc.matchAll(/npm run ([\w:-]+)/g)) expect(pkg.scripts, script[0]).toHaveProperty(script[1]!);
  });

  it('grants policies only to the dynamic groups it defines, and never broad manage on a family', () => {
    const defined = new Set([...doc.matchAll(/^\| `(oci-transcode-[\w-]+)` \| `(?:ALL|ANY) \{/gm)].map((m) => m[1]));
    const statements = doc.split('\n').filter((l) => l.startsWith('Allow '));
    expect(statements.length).toBeGreaterThan(8);
    for (const statement of statements) {
      const group = /^Allow dynamic-group ([\w-]+) /.exec(statement)?.[1];
      if (group) expect(defined.has(group), statement).toBe(true);
      expect(statement, statement).not.toMatch(/to manage [\w-]+-family/);
      expect(statement, statement).not.toMatch(/in tenancy/);
    }
  });
});

// docs/operations.md must not drift from the code: every setting in src/config.ts is in its table
// with the real default, and every stack command is documented.
import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { ENV_NAMES, loadConfig } from '../../../src/config.js';
import { registerStack } from '../../../src/cli/commands/stack.js';

const doc = readFileSync(new URL('../../../docs/operations.md', import.meta.url), 'utf8');
const rows = new Map(
  [...doc.matchAll(/^\| `(OCI_TRANSCODE_[A-Z_]+)` \| ([^|]*) \|/gm)].map((m) => [m[1]!, m[2]!.trim()]),
);

function defaultOf(path: string): unknown {
  const config = loadConfig({}) as unknown as Record<string, Record<string, unknown>>;
  const [head, leaf] = path.split('.') as [string, string | undefined];
  return leaf === undefined ? config[head] : config[head]?.[leaf];
}

describe('docs/operations.md', () => {
  it('lists every configuration variable, and only those', () => {
    expect([...rows.keys()].sort()).toEqual(Object.values(ENV_NAMES).sort());
  });

  it('gives each variable its real default', () => {
    for (const [path, variable] of Object.entries(ENV_NAMES)) {
      const value = defaultOf(path);
      const documented = rows.get(variable)!;
      if (value === undefined) expect(documented, variable).not.toMatch(/^`/);
      else if (value === '') expect(documented, variable).toBe('(empty)');
      else expect(/^`([^`]*)`/.exec(documented)?.[1], variable).toBe(Array.isArray(value) ? value.join(',') : String(value as string | number | boolean));
    }
  });

  it('documents every stack command', () => {
    const program = new Command();
    registerStack(program);
    for (const command of program.commands) expect(doc, command.name()).toContain(`oci-transcode ${command.name()}`);
  });
});

// The lint rules that hold the architecture can fail: each probe lints a real file's path with a violating
// body (ESLint's own API, the repository's eslint.config.mjs) and must be reported by the rule meant for it.
// The suite's `npm run lint` is the other half: the real files pass.
import { ESLint } from 'eslint';
import { beforeAll, describe, expect, it } from 'vitest';

let eslint: ESLint;

async function rulesHit(filePath: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath });
  return (result?.messages ?? []).map((m) => m.ruleId ?? m.message);
}

beforeAll(() => {
  eslint = new ESLint({ cwd: process.cwd() });
});

describe('architecture lint', () => {
  it('reports an import cycle', async () => {
    // events.ts imports layout.ts; layout.ts importing events.ts back closes a circle.
    expect(await rulesHit('src/domain/layout.ts', "import { requestFor } from './events.js';\nexport const probe = requestFor;\n")).toContain('import-x/no-cycle');
  }, 60_000);

  it('reports a lower layer importing a higher one', async () => {
    expect(await rulesHit('src/domain/layout.ts', "import type { Config } from '../config.js';\nexport type Probe = Config;\n")).toContain('import-x/no-restricted-paths');
    expect(await rulesHit('src/activities/verify.ts', "import type { OciObjectStore } from '../adapters/oci/object-store.js';\nexport type Probe = OciObjectStore;\n")).toContain('import-x/no-restricted-paths');
    expect(await rulesHit('src/adapters/oci/dates.ts', "import type { Activities } from '../../activities/index.js';\nexport type Probe = Activities;\n")).toContain('import-x/no-restricted-paths');
    expect(await rulesHit('src/workflows/run-state.ts', "import { readText } from '../store-io.js';\nexport const probe = readText;\n")).toContain('import-x/no-restricted-paths');
  }, 60_000);

  it('reports non-deterministic workflow code', async () => {
    expect(await rulesHit('src/workflows/run-state.ts', 'export const probe = (): number => Date.now();\n')).toContain('no-restricted-properties');
    expect(await rulesHit('src/workflows/run-state.ts', "import { readFile } from 'node:fs/promises';\nexport const probe = readFile;\n")).toContain('no-restricted-imports');
  }, 60_000);

  it('allows what the layers allow (the probes are not simply refused)', async () => {
    expect(await rulesHit('src/activities/verify.ts', "import type { ObjectStore } from '../ports.js';\nexport type Probe = ObjectStore;\n")).toEqual([]);
    expect(await rulesHit('src/workflows/run-state.ts', "import type { Activities } from '../activities/index.js';\nexport type Probe = Activities;\n")).toEqual([]);
  }, 60_000);
});

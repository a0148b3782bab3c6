// Replays every history in tests/histories/ (recorded from real runs by scripts/record-histories.ts,
// in `temporal workflow show --output json` form) against the current workflow code. A change that
// would break running workflows fails here. A deliberately changed workflow is the control.
import { readdir, readFile } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { bundleWorkflowCode, DefaultLogger, Worker } from '@temporalio/worker';
import { beforeAll, describe, expect, it } from 'vitest';
import { historyFromJson } from '../../../src/worker/history.js';
import { quietRuntime, workflowBundle } from '../../helpers/temporal.js';

const DIR = resolve('tests/histories');
let files: string[];

async function histories(): Promise<{ workflowId: string; history: unknown }[]> {
  return Promise.all(files.map(async (f) => ({ workflowId: basename(f, '.json'), history: historyFromJson(JSON.parse(await readFile(f, 'utf8'))) })));
}

async function replay(bundle: Awaited<ReturnType<typeof workflowBundle>>): Promise<Record<string, string | undefined>> {
  const outcome: Record<string, string | undefined> = {};
  for await (const r of Worker.runReplayHistories({ workflowBundle: bundle }, await histories())) {
    outcome[r.workflowId] = r.error ? `${r.error.name}: ${r.error.message}` : undefined;
  }
  return outcome;
}

beforeAll(async () => {
  quietRuntime();
  files = (await readdir(DIR)).filter((f) => f.endsWith('.json')).sort().map((f) => join(DIR, f));
});

describe('replay of recorded histories', () => {
  it('covers the paths that matter', () => {
    expect(files.map((f) => basename(f, '.json'))).toEqual(
      expect.arrayContaining(['single-job', 'per-rendition', 'retry-after-crash', 'bad-input', 'rejected-by-transcoder', 'canceled', 'superseded']),
    );
  });

  it('every history replays deterministically against the current workflow code', async () => {
    const outcome = await replay(await workflowBundle());
    expect(Object.keys(outcome).sort()).toEqual(files.map((f) => basename(f, '.json')).sort());
    expect(outcome).toEqual(Object.fromEntries(Object.keys(outcome).map((k) => [k, undefined])));
  });

  it('a changed workflow is caught (control)', async () => {
    const changed = await bundleWorkflowCode({ workflowsPath: resolve(DIR, 'changed-workflow/index.ts'), logger: new DefaultLogger('WARN') });
    const outcome = await replay(changed);
    for (const [id, error] of Object.entries(outcome)) expect(error, id).toMatch(/DeterminismViolationError|Nondeterminism|nondeterminism/);
  });
});

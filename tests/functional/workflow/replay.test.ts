// Replays every history in tests/histories/ (recorded from real runs by scripts/record-histories.ts,
// in `temporal workflow show --output json` form) against the current workflow code. A change that
// would break running workflows fails here. A deliberately changed workflow is the control, and so are
// the histories of the build before update-with-start (tests/histories/before-update-with-start/): the
// current code cannot replay them, which is why `transcode` runs are pinned to the build that started
// them (Worker Versioning, docs/workflow.md) and that build's workers stay up until its runs drain.
import { readdir, readFile } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { bundleWorkflowCode, DefaultLogger, Worker } from '@temporalio/worker';
import { beforeAll, describe, expect, it } from 'vitest';
import { historyFromJson } from '../../../src/worker/history.js';
import { quietRuntime, workflowBundle } from '../../helpers/temporal.js';

const DIR = resolve('tests/histories');
const OLDER = join(DIR, 'before-update-with-start');
let files: string[];
let older: string[];

const jsonIn = async (dir: string): Promise<string[]> => (await readdir(dir)).filter((f) => f.endsWith('.json')).sort().map((f) => join(dir, f));

async function histories(of: string[]): Promise<{ workflowId: string; history: unknown }[]> {
  return Promise.all(of.map(async (f) => ({ workflowId: basename(f, '.json'), history: historyFromJson(JSON.parse(await readFile(f, 'utf8'))) })));
}

async function replay(bundle: Awaited<ReturnType<typeof workflowBundle>>, of = files): Promise<Record<string, string | undefined>> {
  const outcome: Record<string, string | undefined> = {};
  for await (const r of Worker.runReplayHistories({ workflowBundle: bundle }, await histories(of))) {
    outcome[r.workflowId] = r.error ? `${r.error.name}: ${r.error.message}` : undefined;
  }
  return outcome;
}

beforeAll(async () => {
  quietRuntime();
  files = await jsonIn(DIR);
  older = await jsonIn(OLDER);
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

  it('runs of the build before update-with-start cannot replay on this one (why runs are pinned)', async () => {
    expect(older.length).toBeGreaterThanOrEqual(5);
    const outcome = await replay(await workflowBundle(), older);
    for (const [id, error] of Object.entries(outcome)) expect(error, id).toMatch(/DeterminismViolationError|Nondeterminism|nondeterminism/);
  });
});

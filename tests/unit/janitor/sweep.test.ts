// The sweep over an in-memory job runner and run-state table: what it deletes, what it keeps, and
// that a failure on one job never stops the others.
import { describe, expect, it } from 'vitest';
import { APP_TAG, JOB_TAGS } from '../../../src/domain/job-tags.js';
import type { RunRef, RunState } from '../../../src/janitor/decide.js';
import { JanitorError, sweepOrphanJobs } from '../../../src/janitor/sweep.js';
import type { JobHandle, JobPhase } from '../../../src/ports.js';

type Listed = JobHandle & { tags: Record<string, string>; phase: JobPhase };

function runner(jobs: Listed[], failDelete = new Set<string>()) {
  const deleted: string[] = [];
  const listedWith: Record<string, string>[] = [];
  return {
    deleted,
    listedWith,
    list: (wanted: Record<string, string>) => {
      listedWith.push(wanted);
      return Promise.resolve(jobs.filter((j) => Object.entries(wanted).every(([k, v]) => j.tags[k] === v)));
    },
    delete: (h: JobHandle) => {
      if (failDelete.has(h.id)) return Promise.reject(new Error('409 Conflict: instance is busy'));
      deleted.push(h.id);
      return Promise.resolve();
    },
  };
}

const jobOf = (id: string, workflowId: string, runId: string, extra: Record<string, string> = {}): Listed => ({
  id,
  phase: 'running',
  tags: { [JOB_TAGS.app]: APP_TAG, [JOB_TAGS.workflowId]: workflowId, [JOB_TAGS.runId]: runId, [JOB_TAGS.namespace]: 'default', ...extra },
});

describe('sweepOrphanJobs', () => {
  const states: Record<string, RunState> = { 'wf-run': 'running', 'wf-done': 'closed', 'wf-gone': 'unknown' };
  const asked: string[] = [];
  const runState = (run: RunRef): Promise<RunState> => {
    asked.push(run.workflowId);
    const state = states[run.workflowId];
    return state ? Promise.resolve(state) : Promise.reject(new Error('14 UNAVAILABLE: connection refused'));
  };

  it('deletes exactly the jobs of closed and unknown runs, asking Temporal once per run', async () => {
    asked.length = 0;
    const r = runner([
      jobOf('a', 'wf-run', 'r1'),
      jobOf('b', 'wf-done', 'r2'),
      jobOf('c', 'wf-done', 'r2'),
      jobOf('d', 'wf-gone', 'r3'),
      { id: 'x', phase: 'running', tags: { app: 'someone-else', workflowId: 'wf-done', runId: 'r2' } },
    ]);
    const report = await sweepOrphanJobs({ jobs: r, runState, namespace: 'default' });
    expect(r.listedWith).toEqual([{ app: APP_TAG }]);
    expect(r.deleted.sort()).toEqual(['b', 'c', 'd']);
    expect(report).toMatchObject({ examined: 4, deleted: 3, kept: 1, errors: 0, dryRun: false });
    expect(asked.sort()).toEqual(['wf-done', 'wf-gone', 'wf-run']);
    expect(report.jobs.find((j) => j.id === 'a')).toMatchObject({ outcome: 'kept', workflowId: 'wf-run', runId: 'r1' });
  });

  it('keeps a job whose run state cannot be learned, and one whose delete fails, counting both as errors', async () => {
    const r = runner([jobOf('a', 'wf-unreachable', 'r9'), jobOf('b', 'wf-done', 'r2'), jobOf('c', 'wf-gone', 'r3')], new Set(['b']));
    const report = await sweepOrphanJobs({ jobs: r, runState, namespace: 'default' });
    expect(r.deleted).toEqual(['c']);
    expect(report).toMatchObject({ examined: 3, deleted: 1, kept: 0, errors: 2 });
    expect(report.jobs.map((j) => [j.id, j.outcome, j.reason])).toEqual([
      ['a', 'error', 'could not learn the state of its run: 14 UNAVAILABLE: connection refused'],
      ['b', 'error', 'delete failed: 409 Conflict: instance is busy'],
      ['c', 'deleted', 'its run wf-gone r3 is unknown to Temporal'],
    ]);
  });

  it('deletes nothing in a dry run, and leaves other namespaces and untagged jobs alone', async () => {
    const r = runner([jobOf('a', 'wf-done', 'r2'), jobOf('b', 'wf-done', 'r2', { namespace: 'prod' }), { id: 'c', phase: 'failed', tags: { app: APP_TAG } }]);
    const dry = await sweepOrphanJobs({ jobs: r, runState, namespace: 'default', dryRun: true });
    expect(r.deleted).toEqual([]);
    expect(dry.jobs.map((j) => [j.id, j.outcome])).toEqual([['a', 'would-delete'], ['b', 'kept'], ['c', 'kept']]);
    const real = await sweepOrphanJobs({ jobs: r, runState, namespace: 'default' });
    expect(r.deleted).toEqual(['a']);
    expect(real).toMatchObject({ examined: 3, deleted: 1, kept: 2, errors: 0 });
  });

  it('refuses a runner that cannot list its jobs', async () => {
    await expect(sweepOrphanJobs({ jobs: { delete: () => Promise.resolve() }, runState, namespace: 'default' })).rejects.toThrow(JanitorError);
  });
});

import { describe, expect, it } from 'vitest';
import { APP_TAG, JOB_TAGS } from '../../../src/domain/job-tags.js';
import { decide, record, emptyReport, REPORT_JOB_LINES, runOf, summary, TAG_VALUE_MAX, type ListedJob } from '../../../src/janitor/decide.js';

const job = (tags: Record<string, string>, id = 'job-1'): ListedJob => ({ id, tags, phase: 'running' });
const tags = (over: Record<string, string> = {}): Record<string, string> => ({
  [JOB_TAGS.app]: APP_TAG,
  [JOB_TAGS.workflowId]: 'transcode/ns/media-in/a.mp4',
  [JOB_TAGS.runId]: '0190-run',
  [JOB_TAGS.namespace]: 'default',
  ...over,
});

describe('janitor decisions', () => {
  it('deletes the jobs of closed and unknown runs, keeps those of running ones', () => {
    expect(decide(job(tags()), 'default', 'closed')).toEqual({ action: 'delete', reason: 'its run transcode/ns/media-in/a.mp4 0190-run is closed' });
    expect(decide(job(tags()), 'default', 'unknown')).toMatchObject({ action: 'delete', reason: expect.stringContaining('unknown to Temporal') as string });
    expect(decide(job(tags()), 'default', 'running')).toMatchObject({ action: 'keep', reason: expect.stringContaining('still running') as string });
  });

  it('keeps what it cannot attribute or what another namespace owns', () => {
    const { [JOB_TAGS.runId]: _dropped, ...noRun } = tags();
    expect(runOf(noRun)).toBeUndefined();
    expect(decide(job(noRun), 'default', undefined)).toEqual({ action: 'keep', reason: 'no workflow tags: not attributable to a run' });
    // Even a closed run does not make another namespace's job ours to delete.
    expect(decide(job(tags({ namespace: 'prod' })), 'staging', 'closed')).toEqual({ action: 'keep', reason: 'belongs to namespace prod' });
    // Jobs from before the namespace tag existed are judged by this namespace.
    const { [JOB_TAGS.namespace]: _ns, ...legacy } = tags();
    expect(decide(job(legacy), 'staging', 'closed').action).toBe('delete');
  });

  it('treats a workflow id tag at the OCI value limit as cut, and never deletes on visibility absence', () => {
    const long = 'w'.repeat(TAG_VALUE_MAX);
    expect(runOf(tags({ workflowId: long }))).toEqual({ workflowId: long, runId: '0190-run', truncated: true });
    expect(runOf(tags())?.truncated).toBe(false);
    expect(decide(job(tags({ workflowId: long })), 'default', 'unlisted').action).toBe('keep');
  });

  it('counts every job and keeps the report small', () => {
    const report = emptyReport(false);
    for (let i = 0; i < REPORT_JOB_LINES + 50; i++) record(report, job(tags(), `j${i}`), i % 3 === 0 ? 'deleted' : i % 3 === 1 ? 'kept' : 'error', 'why');
    expect(report).toMatchObject({ examined: REPORT_JOB_LINES + 50, deleted: 84, kept: 83, errors: 83 });
    expect(report.jobs).toHaveLength(REPORT_JOB_LINES);
    expect(report.jobs[0]).toEqual({ id: 'j0', workflowId: 'transcode/ns/media-in/a.mp4', runId: '0190-run', phase: 'running', outcome: 'deleted', reason: 'why' });
    expect(summary(report)).toBe('examined 250 job(s): 84 deleted, 83 kept, 83 error(s)');
  });

  it('counts a dry run\'s orphans as kept and says how many would go', () => {
    const report = emptyReport(true);
    record(report, job(tags()), 'would-delete', 'closed');
    record(report, job(tags(), 'j2'), 'kept', 'running');
    expect(report).toMatchObject({ examined: 2, deleted: 0, kept: 2, errors: 0 });
    expect(summary(report)).toBe('dry run: examined 2 job(s): 0 deleted, 2 kept, 1 would be deleted, 0 error(s)');
  });
});

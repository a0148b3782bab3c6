// The janitor activity: one sweep for orphan jobs with this worker's JobRunner, judging each job by
// its run's state as this worker's Temporal client sees it (same namespace as the schedule).
import { Context } from '@temporalio/activity';
import type { JanitorReport } from '../janitor/decide.js';
import { summary } from '../janitor/decide.js';
import { sweepOrphanJobs } from '../janitor/sweep.js';
import { runStateFrom } from '../janitor/temporal.js';
import type { ActivityDeps } from './deps.js';

export interface JanitorInput {
  /** Report what would be deleted, delete nothing. */
  dryRun?: boolean;
}

export function createJanitorActivities(deps: ActivityDeps) {
  async function sweepOrphanJobs_(input: JanitorInput = {}): Promise<JanitorReport> {
    const ctx = Context.current();
    const report = await sweepOrphanJobs({
      jobs: deps.jobs,
      runState: runStateFrom(ctx.client),
      namespace: ctx.info.namespace,
      dryRun: input.dryRun === true,
      onJob: (r) => ctx.heartbeat({ examined: r.examined }),
      log: (message, fields) => {
        ctx.log.info(message, fields);
      },
    });
    ctx.log.info(`janitor: ${summary(report)}`, { examined: report.examined, deleted: report.deleted, kept: report.kept, errors: report.errors });
    return report;
  }
  return { sweepOrphanJobs: sweepOrphanJobs_ };
}

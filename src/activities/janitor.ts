// The janitor activities: one sweep for orphan jobs with this worker's JobRunner, judging each job by
// its run's state as this worker's Temporal client sees it (same namespace as the schedule); and one
// reconcile sweep over the source buckets with this worker's ObjectStore, starting runs through the
// starter's start path on the same client.
import { Context } from '@temporalio/activity';
import { METRICS } from '../domain/metrics.js';
import type { JanitorReport } from '../janitor/decide.js';
import { summary } from '../janitor/decide.js';
import { reconcileSummary, type ReconcileReport } from '../janitor/reconcile.js';
import { reconcileSources } from '../janitor/reconcile-sweep.js';
import { sweepOrphanJobs } from '../janitor/sweep.js';
import { JANITOR_SCHEDULE_ID, previousReconcileCursor, reconcileStarter, runStateFrom } from '../janitor/temporal.js';
import type { ActivityDeps } from './deps.js';

export interface JanitorInput {
  /** Report what would be deleted (and started), delete (and start) nothing. */
  dryRun?: boolean;
  /** The schedule that started the run (default: the one `janitor --install` registers). */
  scheduleId?: string;
}

export type ReconcileInput = JanitorInput;

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
    const { name, unit, description } = METRICS.orphansSwept;
    if (report.deleted > 0) ctx.metricMeter.createCounter(name, unit, description).add(report.deleted);
    return report;
  }

  async function reconcileSources_(input: ReconcileInput = {}): Promise<ReconcileReport> {
    const ctx = Context.current();
    // Where the schedule's previous sweep stopped; not knowing it only means starting over.
    const resume = await previousReconcileCursor(ctx.client, input.scheduleId ?? JANITOR_SCHEDULE_ID, { runId: ctx.info.workflowExecution?.runId ?? '' }).catch((error: unknown) => {
      ctx.log.warn('reconciler: could not read where the previous sweep stopped; starting over', { error: String(error) });
      return undefined;
    });
    const report = await reconcileSources({
      store: deps.store,
      starter: reconcileStarter(ctx.client, deps.config),
      config: deps.config,
      dryRun: input.dryRun === true,
      resume,
      // A retried attempt goes on from its last heartbeat, with the counts it had there.
      progress: ctx.info.heartbeatDetails,
      onProgress: (progress) => ctx.heartbeat(progress),
      log: (message, fields) => {
        ctx.log.info(message, fields);
      },
    });
    const { examined, skipped, current, started, wouldStart, errors } = report;
    ctx.log.info(`janitor: ${reconcileSummary(report)}`, { examined, skipped, current, started, wouldStart, errors, next: report.next });
    return report;
  }

  return { sweepOrphanJobs: sweepOrphanJobs_, reconcileSources: reconcileSources_ };
}

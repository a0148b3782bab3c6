// The `janitor` workflow, started by the Temporal Schedule `oci-transcode janitor --install` registers:
// one sweep for orphan jobs, then one reconcile sweep (uploads whose event was lost get their run). Its
// result (the counts) is what the schedule's recent actions show; the next run's reconciler reads it
// there to go on where this sweep stopped.
import { proxyActivities, setWorkflowOptions, workflowInfo } from '@temporalio/workflow';
import type { Activities, JanitorInput } from '../activities/index.js';
import type { JanitorResult } from '../janitor/reconcile.js';

// A few tries each; the next scheduled sweep picks up whatever this one could not finish.
const retry = { initialInterval: '10s', backoffCoefficient: 2, maximumAttempts: 3 };

const { sweepOrphanJobs } = proxyActivities<Pick<Activities, 'sweepOrphanJobs'>>({
  startToCloseTimeout: '10 min',
  // The sweep heartbeats per job: a worker lost mid-sweep is noticed in 30 s.
  heartbeatTimeout: '30s',
  retry,
});

const { reconcileSources } = proxyActivities<Pick<Activities, 'reconcileSources'>>({
  // The sweep ends itself after 10 minutes (SWEEP_BUDGET_MS); it heartbeats per object.
  startToCloseTimeout: '15 min',
  heartbeatTimeout: '30s',
  retry,
});

type Settled<T> = { ok: true; value: T } | { ok: false; error: unknown };
const settle = <T>(p: Promise<T>): Promise<Settled<T>> => p.then((value) => ({ ok: true as const, value }), (error: unknown) => ({ ok: false as const, error }));

// With Worker Versioning, each scheduled sweep is short and stateless: it runs on the current version.
// (Asked of versioned workers only, which have a deployment name: an unversioned one refuses any behavior.)
setWorkflowOptions(() => (workflowInfo().currentDeploymentVersion?.deploymentName ? { versioningBehavior: 'AUTO_UPGRADE' } : {}), janitor);

export async function janitor(input: JanitorInput = {}): Promise<JanitorResult> {
  // Independent chores: a failed orphan sweep must not keep lost uploads waiting, nor the reverse.
  const orphans = await settle(sweepOrphanJobs(input));
  const reconciled = await settle(reconcileSources(input));
  if (!orphans.ok) throw orphans.error;
  if (!reconciled.ok) throw reconciled.error;
  return { ...orphans.value, reconciled: reconciled.value };
}

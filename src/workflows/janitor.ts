// The `janitor` workflow, started by the Temporal Schedule `oci-transcode janitor --install` registers:
// one sweep for orphan jobs; its result (the counts) is what the schedule's recent actions show.
import { proxyActivities } from '@temporalio/workflow';
import type { Activities, JanitorInput } from '../activities/index.js';
import type { JanitorReport } from '../janitor/decide.js';

const { sweepOrphanJobs } = proxyActivities<Pick<Activities, 'sweepOrphanJobs'>>({
  startToCloseTimeout: '10 min',
  // The sweep heartbeats per job: a worker lost mid-sweep is noticed in 30 s.
  heartbeatTimeout: '30s',
  // A few tries; the next scheduled sweep picks up whatever this one could not finish.
  retry: { initialInterval: '10s', backoffCoefficient: 2, maximumAttempts: 3 },
});

export async function janitor(input: JanitorInput = {}): Promise<JanitorReport> {
  return sweepOrphanJobs(input);
}

// A time-split run's MP4 download, after its stream: no chunk holds a whole rung, so the remux job
// (domain/chunks.ts REMUX_JOB) makes it from the chunks' segments once they are all done, and the stream is
// published first (streamPlan) so that a long film's masters never wait for it. When the MP4 is there, the
// run publishes again with the whole plan: the same masters, and job.json now listing the download. A
// failure or a cancel here leaves the published stream as it is, without the MP4 (and says so in the log).
import { CancellationScope, isCancellation, log } from '@temporalio/workflow';
import type { PublishResult } from '../activities/index.js';
import type { RunFacts } from '../activities/index.js';
import { storage } from './proxies.js';
import { runJobs, type JobsContext } from './run-jobs.js';

export async function remuxAfterStream(ctx: JobsContext, facts: () => RunFacts): Promise<Extract<PublishResult, { status: 'published' }> | undefined> {
  const remux = ctx.plan.jobs.filter((j) => j.remux);
  if (remux.length === 0) return undefined;
  const { source, dest, plan } = ctx;
  try {
    await runJobs({ ...ctx, jobs: remux });
    await storage.verify({ source, dest, plan });
    const published = await CancellationScope.nonCancellable(() => storage.publish({ source, dest, plan, facts: facts() }));
    if (published.status === 'published') return published;
    log.warn('the MP4 download was made but not recorded: the source changed meanwhile', { stage: ctx.run.stage, status: published.status });
  } catch (error) {
    log.warn(`the MP4 download could not be made${isCancellation(error) ? ' (cancelled)' : ''}: the stream stays published without it`, { stage: ctx.run.stage, error: String(error) });
  }
  return undefined;
}

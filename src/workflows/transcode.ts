// The `transcode` workflow: inspect -> plan -> run jobs -> verify -> publish, with cleanup always.
// See docs/workflow.md for stages, retries, cleanup, supersede, the progress query and search attributes.
import {
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  CancelledFailure,
  makeContinueAsNewFunc,
  isCancellation,
  log,
  setHandler,
  upsertMemo,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { InspectResult, RunFacts } from '../activities/index.js';
import { planLadder } from '../domain/ladder.js';
import { streamPrefix } from '../domain/layout.js';
import type { Plan, TranscodeRequest } from '../domain/types.js';
import type { TranscodeMemo, TranscodeResult } from './definitions.js';
import { jobProgressSignal, progressQuery, SEARCH_ATTRIBUTES, supersedeSignal } from './definitions.js';
import { jobControl, storage } from './proxies.js';
import { runJobs } from './run-jobs.js';
import { RunState } from './run-state.js';

const sourceUri = (r: TranscodeRequest): string => `oci://${r.source.namespace}/${r.source.bucket}/${r.source.object}`;

/** A request too broken to even name its source fails before anything else (inspect checks the rest). */
function assertNamesSource(request: TranscodeRequest): void {
  const s = (request as Partial<TranscodeRequest> | undefined)?.source;
  if (!s || typeof s.namespace !== 'string' || typeof s.bucket !== 'string' || typeof s.object !== 'string') {
    throw ApplicationFailure.nonRetryable('Invalid transcode request: source {namespace, bucket, object} is required', 'InvalidRequest');
  }
}

function plan(request: TranscodeRequest, inspected: InspectResult): Plan {
  const { settings } = inspected;
  try {
    return planLadder(inspected.probe, {
      preset: settings.preset,
      formats: settings.formats,
      segmentFormat: settings.segmentFormat,
      parallelism: settings.parallelism,
      etag: inspected.etag,
    });
  } catch (error) {
    // Anything else is a bug: let the workflow task fail and retry until a fixed worker is deployed.
    if (error instanceof Error && error.name === 'PlanError') {
      throw ApplicationFailure.nonRetryable(`${sourceUri(request)}: ${error.message}`, 'BadInput');
    }
    throw error;
  }
}

/** The user-facing failure: an activity's own message on top, the activity failure kept as cause. */
function surface(error: unknown): unknown {
  if (error instanceof ActivityFailure && error.cause instanceof ApplicationFailure) {
    const { message, type, details } = error.cause;
    return ApplicationFailure.create({ message, type: type ?? undefined, details: details ? [...details] : undefined, nonRetryable: true, cause: error });
  }
  return error;
}

export async function transcode(request: TranscodeRequest): Promise<TranscodeResult> {
  assertNamesSource(request);
  const info = workflowInfo();
  const { bucket, object } = request.source;
  const run = new RunState(request.source.etag);
  const work = new CancellationScope();
  let supersededBy: string | undefined;
  let signalledEtag: string | undefined;

  const supersede = (etag: string, why: string): void => {
    log.info('superseded by a newer upload', { stage: run.stage, etag: run.etag, newer: etag, why });
    supersededBy = etag;
    work.cancel();
  };
  setHandler(progressQuery, () => run.snapshot());
  setHandler(jobProgressSignal, (update) => run.onJobProgress(update));
  setHandler(supersedeSignal, (signal) => {
    const etag = (signal as { etag?: unknown } | undefined)?.etag;
    if (typeof etag !== 'string' || etag === '') return;
    // Our own etag is not known until inspect: decide then.
    if (run.etag === undefined) signalledEtag = etag;
    else if (etag !== run.etag && etag !== supersededBy) supersede(etag, 'signal');
  });

  if (info.typedSearchAttributes.get(SEARCH_ATTRIBUTES.source) !== `${bucket}/${object}`) {
    upsertSearchAttributes([{ key: SEARCH_ATTRIBUTES.source, value: `${bucket}/${object}` }]);
  }
  const memo = (info.memo ?? {}) as Partial<TranscodeMemo>;
  if (memo.source === undefined) {
    const initial: TranscodeMemo = { source: `${bucket}/${object}`, preset: request.preset ?? 'default' };
    if (request.source.etag !== undefined) initial.etag = request.source.etag;
    upsertMemo({ ...initial });
  } else if (request.source.etag !== undefined && memo.etag !== request.source.etag) {
    // After continue-as-new: the starter dedupes on the memo's etag, so it must name ours at once.
    upsertMemo({ etag: request.source.etag });
  }
  run.setStage('inspecting', { source: sourceUri(request) });

  let inspected: InspectResult | undefined;
  let thePlan: Plan | undefined;
  let result: TranscodeResult | undefined;
  let failure: unknown;
  const facts = (): RunFacts => {
    const f: RunFacts = { workflow: { id: info.workflowId, runId: info.runId }, timings: run.timings(), attempts: { ...run.attempts } };
    if (inspected) f.sizeBytes = inspected.size;
    return f;
  };

  try {
    result = await work.run(async () => {
      inspected = await storage.inspect(request);
      const { settings, etag } = inspected;
      run.etag = etag;
      const current = (workflowInfo().memo ?? {}) as Partial<TranscodeMemo>;
      if (current.etag !== etag || current.preset !== settings.preset) upsertMemo({ etag, preset: settings.preset });
      // The object changed since the event that started us, or a newer upload was signalled meanwhile.
      const newer = request.source.etag !== undefined && request.source.etag !== etag ? etag : signalledEtag !== etag ? signalledEtag : undefined;
      if (newer !== undefined) {
        supersede(newer, 'inspect');
        throw new CancelledFailure('superseded');
      }
      const source = { ...request.source, etag };
      const dest = settings.dest;

      run.setStage('planning');
      thePlan = plan(request, inspected);
      const p = thePlan;
      run.initJobs(p);
      run.setStage('transcoding', { version: p.version, renditions: p.video.map((v) => v.id), jobs: p.jobs.length });
      await runJobs({ run, plan: p, source, dest, settings, workflowId: info.workflowId, runId: info.runId });

      run.setStage('verifying');
      await storage.verify({ source, dest, plan: p });

      run.setStage('publishing');
      if (supersededBy !== undefined) throw new CancelledFailure('superseded');
      // Never interrupted half-way; the activity re-checks the source's etag right before the masters.
      const published = await CancellationScope.nonCancellable(() => storage.publish({ source, dest, plan: p, facts: facts() }));
      if (published.status === 'superseded') {
        supersede(published.etag, 'publish');
        throw new CancelledFailure('superseded');
      }
      const done: TranscodeResult = {
        source: `${bucket}/${object}`,
        etag,
        version: p.version,
        bucket: dest.bucket,
        streamPrefix: streamPrefix(dest, object),
        record: published.record,
        renditions: published.renditions,
        durationSec: p.durationSec,
        attempts: { ...run.attempts },
      };
      if (published.hls) done.hls = published.hls;
      if (published.dash) done.dash = published.dash;
      if (published.thumbnail) done.thumbnail = published.thumbnail;
      return done;
    });
  } catch (error) {
    failure = surface(error);
    // A job that found the source shorter than planned, a verify mismatch...: a newer upload replaced
    // the file under us. Then the newer upload wins, as with the signal.
    if (inspected && supersededBy === undefined && !isCancellation(failure)) {
      const now = await CancellationScope.nonCancellable(() => storage.headSource(request.source)).catch(() => ({ etag: undefined }));
      if (now.etag !== undefined && now.etag !== run.etag) {
        log.info('the source was replaced during a failed run: continuing with the newer upload', { stage: run.stage, etag: run.etag, newer: now.etag });
        supersededBy = now.etag;
      }
    }
  }

  // Cleanup always runs to the end, also when the run was cancelled.
  await CancellationScope.nonCancellable(async () => {
    run.setStage('cleaning-up');
    try {
      await jobControl.deleteJobs({ handles: run.undeleted(), sweepTags: { workflowId: info.workflowId, runId: info.runId } });
    } catch (error) {
      log.error('could not delete every job; the janitor will find them by their tags', { stage: 'cleaning-up', error: String(error) });
    }
    if (failure === undefined) return;
    const outcome = supersededBy !== undefined ? 'superseded' : isCancellation(failure) ? 'canceled' : 'failed';
    run.error = outcome === 'failed' ? (failure instanceof Error ? failure.message : 'unknown failure') : outcome;
    // A request too broken to name a destination gets no record; anything else does, bad input included.
    if (failure instanceof ApplicationFailure && failure.type === 'InvalidRequest') return;
    const dest = inspected?.settings.dest ?? request.dest;
    try {
      const source = { ...request.source, ...(run.etag ? { etag: run.etag } : {}) };
      await storage.discard({ source, ...(dest ? { dest } : {}), plan: thePlan, outcome, error: run.error, facts: facts() });
    } catch (error) {
      log.error('could not discard partial outputs', { stage: 'cleaning-up', error: String(error) });
    }
  });

  if (supersededBy !== undefined) {
    run.setStage('superseded', { newer: supersededBy });
    const next = makeContinueAsNewFunc<typeof transcode>({ memo: { ...workflowInfo().memo, etag: supersededBy } });
    await next({ ...request, source: { ...request.source, etag: supersededBy } });
  }
  if (failure !== undefined || result === undefined) {
    run.setStage(isCancellation(failure) ? 'canceled' : 'failed', { error: run.error });
    throw failure;
  }
  run.setStage('completed', { hls: result.hls, dash: result.dash });
  return result;
}

// The `transcode` workflow: judge the upload -> inspect -> plan -> run jobs -> verify -> publish ->
// prune older versions, with cleanup always. See docs/workflow.md for stages, retries, cleanup, uploads
// arriving through the `upload` update (Update-with-start), the progress query and search attributes.
import {
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  CancelledFailure,
  TemporalFailure,
  allHandlersFinished,
  condition,
  isCancellation,
  log,
  makeContinueAsNewFunc,
  patched,
  setHandler,
  upsertMemo,
  setWorkflowOptions,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { InspectResult, NotifyPlan, PublishDetails, RunFacts, UploadJudgement } from '../activities/index.js';
import { chunkPlan, previewFirst, previewPlan } from '../domain/chunks.js';
import { streamPlan } from '../domain/downloads.js';
import { planLadder } from '../domain/ladder.js';
import { JOB_RECORD, streamPrefix } from '../domain/layout.js';
import { formatOciUri } from '../domain/oci-uri.js';
import type { Plan, TranscodeRequest } from '../domain/types.js';
import type { TranscodeMemo, TranscodeResult } from './definitions.js';
import { jobProgressSignal, progressQuery, SEARCH_ATTRIBUTES } from './definitions.js';
import { redactTarget } from '../domain/notify-targets.js';
import { notifyOutcome, runSummary, type SummaryParts } from './notify.js';
import { housekeeping, jobControl, storage } from './proxies.js';
import { remuxAfterStream } from './remux-after.js';
import { count, runJobs } from './run-jobs.js';
import { RunState } from './run-state.js';
import { Uploads, type Lineage } from './uploads.js';

const sourceUri = ({ source }: TranscodeRequest): string => formatOciUri({ namespace: source.namespace, bucket: source.bucket, name: source.object });

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
    const ladder = planLadder(inspected.probe, {
      preset: settings.preset,
      formats: settings.formats,
      segmentFormat: settings.segmentFormat,
      parallelism: settings.parallelism,
      ...(settings.audioTracks ? { audioTracks: settings.audioTracks } : {}),
      ...(settings.surround ? { surround: true } : {}),
      ...(settings.videoCodecs ? { videoCodecs: settings.videoCodecs } : {}),
      // Runs recorded before downloads and loudness existed carry neither setting and plan as before.
      ...(settings.downloads ? { downloads: settings.downloads } : {}),
      ...(settings.loudness ? { loudness: settings.loudness } : {}),
      etag: inspected.etag,
    });
    // Long sources are split in time (runs recorded before chunking existed have no such setting), and
    // published as a preview first when the cap makes chunks wait (runs recorded before that have no flag).
    if (!settings.chunking) return ladder;
    // Runs recorded before the time-split MP4 download plan without its remux job (Temporal's patch marker).
    const chunked = chunkPlan(ladder, settings.chunking, { remuxDownload: patched('time-split-mp4') });
    return settings.chunking.previewFirst ? previewFirst(chunked, settings.chunking.maxInstances) : chunked;
  } catch (error) {
    // Anything else is a bug: it fails the workflow task (see `transcode`) until a fixed worker runs it.
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

/** The result of a run that found its upload published already. */
function alreadyPublished(request: TranscodeRequest, etag: string, published: NonNullable<UploadJudgement['published']>): TranscodeResult {
  const { bucket, object } = request.source;
  const { version, streamPrefix: prefix, record, renditions, durationSec, hls, dash, thumbnail } = published;
  return {
    outcome: 'duplicate', source: `${bucket}/${object}`, etag, version, bucket: published.bucket, streamPrefix: prefix, record, renditions, durationSec, attempts: {},
    ...(hls ? { hls } : {}), ...(dash ? { dash } : {}), ...(thumbnail ? { thumbnail } : {}),
  };
}

// With Worker Versioning, a run finishes on the build that started it (docs/workflow.md, deploying).
// (Asked of versioned workers only, which have a deployment name: an unversioned one refuses any behavior.)
setWorkflowOptions(() => (workflowInfo().currentDeploymentVersion?.deploymentName ? { versioningBehavior: 'PINNED' } : {}), transcode);

export async function transcode(request: TranscodeRequest, lineage?: Lineage): Promise<TranscodeResult> {
  assertNamesSource(request);
  const info = workflowInfo();
  const { bucket, object } = request.source;
  const run = new RunState(request.source.etag);
  const work = new CancellationScope();
  const supersede = (etag: string, why: string): void => {
    if (uploads.supersededBy !== undefined) return;
    log.info('superseded by a newer upload', { stage: run.stage, etag: run.etag, newer: etag, why });
    count('runsSuperseded');
    uploads.supersededBy = etag;
    work.cancel();
  };
  const uploads = new Uploads(request.source.etag, lineage, { headEtag: async () => (await storage.headSource(request.source)).etag, supersede });
  setHandler(progressQuery, () => run.snapshot());
  setHandler(jobProgressSignal, (update) => run.onJobProgress(update));
  uploads.listen();

  if (info.typedSearchAttributes.get(SEARCH_ATTRIBUTES.source) !== `${bucket}/${object}`) {
    upsertSearchAttributes([{ key: SEARCH_ATTRIBUTES.source, value: `${bucket}/${object}` }]);
  }
  const memo: TranscodeMemo = { source: `${bucket}/${object}`, preset: request.preset ?? 'default', ...(request.source.etag ? { etag: request.source.etag } : {}) };
  upsertMemo({ ...memo });
  run.setStage('inspecting', { source: sourceUri(request) });

  let inspected: InspectResult | undefined;
  let thePlan: Plan | undefined;
  let result: TranscodeResult | undefined;
  let failure: unknown;
  let notifyPlan: NotifyPlan | undefined;
  let details: PublishDetails | undefined;
  /** job.json, once this run wrote it (the notification links it, undelivered ones are added to it). */
  let record: string | undefined;
  const facts = (): RunFacts => {
    const f: RunFacts = { workflow: { id: info.workflowId, runId: info.runId }, timings: run.timings(), attempts: { ...run.attempts } };
    if (inspected) f.sizeBytes = inspected.size;
    return f;
  };

  try {
    result = await work.run(async () => {
      // Which upload is this run about? The source says, not the event that started it.
      const judged = await storage.judgeUpload(request);
      notifyPlan = judged.notify;
      if (judged.etag !== undefined && judged.published) {
        uploads.settled = { outcome: 'duplicate', etag: judged.etag, reason: `eTag ${judged.etag} is published already (${judged.published.record})` };
        return alreadyPublished(request, judged.etag, judged.published);
      }
      if (judged.etag === undefined) uploads.settled = { outcome: 'stale', reason: 'the object no longer exists' };
      else uploads.current = judged.etag;

      inspected = await storage.inspect({ ...request, source: { ...request.source, ...(judged.etag ? { etag: judged.etag } : {}) } });
      const { settings, etag } = inspected;
      // Replaced between the two looks: follow the source.
      uploads.current = etag;
      run.etag = etag;
      upsertMemo({ etag, preset: settings.preset });
      const source = { ...request.source, etag };
      const dest = settings.dest;

      run.setStage('planning');
      thePlan = plan(request, inspected);
      const p = thePlan;
      run.initJobs(p);
      run.setStage('transcoding', { version: p.version, renditions: p.video.map((v) => v.id), jobs: p.jobs.length });
      // A preview (lowest rung + audio) goes out as soon as its jobs are done; the full masters replace it.
      const preview = previewPlan(p);
      const onPreview = preview && (async (): Promise<void> => {
        await storage.verify({ source, dest, plan: preview });
        if (uploads.supersededBy !== undefined) return;
        // Its job.json says when the preview became playable: when its masters are written, now.
        const at = facts();
        at.timings.firstPlayableSec = at.timings.totalSec;
        const published = await CancellationScope.nonCancellable(() => storage.publish({ source, dest, plan: preview, facts: at, preview: true }));
        if (published.status === 'superseded') return supersede(published.etag, 'replaced before its preview was published');
        if (published.status === 'kept') return log.info('no preview', { stage: run.stage, reason: published.reason });
        run.playable(false, new Date(Date.parse(at.timings.finishedAt)));
        log.info('preview published', { stage: run.stage, renditions: published.renditions, firstPlayableSec: at.timings.firstPlayableSec });
      });
      // A time-split run's stream goes out without waiting for its MP4 download (remux-after.ts).
      const stream = streamPlan(p);
      const jobsContext = { run, plan: p, source, dest, settings, workflowId: info.workflowId, runId: info.runId };
      await runJobs({ ...jobsContext, jobs: stream.jobs, ...(onPreview ? { onPreview } : {}) });

      run.setStage('verifying');
      await storage.verify({ source, dest, plan: stream });

      run.setStage('publishing');
      if (uploads.supersededBy !== undefined) throw new CancelledFailure('superseded');
      // Never interrupted half-way; the activity re-checks the source's etag right before the masters.
      run.playable(true);
      const published = await CancellationScope.nonCancellable(() => storage.publish({ source, dest, plan: stream, facts: facts() }));
      if (published.status === 'superseded') {
        uploads.supersededBy = published.etag;
        throw new CancelledFailure(`superseded by eTag ${published.etag}`);
      }
      if (published.status === 'kept') throw new Error(`publish kept the masters back, which only a preview may do: ${published.reason}`);
      record = published.record;
      details = published.details;
      // Best effort: older versions' media are only garbage now; a failure here is logged, never fatal.
      await CancellationScope.nonCancellable(() => housekeeping.pruneVersions({ source, dest, plan: p })).catch((error: unknown) => {
        log.warn('could not remove older versions; they are unreferenced and can be deleted by hand', { stage: 'publishing', error: String(error) });
      });
      const done: TranscodeResult = {
        outcome: 'published',
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
      const withDownload = await remuxAfterStream(jobsContext, facts);
      if (withDownload) ({ record, details } = withDownload);
      return { ...done, attempts: { ...run.attempts } };
    });
  } catch (error) {
    // A bug (not a Temporal failure) fails this workflow task before any cleanup command is recorded:
    // Temporal retries the task, and a worker with the fix replays the history and carries on.
    if (!(error instanceof TemporalFailure)) throw error;
    failure = surface(error);
    // A job that found the source shorter than planned, a verify mismatch...: a newer upload replaced
    // the file under us. Then the newer upload wins, as with an upload event.
    if (inspected && uploads.supersededBy === undefined && !isCancellation(failure)) {
      const now = await CancellationScope.nonCancellable(() => storage.headSource(request.source)).catch(() => ({ etag: undefined }));
      if (now.etag !== undefined && now.etag !== run.etag) {
        log.info('the source was replaced during a failed run: continuing with the newer upload', { stage: run.stage, etag: run.etag, newer: now.etag });
        uploads.supersededBy = now.etag;
      }
    }
    // It failed before it knew its upload: the event was taken, by a run that failed.
    if (uploads.current === undefined && uploads.settled === undefined) uploads.settled = { outcome: 'started', reason: `the run failed: ${failure instanceof Error ? failure.message : 'unknown failure'}` };
  }

  let outcome = 'completed' as SummaryParts['outcome'];
  // Cleanup always runs to the end, also when the run was cancelled.
  await CancellationScope.nonCancellable(async () => {
    run.setStage('cleaning-up');
    try {
      // Every job of this workflow id: only one run per id is open, so jobs tagged with other runs (a
      // reset or terminated one) are orphans too.
      await jobControl.deleteJobs({ handles: run.undeleted(), sweepTags: { workflowId: info.workflowId } });
    } catch (error) {
      log.error('could not delete every job; the janitor will find them by their tags', { stage: 'cleaning-up', error: String(error) });
    }
    if (failure === undefined) return;
    outcome = uploads.supersededBy !== undefined ? 'superseded' : isCancellation(failure) ? 'canceled' : 'failed';
    run.error = outcome === 'failed' ? (failure instanceof Error ? failure.message : 'unknown failure') : outcome;
    // A request too broken to name a destination gets no record; anything else does, bad input included.
    if (failure instanceof ApplicationFailure && failure.type === 'InvalidRequest') return;
    const dest = inspected?.settings.dest ?? request.dest;
    try {
      const source = { ...request.source, ...(run.etag ? { etag: run.etag } : {}) };
      const discarded = await storage.discard({ source, ...(dest ? { dest } : {}), plan: thePlan, outcome, error: run.error, facts: facts() });
      if (discarded.recordWritten && inspected) record = streamPrefix(inspected.settings.dest, object) + JOB_RECORD;
    } catch (error) {
      log.error('could not discard partial outputs', { stage: 'cleaning-up', error: String(error) });
    }
  });

  // A duplicate was notified by the run that published it.
  if (notifyPlan && result?.outcome !== 'duplicate') {
    const plan = notifyPlan;
    const dest = inspected?.settings.dest;
    const summary = runSummary({
      workflowId: info.workflowId, runId: info.runId, outcome, source: { ...request.source, ...(run.etag ? { etag: run.etag } : {}) },
      dest, version: thePlan?.version, error: outcome === 'failed' ? run.error : undefined, supersededBy: uploads.supersededBy,
      durationSec: thePlan?.durationSec, timings: run.timings(), outputs: { ...result, record }, details,
    });
    run.setStage('notifying', { targets: plan.targets.map((t) => redactTarget(t.target)) });
    const recordAt = dest && record ? { dest, sourceObject: object } : undefined;
    await CancellationScope.nonCancellable(() => notifyOutcome(plan, summary, recordAt));
  }

  // Answers to upload events that are still being made must reach their starters before the run ends
  // (also when the run was cancelled: the wait itself must not be). A newer upload may also arrive while
  // the run notifies: it is answered 'superseding', and this run continues as new with it.
  await CancellationScope.nonCancellable(() => condition(allHandlersFinished));
  const newer = uploads.supersededBy;
  if (newer !== undefined) {
    run.setStage('superseded', { newer });
    const next = makeContinueAsNewFunc<typeof transcode>({ memo: { ...workflowInfo().memo, etag: newer } });
    await next({ ...request, source: { ...request.source, etag: newer } }, uploads.lineage(newer));
  }
  if (failure !== undefined || result === undefined) {
    run.setStage(isCancellation(failure) ? 'canceled' : 'failed', { error: run.error });
    throw failure;
  }
  run.setStage('completed', { hls: result.hls, dash: result.dash });
  return result;
}

// The captions run's activities (workflows/captions.ts): a sidecar uploaded after its video was published.
// addSidecar converts it to WebVTT (ffmpeg, in the worker: a subtitle file is small) into the published
// version's folder, with one JSON file in its captions folder; republishCaptions renders the masters again
// from the published renditions through the one publish path (src/publish), nothing re-encoded.
import { buffer } from 'node:stream/consumers';
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { planSchema } from '../domain/contract.js';
import { captionsFolder, defaultDest, JOB_RECORD, outputHeaders, planFile, streamPrefix, versionFolder } from '../domain/layout.js';
import { nameTracks, parseSidecarName, parseWebVtt, renderSubtitlePlaylist, segmentWebVtt, type CaptionsRequest } from '../domain/subtitles.js';
import type { DestRef, JobRecord, Plan, SourceRef, TextOutput, TextTrack } from '../domain/types.js';
import { MAX_SIDECAR_BYTES, sidecarToWebVtt } from '../media/webvtt.js';
import { publishStream, readRenditionsFiles, readTextTracks } from '../publish/publish.js';
import { readJson } from '../store-io.js';
import { textSummary } from './job-record.js';
import type { ActivityDeps } from './deps.js';

export type AddSidecarResult =
  | { status: 'added'; video: SourceRef; dest: DestRef; version: string; track: string }
  /** Nothing to do: the published stream has it already (inspect saw it), or this upload of it is gone. */
  | { status: 'included' | 'stale' | 'no-video' | 'video-failed' | 'no-plan' | 'not-converted'; reason: string };

export interface RepublishInput {
  video: SourceRef;
  dest: DestRef;
  version: string;
}

export interface RepublishResult {
  status: 'published' | 'superseded';
  hls?: string;
  dash?: string;
  text: string[];
}

type NotAdded = Exclude<AddSidecarResult, { status: 'added' }>;
const done = (status: NotAdded['status'], reason: string): NotAdded => ({ status, reason });

export function createCaptionsActivities(deps: ActivityDeps) {
  const { store, config } = deps;

  /** The published stream of the video, or why there is none yet (retried: a run may be publishing it now). */
  async function publishedVersion(video: SourceRef & { etag: string }, dest: DestRef): Promise<{ plan: Plan; record: JobRecord } | NotAdded> {
    const prefix = streamPrefix(dest, video.object);
    const record = await readJson<JobRecord>(store, dest.bucket, prefix + JOB_RECORD).catch(() => undefined);
    const version = versionFolder(video.etag);
    if (record?.source.etag === video.etag && record.outcome === 'failed') return done('video-failed', `the run of ${video.object} failed: ${record.error ?? 'unknown error'}`);
    if (record?.outcome !== 'succeeded' || record.source.etag !== video.etag || record.plan?.version !== version) {
      // Retryable on purpose: the video's own run may be encoding or publishing it right now.
      throw ApplicationFailure.retryable(`${video.object} (eTag ${video.etag}) is not published yet`, 'VideoNotPublished');
    }
    const plan = planSchema.safeParse(await readJson<unknown>(store, dest.bucket, prefix + planFile(version)).catch(() => undefined));
    if (!plan.success) return done('no-plan', `${video.object} was published without ${planFile(version)} (before sidecars were supported): upload the video again to include its sidecars`);
    return { plan: plan.data, record };
  }

  async function addSidecar(request: CaptionsRequest): Promise<AddSidecarResult> {
    const log = Context.current().log;
    const { sidecar } = request;
    const name = parseSidecarName(sidecar.object);
    if (!name) throw ApplicationFailure.nonRetryable(`${sidecar.object} does not follow the sidecar convention <video>.<lang>[.forced|.sdh].<srt|vtt>`, 'InvalidRequest');
    const head = await store.head(sidecar.bucket, sidecar.object);
    if (!head || (sidecar.etag && head.etag !== sidecar.etag)) return done('stale', `${sidecar.object} is gone or was replaced since this event`);
    if (head.size > MAX_SIDECAR_BYTES) return done('not-converted', `${sidecar.object} is ${head.size} bytes, above the ${MAX_SIDECAR_BYTES}-byte sidecar limit`);
    const videoHead = await store.head(sidecar.bucket, name.video);
    if (!videoHead) return done('no-video', `no video ${name.video} beside ${sidecar.object}`);
    const video = { namespace: sidecar.namespace, bucket: sidecar.bucket, object: name.video, etag: videoHead.etag };
    const dest = request.dest ?? defaultDest(config, sidecar.bucket);
    const found = await publishedVersion(video, dest);
    if ('status' in found) return found;
    const { plan } = found;
    if (plan.subtitles?.some((t) => t.sidecar?.object === sidecar.object && t.sidecar.etag === head.etag)) return done('included', `${sidecar.object} was included when ${name.video} was inspected`);

    const files = await readRenditionsFiles(store, { dest, sourceObject: video.object, plan });
    const existing = await readTextTracks(store, { dest, sourceObject: video.object, version: plan.version }, files);
    const same = existing.find((t) => t.sidecar?.object === sidecar.object);
    if (same?.sidecar?.etag === head.etag) return done('included', `${sidecar.object} is in the masters already`);
    const others = existing.filter((t) => t !== same);
    const wanted: Omit<TextTrack, 'id' | 'name'> = {
      codec: name.format, sidecar: { object: sidecar.object, etag: head.etag }, language: name.language,
      ...(name.forced ? { forced: true } : {}), ...(name.sdh ? { sdh: true } : {}),
    };
    // A newer upload of the same sidecar keeps its track id (its files are replaced); a new one gets a free id.
    const [named] = nameTracks([wanted], { ids: [...others.map((t) => t.id), ...files.flatMap((f) => f.renditions.map((r) => r.id))], names: others.map((t) => t.name) });
    const track: TextTrack = same ? { ...named!, id: same.id } : named!;

    let text: string;
    try {
      text = await sidecarToWebVtt(await buffer(await store.get(sidecar.bucket, sidecar.object, { ifMatch: head.etag })), name.format);
    } catch (error) {
      log.warn('sidecar not converted', { sidecar: sidecar.object, error: String(error) });
      return done('not-converted', `${sidecar.object} could not be converted to WebVTT: ${error instanceof Error ? error.message : String(error)}`);
    }
    const prefix = streamPrefix(dest, video.object);
    if (parseWebVtt(text).cues.length === 0) return done('not-converted', `${sidecar.object} has no cues: it is empty, or not SubRip/WebVTT (UTF-8)`);
    const cut = segmentWebVtt(text, { version: plan.version, id: track.id, segmentSeconds: plan.segmentSeconds, durationSec: plan.durationSec });
    const output: TextOutput = { ...track, ...cut.output };
    // Replaceable (a newer upload of the sidecar keeps the id), so revalidated rather than immutable.
    for (const f of cut.files) await store.put(dest.bucket, prefix + f.name, f.body, outputHeaders(f.name, true));
    await store.put(dest.bucket, prefix + output.playlist, renderSubtitlePlaylist(output), outputHeaders(output.playlist, true));
    // Last: the file that makes publishing list the track.
    const at = `${captionsFolder(plan.version)}${track.id}.json`;
    await store.put(dest.bucket, prefix + at, `${JSON.stringify(output, null, 2)}\n`, outputHeaders(at, true));
    log.info('sidecar converted', { sidecar: sidecar.object, track: track.id, cues: output.cues });
    return { status: 'added', video, dest, version: plan.version, track: track.id };
  }

  async function republishCaptions(input: RepublishInput): Promise<RepublishResult> {
    const { video, dest } = input;
    const head = await store.head(video.bucket, video.object);
    if (!head || head.etag !== video.etag) return { status: 'superseded', text: [] };
    const found = await publishedVersion({ ...video, etag: head.etag }, dest);
    if ('status' in found) throw ApplicationFailure.nonRetryable(`cannot re-publish ${video.object}: ${found.reason}`, 'VerifyFailed');
    const { plan, record } = found;
    const files = await readRenditionsFiles(store, { dest, sourceObject: video.object, plan });
    const published = await publishStream({
      store, dest, sourceObject: video.object, plan, files,
      // The video's own record, with its text tracks brought up to date.
      record: (_outputs, _renditions, text) => ({ ...record, subtitles: textSummary(text) }),
    });
    Context.current().log.info('re-published with captions', { written: published.written });
    return { status: 'published', ...(published.outputs.hls ? { hls: published.outputs.hls } : {}), ...(published.outputs.dash ? { dash: published.outputs.dash } : {}), text: published.text.map((t) => t.id) };
  }

  return { addSidecar, republishCaptions };
}

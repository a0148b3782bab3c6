// job.json: the record of the last run of a source, beside its stream.
import type { DestRef, DownloadFile, JobRecord, Plan, RenditionMeta, SourceRef, TextOutput, TextSkipped } from '../domain/types.js';
import { planAudioRenditions } from '../domain/ladder.js';
import type { RunFacts } from './types.js';

export function planSummary(plan: Plan, attempts: Record<string, number>): NonNullable<JobRecord['plan']> {
  const summary: NonNullable<JobRecord['plan']> = {
    version: plan.version,
    preset: plan.preset,
    formats: plan.formats,
    segmentFormat: plan.segmentFormat,
    durationSec: plan.durationSec,
    video: plan.video.map(({ id, width, height, bitrate, codec }) => ({ id, width, height, bitrate, ...(codec ? { codec } : {}) })),
    jobs: plan.jobs.map(({ id, videoIds, audio }) => ({ id, videoIds, audio, attempts: attempts[id] ?? 0 })),
  };
  if (plan.picture) summary.picture = plan.picture;
  if (plan.loudness) summary.loudness = plan.loudness;
  if (plan.downloads) summary.downloads = plan.downloads;
  if (plan.videoCodecsSkipped) summary.videoCodecsSkipped = plan.videoCodecsSkipped;
  const tracks = planAudioRenditions(plan);
  if (tracks.length > 1 || tracks[0]?.language) {
    summary.audioTracks = tracks.map((a) => ({ id: a.id, channels: a.channels, ...(a.language ? { language: a.language } : {}), ...(a.name ? { name: a.name } : {}), ...(a.role ? { role: a.role } : {}) }));
  }
  if (plan.audio) summary.audio = { id: plan.audio.id, bitrate: plan.audio.bitrate, channels: plan.audio.channels };
  return summary;
}

export function renditionsSummary(renditions: RenditionMeta[]): NonNullable<JobRecord['renditions']> {
  return renditions.map((r) => {
    const row: NonNullable<JobRecord['renditions']>[number] = {
      id: r.id,
      kind: r.kind,
      codecs: r.codecs,
      averageBitrate: r.averageBitrate,
      peakBitrate: r.peakBitrate,
      segments: r.segments.length,
      durationSec: r.durationSec,
    };
    if (r.width !== undefined) row.width = r.width;
    if (r.height !== undefined) row.height = r.height;
    if (r.loudness) row.loudness = r.loudness;
    return row;
  });
}

/** job.json's text tracks: where each came from (an embedded stream or a sidecar file), its flags and cue count. */
export function textSummary(text: TextOutput[]): NonNullable<JobRecord['subtitles']> {
  return text.map((t) => ({
    id: t.id,
    ...(t.language ? { language: t.language } : {}),
    name: t.name,
    ...(t.forced ? { forced: true } : {}),
    ...(t.sdh ? { sdh: true } : {}),
    from: t.sidecar ? `sidecar ${t.sidecar.object}` : `stream ${t.sourceIndex ?? '?'} (${t.codec})`,
    cues: t.cues,
  }));
}

export function jobRecord(args: {
  outcome: JobRecord['outcome'];
  source: SourceRef;
  dest: DestRef;
  facts: RunFacts;
  plan?: Plan | undefined;
  renditions?: RenditionMeta[];
  outputs?: JobRecord['outputs'];
  /** Bucket-relative names. */
  downloads?: DownloadFile[];
  error?: string | undefined;
  text?: TextOutput[];
  textSkipped?: TextSkipped[];
}): JobRecord {
  const { outcome, source, dest, facts, plan } = args;
  const record: JobRecord = {
    schema: 1,
    outcome,
    workflow: facts.workflow,
    source: facts.sizeBytes === undefined ? { ...source } : { ...source, sizeBytes: facts.sizeBytes },
    dest,
    timings: facts.timings,
  };
  if (args.error !== undefined) record.error = args.error;
  if (plan) record.plan = planSummary(plan, facts.attempts);
  if (args.renditions) record.renditions = renditionsSummary(args.renditions);
  if (args.text?.length) record.subtitles = textSummary(args.text);
  const notConverted = [...(plan?.subtitlesSkipped ?? []), ...(args.textSkipped ?? [])];
  if (notConverted.length > 0) record.subtitlesNotConverted = notConverted;
  if (args.outputs) record.outputs = args.outputs;
  if (args.downloads?.length) record.downloads = args.downloads;
  return record;
}

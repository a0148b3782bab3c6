// Stitching a time-split run: every chunk job's renditions.json -> one rendition per rung whose segments
// are the chunks' segments in order. Nothing is concatenated or re-muxed: the chunks already wrote global
// segment numbers and timestamps (transcoder/fmp4.ts shiftSegment), so this only checks that the joins are
// seamless and lists the segments. Any doubt fails loudly: a player would stall or jump at that join.
import { isChunked } from './chunks.js';
import { ManifestError } from './manifests/uri.js';
import type { JobSpec, Plan, RenditionMeta, RenditionsFile } from './types.js';

/** The job id of the stitched file that stands for all chunk jobs (verify and publish see one file). */
export const STITCHED_JOB = 'chunks';

const SEGMENT_NUMBER = /seg_(\d+)\.m4s$/;

function joinRendition(id: string, parts: { job: JobSpec; meta: RenditionMeta }[]): RenditionMeta {
  const [first] = parts;
  if (!first) throw new ManifestError(`rendition ${id}: no chunk wrote it`);
  const segments: RenditionMeta['segments'] = [];
  for (const [i, { job, meta }] of parts.entries()) {
    const chunk = job.chunk!;
    const last = i === parts.length - 1;
    const where = `rendition ${id}, chunk ${job.id}`;
    for (const key of ['initSha256', 'codecs', 'timescale', 'initSegment', 'width', 'height'] as const) {
      if (meta[key] !== first.meta[key]) {
        throw new ManifestError(`${where}: ${key} ${String(meta[key])} differs from chunk ${first.job.id}'s ${String(first.meta[key])}: chunks of one rung must share one init segment, so they cannot be stitched`);
      }
    }
    if (!meta.initSha256) throw new ManifestError(`${where}: no init segment hash recorded`);
    if (!last && meta.segments.length !== chunk.segments) throw new ManifestError(`${where}: ${meta.segments.length} segments, planned ${chunk.segments}`);
    for (const [k, s] of meta.segments.entries()) {
      const number = Number(SEGMENT_NUMBER.exec(s.uri)?.[1]);
      if (number !== chunk.firstSegment + k + 1) throw new ManifestError(`${where}: ${s.uri} should be segment ${chunk.firstSegment + k + 1}`);
      const before = segments.at(-1);
      if (before && s.start !== before.start + before.duration) {
        const gap = (s.start - before.start - before.duration) / meta.timescale;
        throw new ManifestError(`${where}: ${s.uri} starts ${gap > 0 ? 'after a gap' : 'inside the segment before'} of ${Math.abs(gap).toFixed(6)} s (${before.uri} ends at ${(before.start + before.duration) / meta.timescale} s, it starts at ${s.start / meta.timescale} s)`);
      }
      if (!before && s.start !== 0) throw new ManifestError(`${where}: the first segment starts at ${s.start / meta.timescale} s, not 0`);
      segments.push(s);
    }
  }
  const ticks = segments.reduce((n, s) => n + s.duration, 0);
  const bits = segments.reduce((n, s) => n + s.bytes * 8, 0);
  return {
    ...first.meta,
    segments,
    durationSec: ticks / first.meta.timescale,
    peakBitrate: Math.max(...parts.map((p) => p.meta.peakBitrate)),
    averageBitrate: Math.ceil(bits / (ticks / first.meta.timescale)),
  };
}

/**
 * The files of a chunked plan as verify and publish see them: the audio job's file as it is, and one
 * file (job STITCHED_JOB) holding every video rung joined across the chunks. Other plans pass through.
 * Throws ManifestError naming the join when chunks do not fit together.
 */
export function stitchChunks(plan: Plan, files: RenditionsFile[]): RenditionsFile[] {
  if (!isChunked(plan)) return files;
  // In timeline order (a preview-first plan has two sets of chunks, each rung in one of them).
  const chunkJobs = plan.jobs.filter((j) => j.chunk).sort((a, b) => a.chunk!.firstSegment - b.chunk!.firstSegment);
  const byJob = new Map(files.map((f) => [f.jobId, f]));
  const parts = chunkJobs.map((job) => {
    const file = byJob.get(job.id);
    if (!file) throw new ManifestError(`chunk ${job.id} wrote no renditions.json`);
    return { job, file };
  });
  const renditions = plan.video.map((v) =>
    joinRendition(
      v.id,
      parts
        .filter(({ job }) => job.videoIds.includes(v.id))
        .map(({ job, file }) => {
          const meta = file.renditions.find((r) => r.id === v.id);
          if (!meta) throw new ManifestError(`chunk ${job.id} did not write rendition ${v.id}`);
          return { job, meta };
        }),
    ),
  );
  const others = files.filter((f) => !chunkJobs.some((j) => j.id === f.jobId));
  const first = parts[0]!.file;
  const stitched: RenditionsFile = {
    schema: 1,
    jobId: STITCHED_JOB,
    version: first.version,
    segmentFormat: first.segmentFormat,
    durationSec: Math.max(...renditions.map((r) => r.durationSec)),
    renditions,
  };
  return [stitched, ...others];
}

/** The plan as verify sees a stitched run: the chunk jobs replaced by the one stitched job. */
export function stitchedPlan(plan: Plan): Plan {
  if (!isChunked(plan)) return plan;
  return { ...plan, jobs: [{ id: STITCHED_JOB, videoIds: plan.video.map((v) => v.id), audio: false, thumbnails: false }, ...plan.jobs.filter((j) => !j.chunk)] };
}

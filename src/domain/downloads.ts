// Which downloads a plan makes and which job remuxes them (pure: the workflow plans with it). An MP4 needs
// a whole rung and the main audio. The single job of a plan encodes both and remuxes it from its own
// outputs. A time-split run has no such job (each chunk holds part of every rung): one more job, run on its
// own instance after the chunks (chunks.ts REMUX_JOB), remuxes it from their uploaded segments, since the
// publish activity is bounded to minutes and a long film's top rung is gigabytes. A per-rendition plan puts
// the audio with the lowest rung only: there the MP4 is skipped, with the reason in the plan and job.json.
// The M4A is made by whichever job encodes the main audio.
import { isH264 } from './codec-rungs.js';
import type { DownloadsPlan, Plan } from './types.js';

/** `top` (the highest rung), a rung id such as `720p`, or `off`. */
export type DownloadChoice = string;

/** The rung of `choice`: that id when planned, else the highest planned rung below it (by short side), else the lowest. */
export function downloadRung(plan: Pick<Plan, 'video'>, choice: DownloadChoice): string | undefined {
  // Downloads are H.264: every device plays it (HEVC and AV1 rungs are for players that say they decode them).
  const rungs = plan.video.filter(isH264);
  if (rungs.length === 0) return undefined;
  if (choice === 'top') return rungs[0]?.id;
  if (rungs.some((r) => r.id === choice)) return choice;
  const short = /^(\d+)p$/.exec(choice)?.[1];
  const side = (r: (typeof rungs)[number]): number => Math.min(r.width, r.height);
  const below = short === undefined ? undefined : rungs.filter((r) => side(r) <= Number(short)).sort((a, b) => side(b) - side(a))[0];
  return (below ?? rungs[rungs.length - 1])?.id;
}

/** The downloads of `plan` as its jobs now stand (chunkPlan re-plans them after it rewrites the jobs). */
export function planDownloads(plan: Pick<Plan, 'video' | 'audio' | 'jobs' | 'segmentFormat'>, choice: DownloadChoice): DownloadsPlan | undefined {
  if (choice === 'off') return undefined;
  const skipped: string[] = [];
  if (!plan.audio) skipped.push('no audio: no M4A, and the MP4 would have no sound (downloads carry the main audio)');
  if (plan.segmentFormat !== 'cmaf') skipped.push('downloads are remuxed from CMAF segments; this plan writes MPEG-TS');
  if (skipped.length > 0) return { skipped };
  const m4aJob = plan.jobs.find((j) => j.audio)?.id;
  const videoId = downloadRung(plan, choice);
  const result: DownloadsPlan = { ...(m4aJob ? { m4aJob } : {}) };
  if (videoId) {
    result.videoId = videoId;
    const both = plan.jobs.find((j) => j.audio && !j.chunk && j.videoIds.includes(videoId)) ?? plan.jobs.find((j) => j.remux);
    if (both) result.mp4Job = both.id;
    else if (plan.jobs.some((j) => j.chunk)) skipped.push(`no MP4: a time-split run has no job holding the whole ${videoId} rung`);
    else skipped.push(`no MP4: rung ${videoId} and the main audio are encoded by different jobs (per-rendition parallelism)`);
  }
  return skipped.length > 0 ? { ...result, skipped } : result;
}

/**
 * The plan a time-split run publishes its stream with: without the remux job, which runs after (the MP4
 * follows the stream, so a long film's masters never wait for it). Other plans are returned as they are.
 */
export function streamPlan(plan: Plan): Plan {
  const jobs = plan.jobs.filter((j) => !j.remux);
  if (jobs.length === plan.jobs.length || !plan.downloads) return plan;
  const { mp4Job, ...rest } = plan.downloads;
  const follows = `the MP4 follows the stream: job ${mp4Job ?? '?'} remuxes it once the stream is published`;
  return { ...plan, jobs, downloads: { ...rest, skipped: [...(rest.skipped ?? []), follows] } };
}

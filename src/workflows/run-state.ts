// What one run knows about itself: stage, percent, jobs, every job handle it ever started, timings.
// Backs the `progress` query and the TranscodeStage search attribute. Deterministic: workflow time only.
import { log, upsertSearchAttributes } from '@temporalio/workflow';
import { jobSeconds } from '../domain/chunks.js';
import type { Plan } from '../domain/types.js';
import type { JobHandle } from '../ports.js';
import type { JobProgress, JobProgressUpdate, Progress, Stage } from './definitions.js';
import { SEARCH_ATTRIBUTES } from './definitions.js';

/** Whole-run percent where each stage begins; transcoding spans 5..90 by the jobs' work done. */
const STAGE_PERCENT: Partial<Record<Stage, number>> = {
  inspecting: 0,
  planning: 4,
  transcoding: 5,
  verifying: 91,
  publishing: 95,
  completed: 100,
};
const TRANSCODE_SPAN = 85;
/** Weights of the parts of a job that are not video renditions, in "pixels" (a 320x180 picture ~ 58k). */
const AUDIO_PIXELS = 50_000;
const THUMBNAIL_PIXELS = 20_000;

const round = (s: number): number => Math.round(s * 1000) / 1000;

export class RunState {
  stage: Stage = 'inspecting';
  etag: string | undefined;
  error: string | undefined;
  readonly jobs: JobProgress[] = [];
  /** Every handle ever started, deleted or not: cleanup deletes what is left. */
  readonly handles: JobHandle[] = [];
  readonly attempts: Record<string, number> = {};
  readonly stageSeconds: Record<string, number> = {};
  readonly startedAt = new Date();
  private readonly deleted = new Set<string>();
  /** When a master was first playable (a preview's or the full one's) and when the full masters were. */
  private firstPlayableAt: Date | undefined;
  private completeAt: Date | undefined;
  private stageStartedAt = new Date();
  private basePercent = 0;
  /** The highest whole-run percent reported: progress only goes up (retries, cleanup, queries). */
  private high = 0;
  /** Each job's share of the work: pixels x duration of its renditions (audio and pictures weigh little). */
  private readonly weights = new Map<string, number>();

  constructor(etag: string | undefined) {
    this.etag = etag;
  }

  setStage(stage: Stage, fields: Record<string, unknown> = {}): void {
    const now = new Date();
    this.stageSeconds[this.stage] = (this.stageSeconds[this.stage] ?? 0) + (now.getTime() - this.stageStartedAt.getTime()) / 1000;
    this.stageStartedAt = now;
    const reached = this.percent();
    this.high = reached;
    this.stage = stage;
    // Stages without a mark of their own (cleaning-up, failed, canceled) keep the percent reached.
    this.basePercent = STAGE_PERCENT[stage] ?? reached;
    upsertSearchAttributes([{ key: SEARCH_ATTRIBUTES.stage, value: stage }]);
    log.info(`stage ${stage}`, { stage, ...fields });
  }

  initJobs(plan: Plan): void {
    this.jobs.splice(0, this.jobs.length, ...plan.jobs.map((j): JobProgress => ({ id: j.id, attempt: 0, state: 'pending', percent: 0 })));
    for (const job of plan.jobs) {
      const pixels = job.videoIds.reduce((n, id) => n + (plan.video.find((v) => v.id === id)?.width ?? 0) * (plan.video.find((v) => v.id === id)?.height ?? 0), 0);
      // An audio encode costs about what a small picture does; an audio-only job still weighs something.
      const extra = (job.audio ? AUDIO_PIXELS : 0) + (job.thumbnails ? THUMBNAIL_PIXELS : 0);
      // A chunk weighs its own range of the timeline; other jobs the whole source.
      this.weights.set(job.id, Math.max(1, (pixels + extra) * jobSeconds(plan, job)));
    }
  }

  job(id: string): JobProgress {
    const job = this.jobs.find((j) => j.id === id);
    if (!job) throw new Error(`unknown job ${id}`);
    return job;
  }

  started(id: string, attempt: number, handle: JobHandle): void {
    this.handles.push(handle);
    this.attempts[id] = attempt;
    // A retry starts its encode again: the job's percent restarts with it, the run's never goes back.
    Object.assign(this.job(id), { attempt, state: 'running', percent: 0, handle: handle.id });
  }

  markDeleted(handle: JobHandle): void {
    this.deleted.add(handle.id);
  }

  undeleted(): JobHandle[] {
    return this.handles.filter((h) => !this.deleted.has(h.id));
  }

  /** From the awaitJob activity; stale attempts and finished jobs are ignored. */
  onJobProgress(update: JobProgressUpdate): void {
    const job = this.jobs.find((j) => j.id === update.jobId);
    if (!job || job.attempt !== update.attempt || job.state !== 'running') return;
    job.percent = Math.max(job.percent, Math.min(100, update.percent));
    this.high = this.percent();
  }

  /**
   * The whole run's percent, never below what was reached before. Read-only (queries call it); the mark
   * moves only on history events (stage changes, job progress), so a replay computes the same.
   */
  percent(): number {
    let now = this.basePercent;
    if (this.stage === 'transcoding' && this.jobs.length > 0) {
      const total = this.jobs.reduce((sum, j) => sum + (this.weights.get(j.id) ?? 1), 0);
      const done = this.jobs.reduce((sum, j) => sum + ((this.weights.get(j.id) ?? 1) * j.percent) / 100, 0);
      now = Math.round((STAGE_PERCENT.transcoding ?? 0) + (TRANSCODE_SPAN * done) / total);
    }
    return Math.max(this.high, now);
  }

  snapshot(): Progress {
    const progress: Progress = { stage: this.stage, percent: this.percent(), jobs: this.jobs.map((j) => ({ ...j })) };
    if (this.etag !== undefined) progress.etag = this.etag;
    if (this.error !== undefined) progress.error = this.error;
    return progress;
  }

  /** Masters written at `at` made the stream playable (a preview's: `complete` false). */
  playable(complete: boolean, at = new Date()): void {
    this.firstPlayableAt ??= at;
    if (complete) this.completeAt = at;
  }

  timings(): { startedAt: string; finishedAt: string; totalSec: number; stages: Record<string, number>; firstPlayableSec?: number; completeSec?: number } {
    const now = new Date();
    const since = (at: Date | undefined): number | undefined => (at ? round((at.getTime() - this.startedAt.getTime()) / 1000) : undefined);
    const stages = { ...this.stageSeconds, [this.stage]: (this.stageSeconds[this.stage] ?? 0) + (now.getTime() - this.stageStartedAt.getTime()) / 1000 };
    const first = since(this.firstPlayableAt);
    const complete = since(this.completeAt);
    return {
      startedAt: this.startedAt.toISOString(),
      finishedAt: now.toISOString(),
      totalSec: round((now.getTime() - this.startedAt.getTime()) / 1000),
      stages: Object.fromEntries(Object.entries(stages).map(([k, v]) => [k, round(v)])),
      ...(first !== undefined ? { firstPlayableSec: first } : {}),
      ...(complete !== undefined ? { completeSec: complete } : {}),
    };
  }
}

// What one run knows about itself: stage, percent, jobs, every job handle it ever started, timings.
// Backs the `progress` query and the TranscodeStage search attribute. Deterministic: workflow time only.
import { log, upsertSearchAttributes } from '@temporalio/workflow';
import type { Plan } from '../domain/types.js';
import type { JobHandle } from '../ports.js';
import type { JobProgress, JobProgressUpdate, Progress, Stage } from './definitions.js';
import { SEARCH_ATTRIBUTES } from './definitions.js';

/** Whole-run percent where each stage begins; transcoding spans 5..90 by the jobs' own percent. */
const STAGE_PERCENT: Partial<Record<Stage, number>> = {
  inspecting: 0,
  planning: 4,
  transcoding: 5,
  verifying: 91,
  publishing: 95,
  completed: 100,
};
const TRANSCODE_SPAN = 85;

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
  private stageStartedAt = new Date();
  private basePercent = 0;

  constructor(etag: string | undefined) {
    this.etag = etag;
  }

  setStage(stage: Stage, fields: Record<string, unknown> = {}): void {
    const now = new Date();
    this.stageSeconds[this.stage] = (this.stageSeconds[this.stage] ?? 0) + (now.getTime() - this.stageStartedAt.getTime()) / 1000;
    this.stageStartedAt = now;
    this.stage = stage;
    this.basePercent = STAGE_PERCENT[stage] ?? this.percent();
    upsertSearchAttributes([{ key: SEARCH_ATTRIBUTES.stage, value: stage }]);
    log.info(`stage ${stage}`, { stage, ...fields });
  }

  initJobs(plan: Plan): void {
    this.jobs.splice(0, this.jobs.length, ...plan.jobs.map((j): JobProgress => ({ id: j.id, attempt: 0, state: 'pending', percent: 0 })));
  }

  job(id: string): JobProgress {
    const job = this.jobs.find((j) => j.id === id);
    if (!job) throw new Error(`unknown job ${id}`);
    return job;
  }

  started(id: string, attempt: number, handle: JobHandle): void {
    this.handles.push(handle);
    this.attempts[id] = attempt;
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
  }

  percent(): number {
    if (this.stage !== 'transcoding' || this.jobs.length === 0) return this.basePercent;
    const mean = this.jobs.reduce((sum, j) => sum + j.percent, 0) / this.jobs.length;
    return Math.round((STAGE_PERCENT.transcoding ?? 0) + (TRANSCODE_SPAN * mean) / 100);
  }

  snapshot(): Progress {
    const progress: Progress = { stage: this.stage, percent: this.percent(), jobs: this.jobs.map((j) => ({ ...j })) };
    if (this.etag !== undefined) progress.etag = this.etag;
    if (this.error !== undefined) progress.error = this.error;
    return progress;
  }

  timings(): { startedAt: string; finishedAt: string; totalSec: number; stages: Record<string, number> } {
    const now = new Date();
    const stages = { ...this.stageSeconds, [this.stage]: (this.stageSeconds[this.stage] ?? 0) + (now.getTime() - this.stageStartedAt.getTime()) / 1000 };
    const round = (s: number): number => Math.round(s * 1000) / 1000;
    return {
      startedAt: this.startedAt.toISOString(),
      finishedAt: now.toISOString(),
      totalSec: round((now.getTime() - this.startedAt.getTime()) / 1000),
      stages: Object.fromEntries(Object.entries(stages).map(([k, v]) => [k, round(v)])),
    };
  }
}

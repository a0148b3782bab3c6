// The remux job of a time-split run (domain/chunks.ts REMUX_JOB): it encodes nothing. It runs once every
// other job succeeded, reads their renditions.json, joins the download's rung across the chunks as
// publishing does (domain/stitch.ts), and remuxes the MP4 download from the uploaded segments, streamed
// from the store into ffmpeg. Only the MP4 itself is written to the scratch disk (faststart moves its moov
// box to the front, which needs the whole file).
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { renditionsFile } from '../domain/layout.js';
import { stitchChunks } from '../domain/stitch.js';
import type { DestRef, JobSpec, Plan, RenditionsFile } from '../domain/types.js';
import type { ObjectStore } from '../ports.js';
import { readRenditionsFiles } from '../publish/publish.js';
import { makeDownloads } from './downloads.js';
import type { JobOutputs } from './encode-job.js';

export interface RemuxInput {
  plan: Plan;
  job: JobSpec;
  workDir: string;
  store: ObjectStore;
  dest: DestRef;
  sourceObject: string;
  /** The stream prefix the segments are stored under. */
  prefix: string;
}

export async function remuxJob(input: RemuxInput, signal?: AbortSignal): Promise<JobOutputs> {
  const { plan, job, store, dest } = input;
  const dir = join(input.workDir, `job-${job.id}`);
  await mkdir(dir, { recursive: true });
  const encoded = { ...plan, jobs: plan.jobs.filter((j) => !j.remux) };
  const files = stitchChunks(encoded, await readRenditionsFiles(store, { dest, sourceObject: input.sourceObject, plan: encoded }));
  const made = await makeDownloads({
    plan,
    jobId: job.id,
    renditions: files.flatMap((f) => f.renditions),
    media: [],
    stored: true,
    dir,
    at: { store, bucket: dest.bucket, prefix: input.prefix },
    ...(signal ? { signal } : {}),
  });
  if (made.files.length === 0) throw new Error(`job ${job.id} remuxes downloads, but the plan gives it none to make`);
  const file: RenditionsFile = {
    schema: 1,
    jobId: job.id,
    version: plan.version,
    segmentFormat: plan.segmentFormat,
    durationSec: Math.max(...made.files.map((f) => f.durationSec)),
    renditions: [],
    downloads: made.files,
  };
  return {
    file,
    uploaded: [],
    media: made.media,
    playlists: [],
    renditions: { name: renditionsFile(plan.version, job.id), body: `${JSON.stringify(file, null, 2)}\n` },
    peakScratchBytes: made.files.reduce((n, f) => n + f.bytes, 0),
  };
}

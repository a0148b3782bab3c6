// The --plan argument (the workflow's Plan, as JSON text or a file), validated before anything runs,
// so a malformed plan is a clear usage error rather than a confusing ffmpeg failure.
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import type { Plan } from '../domain/types.js';
import { UsageError } from './errors.js';

const id = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'ids are path-safe: letters, digits, "_" and "-"');
const even = z.number().int().positive().refine((n) => n % 2 === 0, 'must be even');

const planSchema = z.object({
  preset: z.enum(['default', 'seed']),
  formats: z.array(z.enum(['hls', 'dash'])).min(1),
  segmentFormat: z.enum(['cmaf', 'ts']),
  segmentSeconds: z.number().positive(),
  fps: z.number().min(0).max(120),
  gopFrames: z.number().int().min(0),
  video: z.array(z.object({
    id,
    width: even,
    height: even,
    bitrate: z.number().int().positive(),
    maxrate: z.number().int().positive(),
    bufsize: z.number().int().positive(),
    profile: z.enum(['baseline', 'main', 'high']),
    level: z.string().regex(/^[1-6](\.[0-3])?$/),
  })),
  audio: z.object({ id, bitrate: z.number().int().positive(), channels: z.number().int().min(1).max(8), sampleRate: z.number().int().positive() }).optional(),
  durationSec: z.number().positive(),
  version: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/),
  jobs: z.array(z.object({ id, videoIds: z.array(id), audio: z.boolean(), thumbnails: z.boolean() })).min(1),
}).refine((p) => p.video.length === 0 || (p.fps > 0 && p.gopFrames > 0), 'video needs fps and gopFrames above 0')
  .refine((p) => p.jobs.every((j) => j.videoIds.every((v) => p.video.some((r) => r.id === v))), 'every job names planned video renditions');

/** `--plan` is JSON when it starts with '{', else the path of a JSON file. */
export async function loadPlan(value: string): Promise<Plan> {
  let text = value;
  if (!value.trimStart().startsWith('{')) {
    try {
      text = await readFile(value, 'utf8');
    } catch (error) {
      throw new UsageError(`--plan ${value}: cannot read the file (${(error as Error).message})`);
    }
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new UsageError(`--plan: not valid JSON (${(error as Error).message})`);
  }
  const parsed = planSchema.safeParse(json);
  if (!parsed.success) {
    throw new UsageError(`--plan: ${parsed.error.issues.map((i) => `${i.path.join('.') || 'plan'}: ${i.message}`).join('; ')}`);
  }
  return parsed.data;
}

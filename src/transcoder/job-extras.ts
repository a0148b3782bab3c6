// What the job that encodes audio adds once its outputs passed every check: the measured loudness of each
// audio rendition (source and output) and the downloads plan.downloads gives it (transcoder/downloads.ts),
// both written into its renditions.json; the download files join the media uploaded before it.
import type { JobSpec, Plan, RenditionMeta } from '../domain/types.js';
import type { LoudnormReport } from '../domain/loudness.js';
import type { ObjectStore } from '../ports.js';
import { makeDownloads } from './downloads.js';
import type { JobOutputs } from './encode-job.js';
import { renditionPieces } from './ffmpeg-pipes.js';
import { measureOutput, renditionLoudness } from './loudness.js';

export interface ExtrasContext {
  plan: Plan;
  job: JobSpec;
  dir: string;
  at: { store: ObjectStore; bucket: string; prefix: string };
  /** The first pass over the source, and the renditions the encode normalised. */
  source?: Map<string, LoudnormReport> | { failed: string };
  normalized: Set<string>;
  signal?: AbortSignal;
}

type Outputs = Omit<JobOutputs, 'uploaded' | 'peakScratchBytes'>;

export async function addJobExtras(outputs: Outputs, c: ExtrasContext): Promise<Outputs> {
  const { plan } = c;
  const spec = plan.loudness;
  const renditions: RenditionMeta[] = [];
  for (const r of outputs.file.renditions) {
    if (r.kind !== 'audio' || !spec || !c.job.audio) {
      renditions.push(r);
      continue;
    }
    const output = await measureOutput(renditionPieces(r, outputs.media, c.at), c.signal);
    const source = c.source instanceof Map ? c.source.get(r.id) : c.source;
    renditions.push({ ...r, loudness: renditionLoudness(source, output, spec, c.normalized.has(r.id)) });
  }
  const downloads = await makeDownloads({ plan, jobId: c.job.id, renditions, media: outputs.media, dir: c.dir, at: c.at, ...(c.signal ? { signal: c.signal } : {}) });
  if (!spec && downloads.files.length === 0) return outputs;
  const file = { ...outputs.file, renditions, ...(downloads.files.length > 0 ? { downloads: downloads.files } : {}) };
  return {
    ...outputs,
    file,
    media: [...outputs.media, ...downloads.media],
    renditions: { name: outputs.renditions.name, body: `${JSON.stringify(file, null, 2)}\n` },
  };
}

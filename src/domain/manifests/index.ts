// The manifest writer: HLS playlists and the DASH MPD from renditions.json files. Pure.
import type { RenditionMeta, RenditionsFile } from '../types.js';
import { ManifestError } from './uri.js';

export { renderMediaPlaylist, renderMasterPlaylist, targetDuration, START_VARIANT_MAX_BPS } from './hls.js';
export { renderDashManifest, isoDuration, dashFrameRate, timeline, numberTemplate } from './dash.js';
export { ManifestError, escapePath, relativeUri, segmentSeconds } from './uri.js';

/**
 * The renditions.json files of one plan's jobs -> one list: video by height descending (then
 * bandwidth), then audio. Files from different versions or segment formats never mix.
 */
export function mergeRenditions(files: RenditionsFile[]): RenditionMeta[] {
  if (files.length === 0) throw new ManifestError('no renditions.json files to merge');
  const first = files[0];
  const seen = new Map<string, string>();
  const jobs = new Set<string>();
  for (const file of files) {
    if (file.schema !== 1) throw new ManifestError(`renditions.json of job ${file.jobId}: unsupported schema ${String(file.schema)}`);
    if (jobs.has(file.jobId)) throw new ManifestError(`renditions.json of job ${file.jobId} given twice`);
    jobs.add(file.jobId);
    if (file.version !== first?.version) {
      throw new ManifestError(`job ${file.jobId} wrote version ${file.version}, job ${first?.jobId} wrote ${first?.version}: outputs of two uploads must not mix`);
    }
    if (file.segmentFormat !== first.segmentFormat) {
      throw new ManifestError(`job ${file.jobId} wrote ${file.segmentFormat} segments, job ${first.jobId} wrote ${first.segmentFormat}`);
    }
    for (const r of file.renditions) {
      const owner = seen.get(r.id);
      if (owner !== undefined) throw new ManifestError(`rendition ${r.id} written by both job ${owner} and job ${file.jobId}`);
      seen.set(r.id, file.jobId);
    }
  }
  const all = files.flatMap((f) => f.renditions);
  const video = all
    .filter((r) => r.kind === 'video')
    .sort((a, b) => (b.height ?? 0) - (a.height ?? 0) || b.peakBitrate - a.peakBitrate);
  return [...video, ...all.filter((r) => r.kind === 'audio')];
}

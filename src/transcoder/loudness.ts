// Loudness of the audio job (EBU R128 through ffmpeg's loudnorm): the first pass measures each planned
// track of the source as it will be encoded (downmixed to the rendition's channels), the encode applies
// the second pass when the plan normalises (domain/loudness.ts), and the encoded output is measured from
// the segments just uploaded. A measurement that cannot run is reported as such, never fatal: the encode
// itself judges the source.
import { resolve } from 'node:path';
import { measureFilter, measureOf, normalizationMode, normalizeFilter, parseLoudnormReports, unnormalizable, type LoudnormReport } from '../domain/loudness.js';
import type { LoudnessSpec, RenditionLoudness } from '../domain/types.js';
import { fedInput, runFed, type Piece } from './ffmpeg-pipes.js';

export interface TrackToMeasure {
  id: string;
  stream: number;
  channels: number;
}

// 5.1 by name: a 5.1(side) or 7.1 source is remapped or downmixed to it, as the encode does (an unordered 6c would only relabel).
const layout = (channels: number): string => (channels === 1 ? 'mono' : channels === 2 ? 'stereo' : channels === 6 ? '5.1' : `${channels}c`);
/** Instance names are filter labels: ids are path-safe, but `-` is not a label character. */
const label = (i: number): string => `t${i}`;

/** The first pass over the source: one read, one loudnorm per track. A failed pass measures nothing. */
export async function measureSource(input: string, tracks: TrackToMeasure[], spec: LoudnessSpec, signal?: AbortSignal): Promise<Map<string, LoudnormReport> | { failed: string }> {
  // ffmpeg has no `--`: a local input is made absolute so that it can never read as an option.
  const source = /^[a-z][a-z0-9+.-]*:\/\//i.test(input) ? input : resolve(input);
  const graph = tracks.map((t, i) => `[0:${t.stream}]aformat=channel_layouts=${layout(t.channels)},${measureFilter(spec, label(i))}[m${i}]`).join(';');
  const outputs = tracks.flatMap((_, i) => ['-map', `[m${i}]`, '-f', 'null', '-']);
  try {
    const reports = parseLoudnormReports(await runFed(['-loglevel', 'info', '-i', source, '-filter_complex', graph, ...outputs], [], signal));
    const byId = new Map<string, LoudnormReport>();
    tracks.forEach((t, i) => {
      const r = reports.get(label(i));
      if (r) byId.set(t.id, r);
    });
    return byId;
  } catch (error) {
    if (signal?.aborted) throw error;
    return { failed: (error as Error).message };
  }
}

/** The encode's audio filter of one track: the second pass, or nothing (measure only, or not normalisable). */
export function encodeFilter(report: LoudnormReport | undefined, spec: LoudnessSpec, channels: number): string | undefined {
  if (spec.mode !== 'normalize' || !report || unnormalizable(report)) return undefined;
  return `aformat=channel_layouts=${layout(channels)},${normalizeFilter(report, spec)}`;
}

/** Measures one encoded rendition, joined from its pieces (init + segments) as a player reads them. */
export async function measureOutput(pieces: Piece[], signal?: AbortSignal): Promise<LoudnormReport | { failed: string }> {
  try {
    const log = await runFed(['-loglevel', 'info', '-i', fedInput(0), '-map', '0:a:0', '-af', measureFilter(undefined), '-f', 'null', '-'], [pieces], signal);
    return parseLoudnormReports(log).values().next().value ?? { failed: 'loudnorm printed no report' };
  } catch (error) {
    if (signal?.aborted) throw error;
    return { failed: (error as Error).message };
  }
}

const NOT_MEASURED = { integratedLufs: null, truePeakDbtp: null, rangeLu: null };

/** What renditions.json records for one track. */
export function renditionLoudness(source: LoudnormReport | { failed: string } | undefined, output: LoudnormReport | { failed: string }, spec: LoudnessSpec, applied: boolean): RenditionLoudness {
  const notes: string[] = [];
  if (!source || 'failed' in source) notes.push(`source not measured${source ? `: ${source.failed}` : ''}`);
  if ('failed' in output) notes.push(`output not measured: ${output.failed}`);
  const src = source && !('failed' in source) ? source : undefined;
  if (spec.mode === 'normalize' && src && !applied) notes.push(unnormalizable(src) ?? 'not normalised');
  return {
    source: src ? measureOf(src) : NOT_MEASURED,
    output: 'failed' in output ? NOT_MEASURED : measureOf(output),
    ...(applied && src ? { normalized: { targetLufs: spec.targetLufs, truePeakDbtp: spec.truePeakDbtp, mode: normalizationMode(src, spec) } } : {}),
    ...(notes.length > 0 ? { note: notes.join('; ') } : {}),
  };
}

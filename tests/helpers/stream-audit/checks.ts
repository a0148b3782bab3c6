// Structural checks over parsed HLS/DASH outputs. Each returns a list of problems (empty = fine),
// so a failing test names every broken file or boundary at once.
import { stat } from 'node:fs/promises';
import type { FileRef, HlsMediaPlaylist } from './hls.js';
import type { DashRepresentation } from './dash.js';

/** Files that are missing, empty, or shorter than the byte range that points into them. */
export async function missingOrEmpty(files: FileRef[]): Promise<string[]> {
  const problems: string[] = [];
  for (const f of files) {
    const info = await stat(f.path).catch(() => undefined);
    if (!info?.isFile()) problems.push(`missing: ${f.path}`);
    else if (info.size === 0) problems.push(`empty: ${f.path}`);
    else if (f.byterange && info.size < f.byterange.offset + f.byterange.length) {
      problems.push(`short: ${f.path} has ${info.size} bytes, range ends at ${f.byterange.offset + f.byterange.length}`);
    }
  }
  return problems;
}

/** Segment start times (s) of an HLS media playlist, plus its end. */
export const hlsBoundaries = (p: HlsMediaPlaylist): number[] =>
  p.segments.reduce<number[]>((acc, s) => [...acc, acc[acc.length - 1]! + s.durationSec], [0]);

/** Segment start times (s) of a DASH representation, relative to its first segment, plus its end. */
export function dashBoundaries(r: DashRepresentation): number[] {
  const first = r.segments[0]?.start ?? 0;
  const last = r.segments[r.segments.length - 1];
  return [...r.segments.map((s) => (s.start - first) / r.timescale), last ? (last.start + last.duration - first) / r.timescale : 0];
}

/** Every list must equal the first one, point for point, within `toleranceSec`. */
export function sameBoundaries(lists: { name: string; bounds: number[] }[], toleranceSec: number): string[] {
  const [ref, ...rest] = lists;
  if (!ref) return [];
  const problems: string[] = [];
  for (const other of rest) {
    if (other.bounds.length !== ref.bounds.length) {
      problems.push(`${other.name} has ${other.bounds.length - 1} segments, ${ref.name} has ${ref.bounds.length - 1}`);
      continue;
    }
    other.bounds.forEach((b, i) => {
      if (Math.abs(b - ref.bounds[i]!) > toleranceSec) problems.push(`${other.name} boundary ${i} at ${b}s, ${ref.name} at ${ref.bounds[i]}s`);
    });
  }
  return problems;
}

/** Boundaries (relative to the first packet) that do not fall on a keyframe within half a frame. */
export function boundariesOffKeyframes(bounds: number[], packets: { pts: number[]; keyPts: number[] }, name: string): string[] {
  const t0 = packets.pts[0] ?? 0;
  const frame = packets.pts.length > 1 ? (packets.pts[packets.pts.length - 1]! - t0) / (packets.pts.length - 1) : 0.04;
  // The last boundary is the end of the stream, not a segment start.
  return bounds.slice(0, -1).flatMap((b, i) =>
    packets.keyPts.some((k) => Math.abs(k - t0 - b) <= frame / 2) ? [] : [`${name}: segment ${i} starts at ${b}s, which is not a keyframe`],
  );
}

/** Sum of segment durations must match `expectedSec` within `toleranceSec`. */
export function durationProblem(name: string, actualSec: number, expectedSec: number, toleranceSec: number): string[] {
  return Math.abs(actualSec - expectedSec) <= toleranceSec
    ? []
    : [`${name}: duration ${actualSec.toFixed(3)}s, source ${expectedSec.toFixed(3)}s (tolerance ${toleranceSec}s)`];
}

/** Decodes an RFC 6381 avc1 string into profile_idc and level_idc (avc1.PPCCLL). */
export function parseAvc1(codec: string): { profileIdc: number; levelIdc: number } | undefined {
  const m = /^avc[13]\.([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(codec);
  return m ? { profileIdc: parseInt(m[1]!, 16), levelIdc: parseInt(m[3]!, 16) } : undefined;
}

/** ffprobe's H.264 profile names to profile_idc. */
export const H264_PROFILE_IDC: Record<string, number> = {
  Baseline: 66,
  'Constrained Baseline': 66,
  Main: 77,
  Extended: 88,
  High: 100,
  'High 10': 110,
  'High 4:2:2': 122,
  'High 4:4:4 Predictive': 244,
};

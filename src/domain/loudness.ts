// EBU R128 loudness (pure): loudnorm's first-pass report read from ffmpeg's log, the second-pass filter
// that applies it, and whether that pass will be linear (one gain for the whole track) or dynamic.
import type { LoudnessMeasure, LoudnessSpec } from './types.js';

/** What loudnorm's first pass reports (print_format=json), as numbers; -inf (silence) as null. */
export interface LoudnormReport extends LoudnessMeasure {
  thresholdLufs: number | null;
  /** loudnorm's own offset to the target, fed back into the second pass. */
  targetOffset: number;
}

const num = (text: string | undefined): number | null => {
  const n = Number(text);
  return text === undefined || !Number.isFinite(n) ? null : n;
};

/** Every loudnorm report in an ffmpeg log, by filter instance name (`loudnorm@t0` -> `t0`, unnamed -> `Parsed_loudnorm_<n>`). */
export function parseLoudnormReports(log: string): Map<string, LoudnormReport> {
  const reports = new Map<string, LoudnormReport>();
  const block = /\[(?:loudnorm@([\w-]+)|(Parsed_loudnorm_\d+)) @ [^\]]*\]\s*(\{[^{}]*"input_i"[^{}]*\})/g;
  for (const m of log.matchAll(block)) {
    let json: Record<string, string>;
    try {
      json = JSON.parse(m[3] ?? '') as Record<string, string>;
    } catch {
      continue;
    }
    reports.set(m[1] ?? m[2] ?? '', {
      integratedLufs: num(json.input_i),
      truePeakDbtp: num(json.input_tp),
      rangeLu: num(json.input_lra),
      thresholdLufs: num(json.input_thresh),
      targetOffset: num(json.target_offset) ?? 0,
    });
  }
  return reports;
}

/** The measurement part of a report (what job.json records). */
export const measureOf = (r: LoudnormReport): LoudnessMeasure => ({ integratedLufs: r.integratedLufs, truePeakDbtp: r.truePeakDbtp, rangeLu: r.rangeLu });

/** loudnorm's LRA target: never below the source's own range, so the range alone never forces dynamic mode. */
const lraTarget = (r: LoudnormReport): number => Math.min(50, Math.max(7, Math.ceil((r.rangeLu ?? 0) + 0.5)));

/**
 * loudnorm reads a measured range of 0 as "not measured" and then refuses linear mode; a steady source
 * really measures 0.00 (rounded): it is passed as 0.01, the smallest value it prints.
 */
const measuredRange = (r: LoudnormReport): number => Math.max(0.01, r.rangeLu ?? 0);

/**
 * ffmpeg's own rule (af_loudnorm.c): linear when the gain keeps the true peak under the ceiling and the
 * measured range is within the LRA target (which lraTarget keeps it).
 */
export function normalizationMode(r: LoudnormReport, target: LoudnessSpec): 'linear' | 'dynamic' {
  if (r.integratedLufs === null || r.truePeakDbtp === null || r.thresholdLufs === null) return 'dynamic';
  return r.truePeakDbtp + (target.targetLufs - r.integratedLufs) <= target.truePeakDbtp && measuredRange(r) <= lraTarget(r) ? 'linear' : 'dynamic';
}

/** Why a track is left as it is under a normalize plan, or undefined. */
export function unnormalizable(r: LoudnormReport): string | undefined {
  if (r.integratedLufs === null || r.thresholdLufs === null || r.integratedLufs <= -70) return 'silent (below the -70 LUFS gate): left as it is';
  return undefined;
}

const fixed = (n: number): string => n.toFixed(2);

/** The measuring pass: loudnorm with the target (its JSON report is what counts, its output is discarded). */
export function measureFilter(target: LoudnessSpec | undefined, instance?: string): string {
  const t = target ?? { targetLufs: -23, truePeakDbtp: -1 };
  return `loudnorm${instance ? `@${instance}` : ''}=I=${fixed(t.targetLufs)}:TP=${fixed(t.truePeakDbtp)}:print_format=json`;
}

/** The second pass: the first pass's measurements fed back, linear where ffmpeg's rule allows. */
export function normalizeFilter(r: LoudnormReport, target: LoudnessSpec): string {
  return `loudnorm=I=${fixed(target.targetLufs)}:TP=${fixed(target.truePeakDbtp)}:LRA=${fixed(lraTarget(r))}` +
    `:measured_I=${fixed(r.integratedLufs ?? -70)}:measured_TP=${fixed(r.truePeakDbtp ?? 0)}:measured_LRA=${fixed(measuredRange(r))}` +
    `:measured_thresh=${fixed(r.thresholdLufs ?? -70)}:offset=${fixed(r.targetOffset)}:linear=true`;
}

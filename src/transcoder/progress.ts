// The transcoder's stdout contract: JSON lines for machines, at most about one progress line per
// second, then one result or error line. Human logs go to stderr. The activities read them back from a
// log tail that mixes both streams with parseLatestProgress (domain/contract.ts).
import type { TranscoderEvent } from '../domain/types.js';

export interface EventSink {
  progress(stage: string, values: { percent: number; fps?: number; speed?: number; outTimeSec?: number }): void;
  emit(event: TranscoderEvent): void;
}

/** Writes events as JSON lines; progress throttled to one per interval, except stage changes. */
export function createEventSink(write: (line: string) => void, intervalMs = 1000, now: () => number = Date.now): EventSink {
  let last = -Infinity;
  let lastStage = '';
  const emit = (event: TranscoderEvent): void => write(`${JSON.stringify(event)}\n`);
  return {
    emit,
    progress(stage, values) {
      const t = now();
      if (stage === lastStage && t - last < intervalMs) return;
      last = t;
      lastStage = stage;
      const round = (n: number | undefined, digits: number): number | undefined => (n === undefined || !Number.isFinite(n) ? undefined : Number(n.toFixed(digits)));
      emit({
        event: 'progress',
        stage,
        percent: Math.max(0, Math.min(100, round(values.percent, 1) ?? 0)),
        ...(round(values.fps, 1) !== undefined ? { fps: round(values.fps, 1) } : {}),
        ...(round(values.speed, 2) !== undefined ? { speed: round(values.speed, 2) } : {}),
        ...(round(values.outTimeSec, 2) !== undefined ? { outTimeSec: round(values.outTimeSec, 2) } : {}),
      });
    },
  };
}

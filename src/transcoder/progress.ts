// The transcoder's stdout contract: JSON lines for machines, at most about one progress line per
// second, then one result or error line. Human logs go to stderr. parseLatestProgress reads them
// back from a log tail that mixes both streams (the activities poll it).
import type { TranscoderEvent } from '../domain/types.js';

const EVENTS = new Set(['progress', 'result', 'error']);

function asEvent(line: string): TranscoderEvent | undefined {
  const start = line.indexOf('{"event":');
  if (start < 0) return undefined;
  try {
    const value = JSON.parse(line.slice(start)) as Partial<TranscoderEvent>;
    return typeof value.event === 'string' && EVENTS.has(value.event) ? (value as TranscoderEvent) : undefined;
  } catch {
    return undefined; // cut mid-line (the tail's first line) or interleaved with stderr
  }
}

/** The latest progress, result or error event in a tail of mixed stdout and stderr. Pure. */
export function parseLatestProgress(logTail: string): TranscoderEvent | undefined {
  const lines = logTail.split(/\r?\n|\r/);
  for (let i = lines.length - 1; i >= 0; i--) {
    const event = asEvent(lines[i] ?? '');
    if (event) return event;
  }
  return undefined;
}

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

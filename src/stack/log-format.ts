// One line per worker log entry for the `dev` console: time, level, message and the fields an
// operator reads (workflow, activity, stage, job, error), instead of multi-line objects and stacks.
import { DefaultLogger, type LogEntry, type LogLevel } from '@temporalio/worker';

/** Fields that repeat on every line of one stack (or are internal ids) and only add noise. */
const NOISE = new Set(['sdkComponent', 'taskQueue', 'namespace', 'runId', 'workflowType', 'activityId', 'taskToken', 'isLocal', 'workflowNamespace', 'workflowRunId']);

function value(v: unknown): string {
  if (v instanceof Error) return JSON.stringify(v.message.split('\n')[0] ?? '');
  if (typeof v === 'string') return v.length > 200 ? JSON.stringify(`${v.slice(0, 200)}…`) : /[\s"=]/.test(v) ? JSON.stringify(v) : v;
  const json = JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? String(x) : x)) ?? String(v);
  return json.length > 200 ? `${json.slice(0, 200)}…` : json;
}

export function formatEntry(entry: Pick<LogEntry, 'level' | 'message' | 'timestampNanos' | 'meta'>): string {
  const time = new Date(Number(entry.timestampNanos / 1_000_000n)).toISOString().slice(11, 19);
  const fields = Object.entries(entry.meta ?? {})
    .filter(([key, v]) => !NOISE.has(key) && v !== undefined)
    .map(([key, v]) => `${key}=${value(v)}`);
  return [time, `[${entry.level.toLowerCase()}]`, entry.message, ...fields].join(' ');
}

export function compactLogger(write: (line: string) => void, level: LogLevel = 'INFO'): DefaultLogger {
  return new DefaultLogger(level, (entry) => write(formatEntry(entry)));
}

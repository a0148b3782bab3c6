// Where a run's time goes, read from workflow histories: per activity type, how long its tasks waited
// in the queue (scheduled -> started) and how long they ran (started -> closed). Explains a
// benchmark's total instead of leaving it as one number.
import type { Client } from '@temporalio/client';
import { tsToMs } from '@temporalio/common/lib/time.js';

export interface StageTimes {
  activity: string;
  count: number;
  /** Mean ms from scheduled to started: waiting for a free worker slot. */
  queueMs: number;
  /** Mean ms from started to completed or failed: the activity's own work. */
  runMs: number;
}

/** Event ids are Long objects in the proto types: compare them as strings. */
const key = (id: unknown): string => String(id);

export async function stageTimes(client: Client, workflowIds: string[]): Promise<StageTimes[]> {
  const totals = new Map<string, { count: number; queue: number; run: number }>();
  for (const id of workflowIds) {
    const events = (await client.workflow.getHandle(id).fetchHistory()).events ?? [];
    const scheduled = new Map<string, { type: string; at: number }>();
    const started = new Map<string, number>();
    for (const e of events) {
      const at = tsToMs(e.eventTime);
      if (e.activityTaskScheduledEventAttributes) {
        scheduled.set(key(e.eventId), { type: e.activityTaskScheduledEventAttributes.activityType?.name ?? '?', at });
      }
      const start = e.activityTaskStartedEventAttributes;
      if (start) started.set(key(start.scheduledEventId), at);
      const closed = e.activityTaskCompletedEventAttributes ?? e.activityTaskFailedEventAttributes;
      if (closed) {
        const s = scheduled.get(key(closed.scheduledEventId));
        const begin = started.get(key(closed.scheduledEventId));
        if (!s || begin === undefined) continue;
        const t = totals.get(s.type) ?? { count: 0, queue: 0, run: 0 };
        totals.set(s.type, { count: t.count + 1, queue: t.queue + (begin - s.at), run: t.run + (at - begin) });
      }
    }
  }
  return [...totals].map(([activity, t]) => ({ activity, count: t.count, queueMs: t.queue / t.count, runMs: t.run / t.count }));
}

export function formatStages(stages: StageTimes[]): string {
  return stages.map((s) => `${s.activity} ${(s.queueMs / 1000).toFixed(2)}+${(s.runMs / 1000).toFixed(2)} s`).join(', ');
}

// The janitor's window on Temporal: a run's state, and the Schedule that runs the janitor workflow.
import type { Client } from '@temporalio/client';
import { ScheduleAlreadyRunning, ScheduleNotFoundError, ScheduleOverlapPolicy, type ScheduleOptions } from '@temporalio/client';
import { WorkflowNotFoundError } from '@temporalio/common';
import type { Config } from '../config.js';
import type { WorkflowStarter } from '../starter-fn/handler.js';
import { createTemporalStarter } from '../starter-fn/temporal-starter.js';
import type { RunRef, RunState } from './decide.js';
import type { JanitorResult } from './reconcile.js';

export const JANITOR_WORKFLOW_TYPE = 'janitor';
export const JANITOR_SCHEDULE_ID = 'oci-transcode-janitor';
export const DEFAULT_EVERY_MINUTES = 15;

const quote = (value: string): string => `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;

/**
 * RUNNING -> running; any other status -> closed; no such run (never, or past retention) -> unknown.
 * A run whose workflow id tag was cut is looked up by run id in visibility: absent there -> unlisted.
 */
export function runStateFrom(client: Client): (run: RunRef) => Promise<RunState> {
  return async ({ workflowId, runId, truncated }) => {
    if (truncated) {
      for await (const found of client.workflow.list({ query: `RunId = ${quote(runId)}`, pageSize: 1 })) {
        if (found.workflowId.startsWith(workflowId)) return found.status.name === 'RUNNING' ? 'running' : 'closed';
      }
      return 'unlisted';
    }
    try {
      const { status } = await client.workflow.getHandle(workflowId, runId).describe();
      return status.name === 'RUNNING' ? 'running' : 'closed';
    } catch (error) {
      if (error instanceof WorkflowNotFoundError) return 'unknown';
      throw error;
    }
  };
}

/** The starter's own window on Temporal, for the reconciler: its runs start exactly as an event's would. */
export function reconcileStarter(client: Client, config: Pick<Config, 'taskQueue'>): WorkflowStarter {
  return createTemporalStarter(client, config);
}

/**
 * Where the previous sweep of the schedule stopped: `reconciled.next` of the newest completed janitor run
 * among the schedule's recent actions other than the run `self` (scheduled runs started within one second
 * share a workflow id); undefined when there is none (start over).
 * Read from the runs themselves, because a schedule's last completion result does not reach a run on
 * every server (the Temporal 1.32 dev server passes none to triggered runs).
 */
export async function previousReconcileCursor(client: Client, scheduleId: string, self: { runId: string }): Promise<unknown> {
  let recent;
  try {
    recent = (await client.schedule.getHandle(scheduleId).describe()).info.recentActions;
  } catch (error) {
    if (error instanceof ScheduleNotFoundError) return undefined;
    throw error;
  }
  for (const { action } of [...recent].reverse()) {
    if (action.workflow.firstExecutionRunId === self.runId) continue;
    const handle = client.workflow.getHandle(action.workflow.workflowId, action.workflow.firstExecutionRunId);
    const { status } = await handle.describe();
    if (status.name !== 'COMPLETED') continue;
    return ((await handle.result()) as Partial<JanitorResult> | undefined)?.reconciled?.next;
  }
  return undefined;
}

export interface JanitorScheduleOptions {
  taskQueue: string;
  everyMinutes?: number;
  scheduleId?: string;
}

function scheduleOptions(o: JanitorScheduleOptions): ScheduleOptions {
  const every = o.everyMinutes ?? DEFAULT_EVERY_MINUTES;
  if (!Number.isFinite(every) || every < 1) throw new RangeError(`the janitor runs at most once a minute (got every ${every} min)`);
  return {
    scheduleId: o.scheduleId ?? JANITOR_SCHEDULE_ID,
    spec: { intervals: [{ every: `${every}m` }] },
    // The schedule names itself, so the reconciler finds the previous sweep's place (previousReconcileCursor).
    action: { type: 'startWorkflow', workflowType: JANITOR_WORKFLOW_TYPE, taskQueue: o.taskQueue, args: [{ scheduleId: o.scheduleId ?? JANITOR_SCHEDULE_ID }], workflowId: o.scheduleId ?? JANITOR_SCHEDULE_ID },
    // A sweep still running when the next is due: skip, never two sweeps deleting side by side.
    policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '1 minute', pauseOnFailure: false },
    state: { note: 'Deletes transcoder jobs whose workflow run is closed or unknown, and starts uploads whose event was lost (npx oci-transcode janitor)' },
  };
}

/** Creates the schedule, or updates it in place when it exists (install is idempotent). */
export async function installJanitorSchedule(client: Client, o: JanitorScheduleOptions): Promise<'created' | 'updated'> {
  const options = scheduleOptions(o);
  try {
    await client.schedule.create(options);
    return 'created';
  } catch (error) {
    if (!(error instanceof ScheduleAlreadyRunning)) throw error;
  }
  await client.schedule.getHandle(options.scheduleId).update((previous) => ({ ...previous, spec: options.spec, action: options.action, policies: options.policies }));
  return 'updated';
}

/** Deletes the schedule; false when there was none. */
export async function removeJanitorSchedule(client: Client, scheduleId = JANITOR_SCHEDULE_ID): Promise<boolean> {
  try {
    await client.schedule.getHandle(scheduleId).delete();
    return true;
  } catch (error) {
    if (error instanceof ScheduleNotFoundError) return false;
    throw error;
  }
}

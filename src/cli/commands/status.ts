// `oci-transcode status [id]`: recent runs from visibility, or one run's progress and description.
import type { Client } from '@temporalio/client';
import { loadConfig } from '../../config.js';
import { connectClient } from '../../stack/control.js';
import { queryProgress, webUiRunUrl } from '../../stack/follow.js';
import { stackPaths } from '../../stack/paths.js';
import { renderProgress } from '../../stack/progress-bar.js';
import { liveState, type StackState } from '../../stack/state.js';
import { SEARCH_ATTRIBUTES, WORKFLOW_TYPE } from '../../workflows/definitions.js';
import { CliError } from './cli-error.js';

export interface RunRow {
  workflowId: string;
  runId: string;
  source: string;
  stage: string;
  status: string;
  started: string;
}

export async function recentRuns(client: Client, limit: number): Promise<RunRow[]> {
  const rows: RunRow[] = [];
  for await (const run of client.workflow.list({ query: `WorkflowType = '${WORKFLOW_TYPE}'`, pageSize: limit })) {
    rows.push({
      workflowId: run.workflowId,
      runId: run.runId,
      source: run.typedSearchAttributes.get(SEARCH_ATTRIBUTES.source) ?? '?',
      stage: run.typedSearchAttributes.get(SEARCH_ATTRIBUTES.stage) ?? '?',
      status: run.status.name,
      started: run.startTime.toISOString().replace('T', ' ').slice(0, 19),
    });
    if (rows.length >= limit) break;
  }
  return rows;
}

export function formatTable(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows.map((r) => r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i]!))).join('  ')).join('\n');
}

async function showOne(client: Client, state: StackState, workflowId: string): Promise<void> {
  let description;
  try {
    description = await client.workflow.getHandle(workflowId).describe();
  } catch (error) {
    if ((error as Error).name === 'WorkflowNotFoundError') throw new CliError(`no run with workflow id ${workflowId}`);
    throw error;
  }
  const progress = description.status.name === 'RUNNING' ? await queryProgress(client, workflowId, description.runId) : undefined;
  const lines = [
    `workflow  ${workflowId}`,
    `run       ${description.runId}`,
    `status    ${description.status.name}`,
    `source    ${description.typedSearchAttributes.get(SEARCH_ATTRIBUTES.source) ?? '?'}`,
    `stage     ${description.typedSearchAttributes.get(SEARCH_ATTRIBUTES.stage) ?? '?'}`,
    `started   ${description.startTime.toISOString()}`,
  ];
  if (description.closeTime) lines.push(`closed    ${description.closeTime.toISOString()}`);
  if (description.memo) lines.push(`memo      ${JSON.stringify(description.memo)}`);
  if (progress) lines.push(`progress  ${renderProgress(progress)}`);
  if (progress?.error) lines.push(`error     ${progress.error}`);
  lines.push(`web UI    ${webUiRunUrl(state.uiUrl, state.namespace, workflowId, description.runId)}`);
  console.log(lines.join('\n'));
}

export async function status(workflowId: string | undefined, opts: { limit: number }): Promise<void> {
  const paths = stackPaths(loadConfig().dataDir);
  const state = await liveState(paths.stateFile);
  if (!state?.ready) throw new CliError(`no local stack is running for ${paths.dataDir}: start one with \`npx oci-transcode dev\``);
  const { client, close } = await connectClient(state);
  try {
    if (workflowId) return await showOne(client, state, workflowId);
    const rows = await recentRuns(client, opts.limit);
    if (rows.length === 0) return console.log('No runs yet. Try: npx oci-transcode run <file>');
    console.log(formatTable([['WORKFLOW ID', 'STATUS', 'STAGE', 'STARTED', 'SOURCE'],
      ...rows.map((r) => [r.workflowId, r.status, r.stage, r.started, r.source])]));
  } finally {
    await close();
  }
}

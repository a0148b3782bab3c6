// Replays recorded histories (`temporal workflow show -w ID --output json`) against the current
// workflow code: a change that would break running workflows fails here, not in production.
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { Worker, type ReplayWorkerOptions } from '@temporalio/worker';
// Always bundled from the sources (never a cached bundle): a replay check must see the code as it is.
import { workflowsPath } from '../worker/create-worker.js';

export class HistoryFileError extends Error {
  override readonly name = 'HistoryFileError';
}

export interface ReplayOutcome {
  file: string;
  workflowId: string;
  ok: boolean;
  /** DeterminismViolationError or ReplayError message. */
  error?: string;
}

export async function loadHistory(file: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new HistoryFileError(`cannot read ${file}: ${(error as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new HistoryFileError(`${file} is not JSON: export one with \`temporal workflow show -w <id> --output json > ${basename(file)}\``);
  }
  const events = (json as { events?: unknown } | null)?.events;
  if (!Array.isArray(events) || events.length === 0) {
    throw new HistoryFileError(`${file} is not a workflow history (no "events" array): export one with \`temporal workflow show -w <id> --output json\``);
  }
  return json;
}

/** Replays each file in one replay worker (one workflow bundle); never throws for a failed replay. */
export async function replayFiles(files: string[], options: Partial<ReplayWorkerOptions> = {}): Promise<ReplayOutcome[]> {
  const histories = await Promise.all(files.map(async (file) => ({ file, history: await loadHistory(file) })));
  const outcomes: ReplayOutcome[] = [];
  const iterable = histories.map(({ file, history }) => ({ workflowId: basename(file, '.json'), history }));
  let index = 0;
  for await (const result of Worker.runReplayHistories({ workflowsPath, ...options }, iterable)) {
    const file = histories[index++]!.file;
    outcomes.push({ file, workflowId: result.workflowId, ok: !result.error, ...(result.error ? { error: `${result.error.name}: ${result.error.message}` } : {}) });
  }
  return outcomes;
}

// Replays recorded histories (`temporal workflow show -w ID --output json`) against the current
// workflow code: a change that would break running workflows fails here, not in production.
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { Worker } from '@temporalio/worker';
import { historyFromJson } from '../worker/history.js';
// Always bundled from the sources (never a cached bundle): a replay check must see the code as it is.
import { bundleWorkflows } from '../worker/create-worker.js';

export class HistoryFileError extends Error {
  override readonly name = 'HistoryFileError';
}

export interface ReplayOutcome {
  file: string;
  ok: boolean;
  /** DeterminismViolationError or ReplayError, with its message. */
  error?: string;
}

export async function loadHistory(file: string): Promise<ReturnType<typeof historyFromJson>> {
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
    throw new HistoryFileError(`${file} is not JSON: export a history with \`temporal workflow show -w <id> --output json > ${basename(file)}\``);
  }
  try {
    return historyFromJson(json);
  } catch (error) {
    throw new HistoryFileError(`${file}: ${(error as Error).message}`);
  }
}

/** Replays each file in one replay worker (one bundle); a failed replay is an outcome, not a throw. */
export async function replayFiles(files: string[]): Promise<ReplayOutcome[]> {
  const histories = await Promise.all(files.map(async (file, i) => ({ workflowId: `${i}`, history: await loadHistory(file) })));
  const outcomes: ReplayOutcome[] = [];
  for await (const result of Worker.runReplayHistories({ workflowBundle: await bundleWorkflows() }, histories)) {
    const file = files[Number(result.workflowId)]!;
    outcomes.push(result.error ? { file, ok: false, error: `${result.error.name}: ${result.error.message}` } : { file, ok: true });
  }
  return outcomes;
}

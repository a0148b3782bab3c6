// `oci-transcode run <file>`: the one-shot for a new user. Starts the stack if needed, uploads the
// file into the source bucket (the watcher's event starts the run, as in the cloud), follows the
// run with a progress bar and prints where the outputs and the run's Web UI page are.
import { jobId } from '../../api/ids.js';
import { readFile, stat } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { loadConfig, type Config } from '../../config.js';
import { LocalFolderStore } from '../../adapters/local/object-store.js';
import { workflowIdFor } from '../../domain/events.js';
import { ensureStack, stopStack } from '../../stack/control.js';
import { followRun, waitForRun, webUiRunUrl, type RunOutcome } from '../../stack/follow.js';
import { openStackLink, StackLostError, type StackLink } from '../../stack/link.js';
import { bucketDir, stackPaths, type StackPaths } from '../../stack/paths.js';
import { liveState } from '../../stack/state.js';
import { ProgressLine } from '../../stack/progress-bar.js';
import type { TranscodeResult } from '../../workflows/definitions.js';
import { CliError } from './cli-error.js';

export interface RunOptions {
  name?: string;
  stop?: boolean;
  /** Seconds to wait for the watcher's event to start a run. */
  startTimeout?: number;
}

/** How long a `run` whose stack stopped waits for one to be back before it says how to follow the run. */
const RECONNECT_TIMEOUT_MS = 120_000;

/** A word the shell passes through unchanged, quoted when it is not one (object names may hold anything). */
export function shellWord(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

/** The one line a `run` leaves when its stack is gone for good: the run itself goes on without it. */
export function followLaterHint(why: string, workflowId: string): string {
  return `${why}; the run goes on when a stack is back: start one with \`npx oci-transcode dev\`, then see the run with \`npx oci-transcode status ${shellWord(workflowId)}\``;
}

/** Why an upload started nothing, from the stack's event journal (the starter's own answer). */
async function starterAnswer(eventsFile: string, bucket: string, object: string, etag: string): Promise<string | undefined> {
  let text: string;
  try {
    text = await readFile(eventsFile, 'utf8');
  } catch {
    return undefined;
  }
  const lines = text.trimEnd().split('\n').reverse();
  for (const line of lines) {
    try {
      const entry = JSON.parse(line) as { bucket?: string; object?: string; etag?: string; outcome?: string; reason?: string };
      if (entry.bucket === bucket && entry.object === object && entry.etag === etag) {
        return `${entry.outcome ?? 'unknown'}${entry.reason ? `: ${entry.reason}` : ''}`;
      }
    } catch {
      // a torn line: skip
    }
  }
  return undefined;
}

function describeOutputs(config: Config, result: TranscodeResult): string[] {
  const root = bucketDir(stackPaths(config.dataDir), result.bucket);
  const rows: [string, string | undefined][] = [
    ['HLS master', result.hls], ['DASH manifest', result.dash], ['thumbnail', result.thumbnail], ['job record', result.record],
  ];
  return rows.filter((row): row is [string, string] => Boolean(row[1])).map(([label, name]) => `  ${label.padEnd(14)} ${join(root, name)}`);
}

interface RunContext {
  config: Config;
  paths: StackPaths;
  link: StackLink;
  line: ProgressLine;
  path: string;
  bucket: string;
  object: string;
  startTimeout: number;
}

async function uploadAndFollow(c: RunContext): Promise<RunOutcome> {
  const { config, paths, link, line, path, bucket, object } = c;
  const store = new LocalFolderStore(paths.bucketsDir, config.namespace);
  const uploaded = await store.putFile(bucket, object, path);
  console.log(`Uploaded ${path} -> ${bucketDir(paths, bucket)}/${object} (eTag ${uploaded.etag})`);
  const workflowId = workflowIdFor({ namespace: config.namespace, bucket, object });
  const found = await waitForRun(link, workflowId, { etag: uploaded.etag, timeoutMs: c.startTimeout * 1000 });
  if (!found) {
    const answer = await starterAnswer(paths.eventsFile, bucket, object, uploaded.etag);
    throw new CliError(answer
      ? `the upload started no run: the starter answered ${answer}`
      : `no run started for ${bucket}/${object} within ${c.startTimeout} s; see ${paths.logFile}`);
  }
  console.log(`Run ${workflowId}\n  ${webUiRunUrl(link.state.uiUrl, link.state.namespace, workflowId, found.runId)}`);
  let outcome: RunOutcome;
  try {
    outcome = await followRun(link, workflowId, { onProgress: (p) => line.update(p) });
  } catch (error) {
    if (error instanceof StackLostError) throw new CliError(followLaterHint(error.message, workflowId));
    throw error;
  } finally {
    line.done();
  }
  // The stack may have come back at another address: the page is the current stack's.
  const page = webUiRunUrl(link.state.uiUrl, link.state.namespace, workflowId, outcome.runId);
  if (outcome.status !== 'COMPLETED') {
    throw new CliError(`run ${outcome.status.toLowerCase()}: ${outcome.reason ?? 'no reason given'}\n  Web UI: ${page}`);
  }
  const preview = link.state.previewUrl ? [`Preview: ${link.state.previewUrl}#/runs/${jobId({ workflowId, runId: outcome.runId })}`] : [];
  console.log(['Published:', ...describeOutputs(config, outcome.result as TranscodeResult), ...preview, `Web UI: ${page}`].join('\n'));
  return outcome;
}

export async function runFile(file: string, options: RunOptions = {}): Promise<RunOutcome> {
  const config = loadConfig();
  const path = resolve(file);
  const info = await stat(path).catch(() => undefined);
  if (!info) throw new CliError(`no such file: ${path}`);
  if (!info.isFile()) throw new CliError(`not a regular file: ${path}`);
  const bucket = config.sourceBuckets[0]!;
  const object = options.name ?? basename(path);
  const paths = stackPaths(config.dataDir);

  const { state, started, stale } = await ensureStack(paths.dataDir);
  if (stale) {
    const left = stale.reapedServerPid ? `; stopped the Temporal dev server it left running (pid ${stale.reapedServerPid})` : '';
    console.log(`The previous local stack (pid ${stale.state.pid}) had died without stopping${left}.`);
  }
  console.log(started ? `Started the local stack in the background (log: ${paths.logFile}).` : `Using the running local stack (pid ${state.pid}).`);
  let outcome: RunOutcome | undefined;
  let failure: unknown;
  const line = new ProgressLine(process.stdout);
  const link = await openStackLink(state, {
    reconnectTimeoutMs: RECONNECT_TIMEOUT_MS,
    onLost: (lost) => {
      line.done();
      console.log(`Lost the local stack (pid ${lost.pid}); waiting up to ${RECONNECT_TIMEOUT_MS / 1000} s for it to be back (\`npx oci-transcode dev\` starts it). The run and its job go on meanwhile.`);
    },
    onBack: (back) => console.log(`Reconnected to the local stack (pid ${back.pid}); following the run again.`),
  });
  try {
    outcome = await uploadAndFollow({ config, paths, link, line, path, bucket, object, startTimeout: options.startTimeout ?? 30 });
  } catch (error) {
    failure = error;
  } finally {
    await link.close().catch(() => undefined);
  }
  const ours = started && link.state.pid === state.pid; // a stack that came back after a crash is not the one we started
  if (!outcome && !(await liveState(paths.stateFile).catch(() => undefined))) {
    // Lost for good (the hint says what to do), or never started: nothing is running to stop or browse.
  } else if (options.stop && ours) {
    await stopStack(paths.dataDir);
    console.log('Stopped the local stack.');
  } else if (options.stop && started) {
    console.log(`The stack this command started stopped meanwhile; the one running now (pid ${link.state.pid}) keeps running; stop it with \`npx oci-transcode stop\`.`);
  } else if (options.stop) {
    console.log('The stack was already running before this command, so it keeps running; stop it with `npx oci-transcode stop`.');
  } else {
    console.log(`The stack keeps running so you can browse the Web UI (${link.state.uiUrl}); stop it with \`npx oci-transcode stop\`.`);
  }
  if (failure !== undefined || !outcome) throw failure;
  return outcome;
}

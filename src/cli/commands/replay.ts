// `oci-transcode replay <history.json...>`: exit 0 when every history replays deterministically.
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { replayFiles } from '../../stack/replay.js';
import { CliError } from './cli-error.js';

export async function replay(files: string[]): Promise<void> {
  // The replayer's own chatter (bundling, worker state) is noise here: only the verdict matters.
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const outcomes = await replayFiles(files);
  for (const o of outcomes) console.log(o.ok ? `ok      ${o.file}` : `FAILED  ${o.file}\n        ${o.error ?? ''}`);
  const failed = outcomes.filter((o) => !o.ok).length;
  if (failed > 0) throw new CliError(`${failed} of ${outcomes.length} histories did not replay: the workflow code is not compatible with them`);
}

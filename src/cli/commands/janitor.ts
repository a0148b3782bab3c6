// `oci-transcode janitor`: finds transcoder jobs whose workflow run is closed or unknown and deletes
// them, and starts source objects that have neither a run nor a job.json for their eTag. --install registers the Temporal Schedule that runs it; --once sweeps now from this process.
// Declarations only: the implementation (Temporal client, adapters) loads when the command runs, so the
// transcoder, which runs this same CLI inside every job, never pays for it.
import type { Command } from 'commander';
import { action } from './cli-error.js';

export interface JanitorOptions {
  install?: boolean;
  remove?: boolean;
  once?: boolean;
  every: number;
  dryRun?: boolean;
  json?: boolean;
}

export function registerJanitor(program: Command): void {
  program
    .command('janitor')
    .description('delete transcoder jobs (container instances, local processes) whose workflow run is closed or unknown, and start uploads whose event was lost')
    .option('--install', 'register (or update) the Temporal Schedule that runs the janitor workflow')
    .option('--every <minutes>', 'with --install: how often the schedule sweeps', Number, 15)
    .option('--remove', 'delete the Temporal Schedule')
    .option('--once', 'sweep once now from this process, with the configured job runner')
    .option('--dry-run', 'with --once: report the orphans and the uploads it would start; delete and start nothing')
    .option('--json', 'print the result as JSON')
    .action(action(async (opts: JanitorOptions) => (await import('./janitor-run.js')).janitorCommand(opts)));
}

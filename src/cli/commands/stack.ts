import type { Command } from 'commander';
import { action } from './cli-error.js';

// The local stack and operator commands (issue 3): dev, run, demo, status, stop, replay.
// Declarations only: each implementation is imported when its command runs, so the transcoder
// (which runs this same CLI inside every job) never loads the Temporal worker or client.
export function registerStack(program: Command): void {
  program
    .command('dev')
    .description('run the local stack: Temporal dev server + Web UI, a worker with local adapters, and a watcher on the source bucket folder')
    .action(action(async () => (await import('./dev.js')).dev()));

  program
    .command('run <file>')
    .description('transcode one file on the local stack (started if needed) and follow it to the end')
    .option('--name <object>', 'object name in the source bucket (default: the file name)')
    .option('--stop', 'stop the stack at the end if this command started it (default: leave it running for the Web UI)')
    .option('--start-timeout <seconds>', 'how long to wait for the upload to start a run', Number, 30)
    .action(action(async (file: string, opts: { name?: string; stop?: boolean; startTimeout: number }) => {
      await (await import('./run.js')).runFile(file, opts);
    }));

  program
    .command('demo')
    .description('generate a sample clip and run it through the local stack (npm run demo)')
    .option('--stop', 'stop the stack at the end if this command started it')
    .action(action(async (opts: { stop?: boolean }) => (await import('./demo.js')).demo(opts)));

  program
    .command('status [workflowId]')
    .description('list recent runs, or show one run (progress query and description)')
    .option('-n, --limit <count>', 'how many recent runs to list', Number, 20)
    .action(action(async (workflowId: string | undefined, opts: { limit: number }) => (await import('./status.js')).status(workflowId, opts)));

  program
    .command('stop')
    .description('stop the local stack (worker, watcher, Temporal dev server)')
    .action(action(async () => (await import('./stop.js')).stop()));

  program
    .command('replay <history...>')
    .description('replay histories exported by `temporal workflow show -w ID --output json` against the current workflow code')
    .action(action(async (files: string[]) => (await import('./replay.js')).replay(files)));
}

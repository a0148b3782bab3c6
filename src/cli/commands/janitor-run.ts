// The janitor command's work. Temporal comes from the ecosystem's variables (TEMPORAL_ADDRESS, ...,
// @temporalio/envconfig); in local mode without them, from the running local stack's state file.
import { Client, Connection } from '@temporalio/client';
import { loadClientConnectConfig } from '@temporalio/envconfig';
import { CliError } from './cli-error.js';
import type { JanitorOptions } from './janitor.js';
import { loadConfig, type Config } from '../../config.js';
import { stackPaths } from '../../stack/paths.js';
import { liveState } from '../../stack/state.js';
import { openAdapters } from '../../worker/adapters.js';
import { summary } from '../../janitor/decide.js';
import { reconcileSummary, type JanitorResult, type ReconcileLine } from '../../janitor/reconcile.js';
import { reconcileSources } from '../../janitor/reconcile-sweep.js';
import { sweepOrphanJobs } from '../../janitor/sweep.js';
import { installJanitorSchedule, JANITOR_SCHEDULE_ID, JANITOR_WORKFLOW_TYPE, reconcileStarter, removeJanitorSchedule, runStateFrom } from '../../janitor/temporal.js';

const reconcileLine = (l: ReconcileLine): string => `${l.outcome.padEnd(12)} ${l.bucket}/${l.object ?? ''}  ${l.reason}`;

async function connect(config: Config): Promise<{ client: Client; namespace: string; close(): Promise<void> }> {
  const { connectionOptions, namespace } = loadClientConnectConfig();
  let options = connectionOptions;
  let ns = namespace ?? 'default';
  if (!options.address) {
    const state = config.mode === 'local' ? await liveState(stackPaths(config.dataDir).stateFile) : undefined;
    if (!state?.ready) {
      throw new CliError('no Temporal server to talk to: set TEMPORAL_ADDRESS (and TEMPORAL_NAMESPACE, TEMPORAL_API_KEY), or start the local stack with `npx oci-transcode dev`');
    }
    options = { ...options, address: state.address };
    ns = namespace ?? state.namespace;
  }
  const connection = await Connection.connect({ ...options, connectTimeout: '10 seconds' });
  return { client: new Client({ connection, namespace: ns }), namespace: ns, close: () => connection.close() };
}

export async function janitorCommand(opts: JanitorOptions): Promise<void> {
  const modes = [opts.install, opts.remove, opts.once].filter(Boolean).length;
  if (modes !== 1) throw new CliError('say what to do: janitor --install [--every <minutes>], janitor --remove, or janitor --once [--dry-run]', 64);
  if (opts.dryRun && !opts.once) throw new CliError('--dry-run goes with --once', 64);
  const config = loadConfig();
  const temporal = await connect(config);
  try {
    if (opts.install) {
      if (!Number.isInteger(opts.every) || opts.every < 1) throw new CliError(`--every takes whole minutes, at least 1 (got ${String(opts.every)})`, 64);
      const how = await installJanitorSchedule(temporal.client, { taskQueue: config.taskQueue, everyMinutes: opts.every });
      const result = { schedule: JANITOR_SCHEDULE_ID, [how]: true, everyMinutes: opts.every, workflowType: JANITOR_WORKFLOW_TYPE, taskQueue: config.taskQueue, namespace: temporal.namespace };
      if (opts.json) console.log(JSON.stringify(result));
      else {
        console.log(`${how === 'created' ? 'Installed' : 'Updated'} schedule ${JANITOR_SCHEDULE_ID}: every ${opts.every} min, workflow ${JANITOR_WORKFLOW_TYPE} on task queue ${config.taskQueue} (namespace ${temporal.namespace}).`);
        console.log(`Each run's result holds the counts: temporal schedule describe --schedule-id ${JANITOR_SCHEDULE_ID}`);
      }
      return;
    }
    if (opts.remove) {
      const removed = await removeJanitorSchedule(temporal.client);
      if (opts.json) console.log(JSON.stringify({ schedule: JANITOR_SCHEDULE_ID, removed }));
      else console.log(removed ? `Removed schedule ${JANITOR_SCHEDULE_ID}.` : `No schedule ${JANITOR_SCHEDULE_ID} to remove.`);
      return;
    }
    const adapters = await openAdapters(config);
    try {
      const report = await sweepOrphanJobs({
        jobs: adapters.jobs,
        runState: runStateFrom(temporal.client),
        namespace: temporal.namespace,
        dryRun: opts.dryRun === true,
      });
      // From the first source bucket on: only the schedule's sweeps carry the place of the previous one.
      const reconciled = await reconcileSources({ store: adapters.store, starter: reconcileStarter(temporal.client, config), config, dryRun: opts.dryRun === true });
      const result: JanitorResult = { ...report, reconciled };
      if (opts.json) console.log(JSON.stringify(result));
      else {
        for (const job of report.jobs) console.log(`${job.outcome.padEnd(12)} ${job.id}  ${job.reason}`);
        console.log(summary(report));
        for (const line of reconciled.objects) console.log(reconcileLine(line));
        console.log(reconcileSummary(reconciled));
      }
      if (report.errors > 0) throw new CliError(`${report.errors} job(s) could not be judged or deleted; they are kept for the next sweep`);
      if (reconciled.errors > 0) throw new CliError(`${reconciled.errors} source object(s) or bucket(s) could not be reconciled; the next sweep tries again`);
    } finally {
      await adapters.close();
      // The OCI runner holds an SDK client of its own; the local one has nothing to release.
      await (adapters.jobs as { close?: () => Promise<void> }).close?.();
    }
  } finally {
    await temporal.close();
  }
}

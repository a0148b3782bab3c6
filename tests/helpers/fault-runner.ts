// A JobRunner that injects faults into chosen launches and counts every call, around the real
// local runner. Faulty jobs are real detached processes too (same shim, same files), running a tiny
// script instead of the transcoder, so state, logTail and delete behave exactly as for real jobs.
import type { LocalJobRunner } from '../../src/adapters/local/job-runner.js';
import { createLocalJobRunner } from '../../src/adapters/local/job-runner.js';
import type { JobHandle, JobLaunch, JobRunner } from '../../src/ports.js';
import { baseJobEnv } from '../../src/worker/adapters.js';

export type Fault =
  /** Crashes at once: a line on stderr, exit 1. */
  | 'crash'
  /** Says the input is unusable, like the transcoder does: JSON error line, exit 65. */
  | 'bad-input'
  /** Transient failure (exit 75). */
  | 'transient'
  /** Reports progress up to 40% over ~2 s, then hangs until deleted. */
  | 'hang'
  /** Runs (hangs), then its instance disappears behind the workflow's back: state 'gone'. */
  | 'vanish';

const SCRIPTS: Record<Exclude<Fault, 'vanish'>, string> = {
  crash: `console.error('simulated crash: segmentation fault in encoder'); process.exit(1);`,
  'bad-input': `console.log(JSON.stringify({ event: 'error', code: 65, kind: 'bad-input', message: 'simulated: no decodable video or audio stream' })); process.exit(65);`,
  transient: `console.error('simulated: object storage unreachable'); process.exit(75);`,
  hang: `let p = 0; const t = setInterval(() => { p += 5; console.log(JSON.stringify({ event: 'progress', stage: 'encode', percent: p })); if (p >= 40) clearInterval(t); }, 250); setInterval(() => {}, 1000);`,
};

async function vanish(real: LocalJobRunner, handle: JobHandle): Promise<void> {
  const pid = await real.pid(handle);
  if (pid !== undefined) process.kill(-pid, 'SIGKILL');
  await real.delete(handle);
}

export interface FaultRunner extends JobRunner {
  /** Every start call, repeats included. */
  readonly starts: JobLaunch[];
  /** Distinct jobs created (one per idempotency key). */
  readonly created: Map<string, { handle: JobHandle; fault: Fault | undefined }>;
  readonly deletes: string[];
}

export function createFaultRunner(
  real: LocalJobRunner,
  paths: { dataDir: string; bucketsDir: string },
  choose: (launch: JobLaunch) => Fault | undefined,
): FaultRunner {
  const scripted = (fault: Exclude<Fault, 'vanish'>): LocalJobRunner =>
    createLocalJobRunner({ ...paths, command: [process.execPath, '-e', SCRIPTS[fault]], env: baseJobEnv() });
  const starts: JobLaunch[] = [];
  const created = new Map<string, { handle: JobHandle; fault: Fault | undefined }>();
  const deletes: string[] = [];
  return {
    starts,
    created,
    deletes,
    async start(launch) {
      starts.push(launch);
      const known = created.get(launch.idempotencyKey);
      const fault = known ? known.fault : choose(launch);
      const runner = fault === undefined ? real : scripted(fault === 'vanish' ? 'hang' : fault);
      const handle = await runner.start(launch);
      if (!known) {
        created.set(launch.idempotencyKey, { handle, fault });
        // The instance disappears: killed without a chance to record an exit code, records removed.
        if (fault === 'vanish') setTimeout(() => void vanish(real, handle), 1_500);
      }
      return handle;
    },
    state: (handle) => real.state(handle),
    logTail: (handle) => real.logTail(handle),
    async delete(handle) {
      deletes.push(handle.id);
      await real.delete(handle);
    },
    list: (tags) => real.list(tags),
  };
}

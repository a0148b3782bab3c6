// The local job runner's own records, read from outside: the registry of idempotency keys (one .key
// file per job ever created, kept as a tombstone after delete) and the live job processes.
import { readFileSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';

/** Idempotency keys of every job ever created in this data dir, sorted. */
export async function jobRegistry(dataDir: string): Promise<string[]> {
  const dir = join(dataDir, 'jobs');
  const names = (await readdir(dir).catch(() => [] as string[])).filter((n) => n.endsWith('.key'));
  return (await Promise.all(names.map((n) => readFile(join(dir, n), 'utf8')))).sort();
}

function isShim(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('job-shim');
  } catch {
    return false;
  }
}

/** Pids (= process groups) of job processes still alive. */
export async function liveJobPids(dataDir: string): Promise<number[]> {
  const dir = join(dataDir, 'jobs');
  const names = (await readdir(dir).catch(() => [] as string[])).filter((n) => n.endsWith('.pid'));
  const pids = await Promise.all(names.map(async (n) => Number(await readFile(join(dir, n), 'utf8').catch(() => ''))));
  return pids.filter((pid) => pid > 0 && isShim(pid));
}

/** Last resort after a failed test: no job process may outlive the suite. */
export async function killLeftoverJobs(dataDir: string): Promise<void> {
  for (const pid of await liveJobPids(dataDir)) {
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      // gone meanwhile
    }
  }
}

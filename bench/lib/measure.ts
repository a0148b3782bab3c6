// Runs one command (argument array, no shell) and measures it: wall time, CPU time of the whole
// process tree, and peak memory. CPU time is printed beside wall time because the bench machine is
// shared: wall time moves with other load, CPU time much less.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { tmpdir } from 'node:os';

export interface Measured {
  label: string;
  wallSec: number;
  /** user + sys of the process and every descendant it waited for (GNU time), when available. */
  cpuSec?: number;
  /** Largest single process (GNU time's maximum resident set size), MiB. */
  peakProcessMiB?: number;
  /** Largest sum of RSS over the whole process tree, sampled every 100 ms from /proc, MiB. */
  peakTreeMiB: number;
  stderrTail: string;
  /** The last line the command printed on stdout (the transcoder's result event). */
  lastStdoutLine: string;
}

const GNU_TIME = '/usr/bin/time';

async function rssKiB(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => '');
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
}

/** The pid and every live descendant, from the parent ids in /proc/<pid>/stat. */
async function tree(root: number): Promise<number[]> {
  const parents = new Map<number, number[]>();
  for (const name of await readdir('/proc').catch(() => [] as string[])) {
    if (!/^\d+$/.test(name)) continue;
    const stat = await readFile(`/proc/${name}/stat`, 'utf8').catch(() => '');
    // Field 4 is the parent pid; the command name (field 2) may hold spaces, so split after ')'.
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    if (ppid) parents.set(ppid, [...(parents.get(ppid) ?? []), Number(name)]);
  }
  const out: number[] = [];
  const queue = [root];
  while (queue.length) {
    const pid = queue.shift()!;
    out.push(pid);
    queue.push(...(parents.get(pid) ?? []));
  }
  return out;
}

export async function measure(label: string, command: string, args: string[], options: { cwd?: string } = {}): Promise<Measured> {
  const useTime = existsSync(GNU_TIME);
  const timeFile = join(tmpdir(), `bench-time-${process.pid}-${Date.now()}.txt`);
  const [cmd, argv] = useTime ? [GNU_TIME, ['-f', '%e %U %S %M', '-o', timeFile, command, ...args]] : [command, args];
  const started = process.hrtime.bigint();
  const child = spawn(cmd, argv, { cwd: options.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  child.stdout.on('data', (chunk: Buffer) => {
    stdout = (stdout + chunk.toString()).slice(-20_000);
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-20_000);
  });
  let peakTreeKiB = 0;
  let sampling = true;
  const sampler = (async () => {
    while (sampling && child.pid) {
      const pids = await tree(child.pid);
      let sum = 0;
      for (const pid of pids) sum += await rssKiB(pid);
      peakTreeKiB = Math.max(peakTreeKiB, sum);
      await new Promise((r) => setTimeout(r, 100));
    }
  })();
  const code = await new Promise<number | null>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', resolve);
  });
  const wallSec = Number(process.hrtime.bigint() - started) / 1e9;
  sampling = false;
  await sampler;
  if (code !== 0) throw new Error(`${label}: ${command} exited ${code}\n${stderr.slice(-3000)}`);
  const lastStdoutLine = stdout.trimEnd().split('\n').pop() ?? '';
  const result: Measured = { label, wallSec, peakTreeMiB: peakTreeKiB / 1024, stderrTail: stderr.slice(-2000), lastStdoutLine };
  if (useTime) {
    const fields = (await readFile(timeFile, 'utf8')).trim().split('\n').pop()!.split(' ').map(Number);
    await rm(timeFile, { force: true });
    const [, user = 0, sys = 0, maxKiB = 0] = fields;
    result.cpuSec = user + sys;
    result.peakProcessMiB = maxKiB / 1024;
  }
  return result;
}

// reapServer: what a new stack does with the dev server a killed one left running. Real processes
// in their own process groups, as the dev server runs; a recycled pid is never signalled.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { processAlive, processStart, reapServer, type StackState } from '../../../src/stack/state.js';

const started: ChildProcess[] = [];
afterEach(() => {
  for (const child of started.splice(0)) child.kill('SIGKILL');
});

async function server(code: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['-e', `${code}; console.log('up'); setTimeout(() => {}, 60000)`], { detached: true, stdio: ['ignore', 'pipe', 'inherit'] });
  started.push(child);
  await new Promise((r) => child.stdout.once('data', r));
  return child;
}

const stateOf = (serverPid: number, serverPidStart: string | undefined): StackState => ({
  schema: 1, pid: 1, ready: true, address: '127.0.0.1:1', port: 1, uiPort: 1, uiUrl: 'http://127.0.0.1:1', namespace: 'default',
  taskQueue: 'transcode', dataDir: '/nonexistent', startedAt: new Date(0).toISOString(), serverPid, serverPidStart,
});

describe('reapServer', () => {
  it('stops the recorded server with SIGTERM and waits until it has exited', async () => {
    const child = await server(`process.on('SIGTERM', () => setTimeout(() => process.exit(0), 400))`);
    const exited = new Promise((r) => child.once('exit', (code, signal) => r({ code, signal })));
    const t0 = Date.now();
    expect(await reapServer(stateOf(child.pid!, processStart(child.pid!)))).toBe(child.pid);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(350); // waited for the exit, not just signalled
    expect(await exited).toEqual({ code: 0, signal: null });
  });

  it('kills a server that ignores SIGTERM once the grace period is over', async () => {
    const child = await server(`process.on('SIGTERM', () => {})`);
    const exited = new Promise((r) => child.once('exit', (code, signal) => r(signal)));
    expect(await reapServer(stateOf(child.pid!, processStart(child.pid!)), { graceMs: 300 })).toBe(child.pid);
    expect(await exited).toBe('SIGKILL');
    expect(processAlive(child.pid!)).toBe(false);
  });

  it('leaves alone a process whose start time is not the recorded one (a recycled pid)', async () => {
    const child = await server('');
    expect(await reapServer(stateOf(child.pid!, '1'))).toBeUndefined();
    expect(processAlive(child.pid!)).toBe(true);
  });

  it('does nothing when no server was recorded', async () => {
    expect(await reapServer({ ...stateOf(1, undefined), serverPid: undefined })).toBeUndefined();
  });
});

describe('processAlive', () => {
  it('takes a zombie (exited, not yet reaped by its adopter) for gone', async () => {
    // The shell forks `true` and then becomes `sleep`, which never reaps it: `true` stays a zombie.
    const parent = spawn('sh', ['-c', 'true & exec sleep 5']);
    started.push(parent);
    let zombie: number | undefined;
    for (let i = 0; i < 100 && zombie === undefined; i++) {
      const children = readFileSync(`/proc/${parent.pid}/task/${parent.pid}/children`, 'utf8').trim();
      const pid = Number(children.split(' ')[0]);
      if (pid > 0 && readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.startsWith('Z')) zombie = pid;
      else await new Promise((r) => setTimeout(r, 20));
    }
    expect(zombie).toBeDefined();
    process.kill(zombie!, 0); // kill(0) alone still finds it
    expect(processAlive(zombie!)).toBe(false);
  });
});

import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { claimState, liveState, processAlive, processStart, readState, releaseState, updateState, type StackState } from '../../../src/stack/state.js';

let dir: string;
let file: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'stack-state-'));
  file = join(dir, 'stack.json');
});
afterEach(() => rm(dir, { recursive: true, force: true }));

const state = (over: Partial<StackState> = {}): StackState => ({
  schema: 1, pid: process.pid, ready: false, address: '127.0.0.1:7233', port: 7233, uiPort: 8233,
  uiUrl: 'http://127.0.0.1:8233', namespace: 'default', taskQueue: 'transcode', dataDir: dir,
  startedAt: new Date(0).toISOString(), ...over,
});

/** A pid that surely belongs to no process: a child that has already exited. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '0']);
  await new Promise((r) => child.once('exit', r));
  return child.pid!;
}

describe('stack state file', () => {
  it('is claimed once; a second claimant learns who holds it', async () => {
    expect(await claimState(file, state({ pidStart: processStart(process.pid) }))).toEqual({ claimed: true });
    const second = await claimState(file, state({ pid: 999_999 }));
    expect(second.claimed).toBe(false);
    if (!second.claimed) expect(second.other.pid).toBe(process.pid);
    expect((await readState(file))?.pid).toBe(process.pid);
  });

  it('reports a live holder in another process instead of taking over', async () => {
    const holder = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 30000)']);
    try {
      await claimState(file, state({ pid: holder.pid!, pidStart: processStart(holder.pid!) }));
      const result = await claimState(file, state());
      expect(result.claimed).toBe(false);
      if (!result.claimed) expect(result.other.pid).toBe(holder.pid);
      expect(await liveState(file)).toMatchObject({ pid: holder.pid });
    } finally {
      holder.kill();
    }
  });

  it('does not take a recycled pid for the stack: the recorded start time must match', async () => {
    expect(processAlive(process.pid)).toBe(true);
    expect(processAlive(process.pid, processStart(process.pid))).toBe(true);
    expect(processAlive(process.pid, '1')).toBe(false); // alive, but not the process that wrote the file
    await writeFile(file, JSON.stringify(state({ pidStart: '1' })));
    expect(await liveState(file)).toBeUndefined();
    expect(await claimState(file, state())).toEqual({ claimed: true });
  });

  it('treats a file left by a dead process as stale and removes it', async () => {
    await writeFile(file, JSON.stringify(state({ pid: await deadPid() })));
    expect(await liveState(file)).toBeUndefined();
    await expect(readFile(file)).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('updates atomically and releases only its own file', async () => {
    await claimState(file, state());
    await updateState(file, state({ ready: true }));
    expect((await readState(file))?.ready).toBe(true);
    await releaseState(file, 12345);
    expect(await readState(file)).toBeDefined();
    await releaseState(file, process.pid);
    expect(await readState(file)).toBeUndefined();
  });

  it('explains a file that is not a state file', async () => {
    await writeFile(file, '{"hello":1}');
    await expect(readState(file)).rejects.toThrow(/not a stack state file/);
    await writeFile(file, 'nope{');
    await expect(readState(file)).rejects.toThrow(/not valid JSON/);
  });
});

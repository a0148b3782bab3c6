// The real `temporal server start-dev`: readiness, search attributes, a taken port, a port race, clean stop.
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Connection } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findTemporalBin } from '../../../src/stack/temporal-bin.js';
import { PortInUseError, portFree, startDevServer, type DevServer } from '../../../src/stack/dev-server.js';
import { processAlive } from '../../../src/stack/state.js';
import { freePort } from '../../helpers/net.js';

let dir: string;
let server: DevServer | undefined;
const bin = findTemporalBin();

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'dev-server-'));
});
afterAll(async () => {
  await server?.stop();
  await rm(dir, { recursive: true, force: true });
});

describe('startDevServer', () => {
  it('answers for the namespace, serves the Web UI and registers our search attributes', async () => {
    const [port, uiPort] = [await freePort(), await freePort()];
    // The pid is told at spawn, before the server answers: a stack killed meanwhile has it on record.
    let spawned: { pid: number; alive: boolean } | undefined;
    server = await startDevServer({
      bin, dbFile: join(dir, 'temporal.db'), port, uiPort,
      searchAttributes: { TranscodeSource: 'Keyword', TranscodeStage: 'Keyword' },
      onSpawn: (pid) => void (spawned = { pid, alive: processAlive(pid) }),
    });
    expect(spawned).toEqual({ pid: server.pid, alive: true });
    expect(server.address).toBe(`127.0.0.1:${port}`);
    expect((await fetch(server.uiUrl)).status).toBe(200);
    const connection = await Connection.connect({ address: server.address });
    try {
      const { customAttributes } = await connection.operatorService.listSearchAttributes({ namespace: 'default' });
      expect(Object.keys(customAttributes ?? {})).toEqual(expect.arrayContaining(['TranscodeSource', 'TranscodeStage']));
    } finally {
      await connection.close();
    }
    const pid = server.pid;
    await server.stop();
    server = undefined;
    expect(processAlive(pid)).toBe(false);
    expect(await portFree(port)).toBe(true);
  });

  it('says clearly which port is taken, and starts nothing', async () => {
    const taken: Server = createServer();
    const port = await freePort();
    await new Promise<void>((r) => taken.listen(port, '127.0.0.1', r));
    try {
      const start = startDevServer({ bin, dbFile: join(dir, 'other.db'), port, uiPort: await freePort() });
      await expect(start).rejects.toThrow(PortInUseError);
      await expect(start).rejects.toThrow(new RegExp(`port ${port} .*already in use.*OCI_TRANSCODE_DEV_PORT`));
    } finally {
      taken.close();
    }
  });

  /**
   * A stand-in for the CLI that fails its first `failures` starts the way the CLI does when a port it
   * picked for itself (HTTP API) was taken before it bound it, then runs the real CLI. Counts starts.
   */
  async function racingBin(name: string, failures: number, takenPort: () => string): Promise<{ bin: string; starts: () => Promise<number> }> {
    const counter = join(dir, `${name}.starts`);
    const path = join(dir, `${name}.mjs`);
    await writeFile(path, `#!${process.execPath}
import { spawn } from 'node:child_process';
import { appendFileSync, readFileSync } from 'node:fs';
appendFileSync(${JSON.stringify(counter)}, 'x');
if (readFileSync(${JSON.stringify(counter)}, 'utf8').length <= ${failures}) {
  console.error('failed listening for HTTP API on 127.0.0.1:${takenPort()}: listen tcp 127.0.0.1:${takenPort()}: bind: address already in use');
  process.exit(1);
}
const child = spawn(${JSON.stringify(bin)}, process.argv.slice(2), { stdio: 'inherit' });
process.on('SIGTERM', () => child.kill('SIGTERM'));
child.on('exit', (code) => process.exit(code ?? 0));
`);
    await chmod(path, 0o755);
    return { bin: path, starts: async () => (await readFile(counter, 'utf8').catch(() => '')).length };
  }

  it('starts again when a port the CLI picked for itself was taken before it bound it', async () => {
    const racing = await racingBin('race', 1, () => '34603');
    const lines: string[] = [];
    const started = await startDevServer({ bin: racing.bin, dbFile: join(dir, 'race.db'), port: await freePort(), uiPort: await freePort(), onLine: (l) => lines.push(l) });
    try {
      expect(await racing.starts()).toBe(2);
      expect(lines.join('\n')).toMatch(/starting it again \(attempt 2\)/);
      expect((await fetch(started.uiUrl)).status).toBe(200);
    } finally {
      await started.stop();
    }
  });

  it('does not retry when the port taken is one we chose: that is a setting to change', async () => {
    const port = await freePort();
    const racing = await racingBin('ours', 5, () => String(port));
    const start = startDevServer({ bin: racing.bin, dbFile: join(dir, 'ours.db'), port, uiPort: await freePort() });
    await expect(start).rejects.toThrow(PortInUseError);
    expect(await racing.starts()).toBe(1);
  });
});

// The real `temporal server start-dev`: readiness, search attributes, a taken port, clean stop.
import { mkdtemp, rm } from 'node:fs/promises';
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
    server = await startDevServer({
      bin, dbFile: join(dir, 'temporal.db'), port, uiPort,
      searchAttributes: { TranscodeSource: 'Keyword', TranscodeStage: 'Keyword' },
    });
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
});

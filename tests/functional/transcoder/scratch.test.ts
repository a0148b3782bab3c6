// Large sources within a Container Instance's 15 GB: the transcoder reads the source in place (ranged
// reads through its loopback server, signed with its own identity) and uploads segments while it encodes,
// so a source larger than the whole scratch limit transcodes, plays, and never holds more than the limit.
// Runs the transcoder command as a container does, against the OCI stand-in.
import { createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { text } from 'node:stream/consumers';
import { pipeline } from 'node:stream/promises';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOciObjectStore, type OciObjectStore } from '../../../src/adapters/oci/object-store.js';
import type { RenditionsFile } from '../../../src/domain/types.js';
import { listAll } from '../../../src/store-io.js';
import { startOciStandIn, type OciStandIn } from '../../oci-stand-in/server.js';
import { runCli, tool } from './harness.js';

const SCRATCH = 3 * 1024 * 1024;
let standIn: OciStandIn;
let store: OciObjectStore;
let dir: string;
let cliEnv: Record<string, string>;
let sourceBytes: number;

const args = (object: string): string[] => ['--source', `oci://${standIn.namespace}/media-in/${object}`, '--dest', `oci://${standIn.namespace}/media-out/`, '--publish'];

async function download(prefix: string, into: string): Promise<void> {
  for (const o of await listAll(store, 'media-out', prefix)) {
    const path = join(into, o.name);
    await mkdir(dirname(path), { recursive: true });
    await pipeline(await store.get('media-out', o.name), createWriteStream(path));
  }
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'scratch-'));
  standIn = await startOciStandIn({ buckets: ['media-in', 'media-out'] });
  const workerEnv = standIn.workerEnv(standIn.createApiKey());
  store = createOciObjectStore(workerEnv);
  cliEnv = { ...workerEnv, OCI_TRANSCODE_STORE: 'oci', OCI_TRANSCODE_SCRATCH_BYTES: String(SCRATCH), OCI_TRANSCODE_OCI_RETRY_BASE_MS: '20' };
  // A nearly lossless 720p master: several times the scratch limit for 8 s of picture.
  const source = join(dir, 'master.mp4');
  await promisify(execFile)('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-f', 'lavfi', '-i', 'testsrc2=size=1280x720:rate=30:duration=8',
    '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000:duration=8', '-c:v', 'libx264', '-preset', 'ultrafast', '-qp', '4', '-g', '30',
    '-c:a', 'aac', '-shortest', source]);
  const data = await readFile(source);
  sourceBytes = data.length;
  standIn.objectStorage.store('media-in', 'master.mp4', data, 'video/mp4');
});

afterAll(async () => {
  await store?.close();
  await standIn?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('scratch space', () => {
  it('transcodes a source larger than the scratch limit, reading it in place, and the stream plays', async () => {
    expect(sourceBytes).toBeGreaterThan(3 * SCRATCH);
    const sourceReads = () => standIn.requests.filter((r) => r.operation === 'GetObject' && r.path.includes('/b/media-in/')).length;
    const before = sourceReads();
    const run = await runCli(args('master.mp4'), cliEnv);
    expect(run.code, run.stderr.slice(-3000)).toBe(0);
    const result = run.events.at(-1);
    expect(result).toMatchObject({ event: 'result', ok: true });
    const peak = (result as { peakScratchBytes?: number }).peakScratchBytes ?? Infinity;
    expect(peak).toBeGreaterThan(0);
    expect(peak).toBeLessThanOrEqual(SCRATCH);
    // Read in place: the probe's reads and the encode's, not one download into scratch.
    expect(sourceReads() - before).toBeGreaterThan(1);

    await download('master.mp4/', join(dir, 'out'));
    const master = join(dir, 'out', 'master.mp4', 'master.m3u8');
    const decode = await tool('ffmpeg', ['-v', 'error', '-i', master, '-map', '0', '-f', 'null', '-']);
    expect(decode.code, decode.stderr).toBe(0);
    const probed = await tool('ffprobe', ['-v', 'error', '-show_entries', 'format=duration', '-of', 'csv=p=0', master]);
    expect(Number(probed.stdout)).toBeCloseTo(8, 0);
  });

  it('pauses the encoder while slow uploads drain a full window, and still finishes within the limit', async () => {
    // The 720p rendition's first segment alone (about 1.5 MB) fills a 1.5 MB window past its 80 % mark,
    // and each upload takes 1.5 s: the window is full while that segment waits, whatever the machine's speed.
    const limit = 1.5 * 1024 * 1024;
    standIn.faults.slow('PutObject', 1500);
    try {
      const run = await runCli(args('master.mp4'), { ...cliEnv, OCI_TRANSCODE_SCRATCH_BYTES: String(limit) });
      expect(run.code, run.stderr.slice(-3000)).toBe(0);
      expect(run.stderr, JSON.stringify(run.events.at(-1))).toContain('encoder paused while segments upload');
      expect(run.stderr).toContain('encoder resumed');
      // Paused right after a segment boundary: the window never holds more than the 80 % mark plus one
      // boundary's segments (every rendition's, finished together) plus init segments and pictures.
      const peak = (run.events.at(-1) as { peakScratchBytes?: number }).peakScratchBytes ?? Infinity;
      const file = JSON.parse(await text(await store.get('media-out', (run.events.at(-1) as { renditionsFile: string }).renditionsFile))) as RenditionsFile;
      const boundaries = Math.max(...file.renditions.map((r) => r.segments.length));
      const batch = Math.max(...Array.from({ length: boundaries }, (_, i) => file.renditions.reduce((n, r) => n + (r.segments[i]?.bytes ?? 0), 0)));
      expect(peak).toBeLessThan(0.8 * limit + batch + 512 * 1024);
    } finally {
      standIn.faults.clear();
    }
  });

  it('fails as transient, naming the cause, when the source is replaced while it is read', async () => {
    const data = await readFile(join(dir, 'master.mp4'));
    standIn.objectStorage.store('media-in', 'swapped.mp4', data, 'video/mp4');
    // Its index is at the end (not faststart): reading it takes more than one request. A newer upload
    // lands right after the first one; every later read must refuse the other version.
    const reads = () => standIn.requests.filter((r) => r.operation === 'GetObject' && r.path.includes('/b/media-in/o/swapped.mp4') && r.status > 0).length;
    standIn.faults.slow('GetObject', 200);
    const swap = setInterval(() => {
      if (reads() === 0) return;
      clearInterval(swap);
      standIn.objectStorage.store('media-in', 'swapped.mp4', data, 'video/mp4');
    }, 10);
    const run = await runCli(args('swapped.mp4'), cliEnv);
    clearInterval(swap);
    standIn.faults.clear();
    expect(run.code, run.stderr.slice(-2000)).toBe(75);
    expect(run.events.at(-1)).toMatchObject({ event: 'error', kind: 'transient' });
    expect((run.events.at(-1) as { message: string }).message).toMatch(/the source changed while it was being read .*412 IfMatchFailed/);
    expect(await listAll(store, 'media-out', 'swapped.mp4/')).toEqual([]);
  });
});

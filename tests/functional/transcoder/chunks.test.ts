// A time-split encode with the real transcoder command: three chunk jobs and the audio job of a 12 s
// source (chunks of one 4 s segment), then the remux job of its MP4 download, published by stitching
// alone, against the single-job encode of the same source; then the same run with one chunk encoded from
// a shifted offset, which the seam check must catch.
import { cp, mkdir, mkdtemp, readFile, readdir, rm, copyFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkAudio, checkSeams } from '../../../bench/lib/seams.js';
import { chunkPlan, REMUX_JOB, segmentFrames } from '../../../src/domain/chunks.js';
import { ffprobe } from './harness.js';
import { topLevelBoxes } from '../../../src/transcoder/downloads.js';
import { planLadder } from '../../../src/domain/ladder.js';
import type { Plan, RenditionsFile } from '../../../src/domain/types.js';
import { probeSource } from '../../../src/media/probe.js';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createVerify } from '../../../src/activities/verify.js';
import { LocalFolderStore } from '../../../src/adapters/local/object-store.js';
import { loadConfig } from '../../../src/config.js';
import type { JobRunner } from '../../../src/ports.js';
import { createEventSink } from '../../../src/transcoder/progress.js';
import { transcode } from '../../../src/transcoder/run.js';
import { makeClip } from '../../helpers/clips.js';

let scratch: string;
let clip: string;
let plan: Plan;
const stream = (store: string): string => join(store, 'media-out', 'clip.mp4');

/** The transcoder in process (as its command runs it, without a node start per job): the test's cost is the encodes. */
async function runJobs(store: string, jobs: { id: string; plan: Plan }[], publish = true): Promise<void> {
  const ctx = { env: { ...process.env, OCI_TRANSCODE_STORE: `local:${store}` }, events: createEventSink(() => undefined), log: () => undefined };
  // Sequential like instances finishing in turn; the last one publishes (stitching only).
  for (const [i, job] of jobs.entries()) {
    const last = publish && i === jobs.length - 1;
    await transcode({ source: 'oci://ns/media-in/clip.mp4', dest: 'oci://ns/media-out/', plan: job.plan, jobId: job.id, publish: last }, ctx);
  }
}

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'transcoder-chunks-'));
  // 10 fps keeps the encodes cheap: 4 s segments are still two 2 s GOPs (of 20 frames).
  clip = await makeClip('landscape', { seconds: 12, width: 854, height: 480, fps: 10 });
  plan = chunkPlan(planLadder(await probeSource(clip), { etag: 'etag-1', downloads: 'top' }), { thresholdSec: 5, chunkSec: 4 }, { remuxDownload: true });
  for (const name of ['chunked', 'single']) {
    await mkdir(join(scratch, name, 'media-in'), { recursive: true });
    await copyFile(clip, join(scratch, name, 'media-in', 'clip.mp4'));
  }
  await runJobs(join(scratch, 'chunked'), plan.jobs.map((j) => ({ id: j.id, plan })));
  const single = planLadder(await probeSource(clip), { etag: 'etag-1' });
  await runJobs(join(scratch, 'single'), [{ id: 'all', plan: single }]);
}, 120_000);
afterAll(async () => rm(scratch, { recursive: true, force: true }));

const seamInput = (root: string, rung: Plan['video'][number]) => ({
  chunked: join(stream(join(root)), plan.version, rung.id, 'playlist.m3u8'),
  single: join(stream(join(scratch, 'single')), plan.version, rung.id, 'playlist.m3u8'),
  source: clip,
  width: rung.width,
  height: rung.height,
  fps: plan.fps,
  joins: plan.jobs.flatMap((j) => (j.chunk && j.chunk.index > 0 ? [j.chunk.startFrame] : [])),
  segmentFrames: segmentFrames(plan)!,
});

describe('a time-split encode', () => {
  it('is planned as three chunks of every rung plus the audio job, then the remux of the MP4 download', () => {
    expect(plan.video.map((v) => v.id)).toEqual(['480p', '360p']);
    expect(plan.jobs.map((j) => j.id)).toEqual(['audio', 'c001', 'c002', 'c003', REMUX_JOB]);
    expect(plan.downloads).toEqual({ videoId: '480p', mp4Job: REMUX_JOB, m4aJob: 'audio' });
  });

  it('remuxes the MP4 download from the chunks\' uploaded segments: faststart, every frame, the audio, the packets copied', async () => {
    const root = stream(join(scratch, 'chunked'));
    const file = JSON.parse(await readFile(join(root, plan.version, 'renditions', `${REMUX_JOB}.json`), 'utf8')) as RenditionsFile;
    expect(file.renditions).toEqual([]);
    const mp4 = file.downloads?.find((d) => d.kind === 'mp4');
    expect(mp4).toMatchObject({ name: `${plan.version}/download/480p.mp4`, videoId: '480p', audioId: 'audio' });
    const path = join(root, mp4!.name);
    expect((await topLevelBoxes(path)).filter((b) => b === 'moov' || b === 'mdat')).toEqual(['moov', 'mdat']);
    const probed = (await ffprobe(['-count_packets', '-show_streams', '--', path])) as { streams: { codec_type: string; nb_read_packets?: string; duration?: string }[] };
    const video = probed.streams.find((s) => s.codec_type === 'video');
    expect(Number(video?.nb_read_packets)).toBe(120);
    expect(Number(probed.streams.find((s) => s.codec_type === 'audio')?.duration)).toBeCloseTo(12, 1);
    // Copied, not encoded again: the MP4 holds the chunks' own 480p packets, in order.
    const sizes = async (input: string): Promise<string[]> =>
      ((await ffprobe(['-select_streams', 'v:0', '-show_entries', 'packet=size', '--', input])) as { packets: { size: string }[] }).packets.map((p) => p.size);
    expect(await sizes(path)).toEqual(await sizes(join(root, plan.version, '480p', 'playlist.m3u8')));
  });

  it('writes global segment numbers and timestamps, one init segment per rung byte-identical to the single job\'s, and playlists that list them in order', async () => {
    const root = stream(join(scratch, 'chunked'));
    const single = stream(join(scratch, 'single'));
    for (const rung of plan.video) {
      const files = (await readdir(join(root, plan.version, rung.id))).sort();
      expect(files).toEqual(['init.mp4', 'playlist.m3u8', 'seg_00001.m4s', 'seg_00002.m4s', 'seg_00003.m4s']);
      // Same encoder settings from the same frame on: the same decoder configuration, so one init serves every chunk.
      expect(await readFile(join(root, plan.version, rung.id, 'init.mp4'))).toEqual(await readFile(join(single, plan.version, rung.id, 'init.mp4')));
      const chunkFiles = await Promise.all(['c001', 'c002', 'c003'].map(async (id) => JSON.parse(await readFile(join(root, plan.version, 'renditions', `${id}.json`), 'utf8')) as RenditionsFile));
      const hashes = new Set(chunkFiles.map((f) => f.renditions.find((r) => r.id === rung.id)?.initSha256));
      expect(hashes.size).toBe(1);
      const singleFile = JSON.parse(await readFile(join(single, plan.version, 'renditions', 'all.json'), 'utf8')) as RenditionsFile;
      const timeline = (metas: (RenditionsFile['renditions'][number] | undefined)[]): [number, number][] => metas.flatMap((m) => m?.segments.map((s) => [s.start, s.duration] as [number, number]) ?? []);
      expect(timeline(chunkFiles.map((f) => f.renditions.find((r) => r.id === rung.id)))).toEqual(timeline([singleFile.renditions.find((r) => r.id === rung.id)]));
    }
    // Published by stitching alone: the masters name the rungs' playlists, which list the chunks' segments.
    const master = await readFile(join(root, 'master.m3u8'), 'utf8');
    expect(master).toContain(`${plan.version}/480p/playlist.m3u8`);
    const media = await readFile(join(root, plan.version, '480p', 'playlist.m3u8'), 'utf8');
    expect(media.match(/^seg_\d+\.m4s$/gm)).toEqual(['seg_00001.m4s', 'seg_00002.m4s', 'seg_00003.m4s']);
    expect(await readFile(join(root, 'manifest.mpd'), 'utf8')).toMatch(/<S t="0" d="\d+" r="2"\s*\/>/);
  });

  it('passes the seam check against the single job: frames, duration, joins, quality, audio', async () => {
    for (const rung of plan.video) {
      const report = await checkSeams(seamInput(join(scratch, 'chunked'), rung));
      expect(report.problems, `${rung.id}: ${JSON.stringify(report.joins)}`).toEqual([]);
      expect(report.frames.chunked).toBe(120);
      expect(report.joins).toHaveLength(2);
    }
    const audio = await checkAudio(join(stream(join(scratch, 'chunked')), 'master.m3u8'), join(stream(join(scratch, 'single')), 'master.m3u8'));
    expect(audio.problems).toEqual([]);
  });

  it('fails the seam check when one chunk was encoded from a shifted offset', async () => {
    const broken = join(scratch, 'broken');
    await cp(join(scratch, 'chunked'), broken, { recursive: true });
    // c002 decodes from 2 frames too late, its segments replacing the good ones under the published playlists.
    const shifted: Plan = { ...plan, jobs: plan.jobs.map((j) => (j.id === 'c002' && j.chunk ? { ...j, chunk: { ...j.chunk, startFrame: j.chunk.startFrame + 2 } } : j)) };
    await runJobs(broken, [{ id: 'c002', plan: shifted }], false);
    const report = await checkSeams(seamInput(broken, plan.video[1]!));
    expect(report.problems.join('\n'), JSON.stringify(report.joins)).toMatch(/join at frame 40: frames 37\.\.42 match source frames shifted by 0, 0, 0, 2, 2, 2/);
  });

  it('fails a chunk job loudly when another chunk left a different init segment for its rung', async () => {
    const other = join(scratch, 'other-init');
    await cp(join(scratch, 'chunked'), other, { recursive: true });
    const init = join(stream(other), plan.version, '360p', 'init.mp4');
    const bytes = await readFile(init);
    bytes.writeUInt8(bytes.readUInt8(bytes.length - 1) ^ 0xff, bytes.length - 1);
    await writeFile(init, bytes);
    await expect(runJobs(other, [{ id: 'c002', plan }], false)).rejects.toThrow(/chunk c002: the init segment of 360p differs from the one another chunk wrote/);
  });

  it('passes the workflow\'s verify activity stitched, and fails it naming the join when a chunk\'s timing is off', async () => {
    const verifyIn = (root: string) => {
      const store = new LocalFolderStore(root);
      const verify = createVerify({ store, jobs: {} as JobRunner, config: loadConfig({}) });
      return new MockActivityEnvironment().run(verify, { source: { namespace: 'ns', bucket: 'media-in', object: 'clip.mp4', etag: 'etag-1' }, dest: { bucket: 'media-out', prefix: '' }, plan });
    };
    await expect(verifyIn(join(scratch, 'chunked'))).resolves.toEqual({ renditions: 3, segments: 10 });
    const late = join(scratch, 'late');
    await cp(join(scratch, 'chunked'), late, { recursive: true });
    const file = join(stream(late), plan.version, 'renditions', 'c003.json');
    const c003 = JSON.parse(await readFile(file, 'utf8')) as RenditionsFile;
    for (const r of c003.renditions) for (const seg of r.segments) seg.start += r.timescale / plan.fps;
    await writeFile(file, JSON.stringify(c003));
    await expect(verifyIn(late)).rejects.toThrow(/Outputs failed verification: rendition 480p, chunk c003: .*seg_00003\.m4s starts after a gap of 0\.100000 s/);
  });
});

// A time-split encode with the real transcoder command: three chunk jobs and the audio job of a 12 s
// source (chunks of one 4 s segment), then the remux job of its MP4 download, published by stitching
// alone, against the single-job encode of the same source; then the same run with one chunk encoded from
// a shifted offset, which the seam check must catch. Last, HEVC and AV1 rungs beside H.264 from a 10-bit
// HDR10 source, single and time-split.
import { cp, mkdir, mkdtemp, readFile, readdir, rm, copyFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkAudio, checkSeams } from '../../../bench/lib/seams.js';
import { chunkPlan, REMUX_JOB, segmentFrames } from '../../../src/domain/chunks.js';
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
import { ffprobe, tool } from './harness.js';

let scratch: string;
let clip: string;
let plan: Plan;
const stream = (store: string): string => join(store, 'media-out', 'clip.mp4');

/** The transcoder in process (as its command runs it, without a node start per job): the test's cost is the encodes. */
async function runJobs(store: string, jobs: { id: string; plan: Plan }[], publish = true, object = 'clip.mp4'): Promise<void> {
  const ctx = { env: { ...process.env, OCI_TRANSCODE_STORE: `local:${store}` }, events: createEventSink(() => undefined), log: () => undefined };
  // Sequential like instances finishing in turn; the last one publishes (stitching only).
  for (const [i, job] of jobs.entries()) {
    const last = publish && i === jobs.length - 1;
    await transcode({ source: `oci://ns/media-in/${object}`, dest: 'oci://ns/media-out/', plan: job.plan, jobId: job.id, publish: last }, ctx);
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

describe('HEVC and AV1 rungs beside H.264 (h264,hevc,av1) from a 10-bit HDR10 source, time-split', () => {
  let hdr: string;
  let multi: Plan;
  let chunked: Plan;
  const store = (): string => join(scratch, 'multi');
  const out = (): string => join(store(), 'media-out', 'hdr.mp4');
  const renditions = async (job: string): Promise<RenditionsFile> => JSON.parse(await readFile(join(out(), multi.version, 'renditions', `${job}.json`), 'utf8')) as RenditionsFile;
  beforeAll(async () => {
    // 8 s at 10 fps: two 4 s segments (of two 2 s GOPs), so the time-split run has a join; one size, cheap encodes.
    hdr = await makeClip('hdr10', { seconds: 8, width: 640, height: 360, fps: 10 });
    multi = planLadder(await probeSource(hdr), { etag: 'etag-1', videoCodecs: ['h264', 'hevc', 'av1'] });
    chunked = chunkPlan(multi, { thresholdSec: 5, chunkSec: 4 });
    await mkdir(join(store(), 'media-in'), { recursive: true });
    await copyFile(hdr, join(store(), 'media-in', 'hdr.mp4'));
    await runJobs(store(), chunked.jobs.map((j) => ({ id: j.id, plan: chunked })), true, 'hdr.mp4');
  }, 180_000);

  it('plans the extra codecs as more rungs of each chunk: HEVC Main10 and AV1 10-bit at 0.7 and 0.6 of the H.264 rate', () => {
    expect(multi.video.map((v) => v.id)).toEqual(['360p', '360p-hevc', '360p-av1']);
    const [h264, hevc, av1] = multi.video;
    expect(hevc).toMatchObject({ codec: 'hevc', profile: 'main10', bitDepth: 10, width: 640, height: 360, bitrate: Math.round((h264!.bitrate * 0.7) / 1000) * 1000 });
    expect(av1).toMatchObject({ codec: 'av1', profile: 'main', bitDepth: 10, bitrate: Math.round((h264!.bitrate * 0.6) / 1000) * 1000 });
    expect(chunked.jobs.map((j) => `${j.id}:${j.videoIds.join('+')}`)).toEqual(['audio:', 'c001:360p+360p-hevc+360p-av1', 'c002:360p+360p-hevc+360p-av1']);
  });

  it('ffmpeg decodes every rung through both masters, and CODECS say what ffprobe reads in the bytes', async () => {
    for (const manifest of ['master.m3u8', 'manifest.mpd']) {
      const probed = (await ffprobe(['-show_entries', 'stream=codec_name,width', join(out(), manifest)])) as { streams: { codec_name: string; width?: number }[] };
      expect(probed.streams.filter((s) => s.width).map((s) => s.codec_name).sort(), manifest).toEqual(['av1', 'h264', 'hevc']);
      const decoded = await tool('ffmpeg', ['-v', 'error', '-i', join(out(), manifest), '-map', '0', '-f', 'null', '-']);
      expect(decoded.code, decoded.stderr).toBe(0);
    }
    const master = await readFile(join(out(), 'master.m3u8'), 'utf8');
    const mpd = await readFile(join(out(), 'manifest.mpd'), 'utf8');
    // The first variant (where AVPlayer and hls.js start) is H.264; one DASH AdaptationSet per codec.
    expect(/#EXT-X-STREAM-INF:[^\n]*CODECS="([^"]+)"/.exec(master)?.[1]).toMatch(/^avc1\./);
    expect(mpd.match(/<AdaptationSet[^>]*contentType="video"/g)).toHaveLength(3);
    for (const v of multi.video) {
      // The rung's media playlist: its init segment and media (an H.264 init alone tells ffprobe no profile).
      const media = join(out(), multi.version, v.id, 'playlist.m3u8');
      const probe = async (what: string, file: string): Promise<Record<string, string | number>> => ((await ffprobe(['-show_entries', `stream=${what}`, file])) as { streams: Record<string, string | number>[] }).streams[0]!;
      const s = { ...(await probe('profile,level,pix_fmt,color_primaries,color_transfer,chroma_location', media)), ...(await probe('codec_tag_string', join(out(), multi.version, v.id, 'init.mp4'))) };
      const level = Number(s.level);
      // Independently of src/domain/codecs*.ts: ffprobe's tag, profile, level and pixel format, and what x264,
      // x265 and SVT-AV1 put in the flags ffprobe does not print (H.264 no constraint set; HEVC Main10-compatible,
      // progressive and frame-only). AV1 is tagged BT.709 (tone-mapped), limited range: the short form unless its
      // chroma sample position is known (ffmpeg's `left` is AV1's vertical, 1), which the long form then states.
      const csp = ({ left: 1, topleft: 2 } as Record<string, number>)[String(s.chroma_location)] ?? 0;
      const av1 = `av01.0.${String(level).padStart(2, '0')}M.10${csp ? `.0.11${csp}.01.01.01.0` : ''}`;
      const expected = { hevc: `hvc1.2.4.L${level}.90`, av1, h264: `avc1.6400${level.toString(16).padStart(2, '0')}` }[v.codec ?? 'h264'];
      expect({ tag: s.codec_tag_string, profile: s.profile, primaries: s.color_primaries, transfer: s.color_transfer }, v.id)
        .toEqual({ ...{ h264: { tag: 'avc1', profile: 'High' }, hevc: { tag: 'hvc1', profile: 'Main 10' }, av1: { tag: 'av01', profile: 'Main' } }[v.codec ?? 'h264'], primaries: 'bt709', transfer: 'bt709' });
      expect(s.pix_fmt, v.id).toBe(v.codec ? 'yuv420p10le' : 'yuv420p');
      expect(master, v.id).toContain(`CODECS="${expected},mp4a.40.2"`);
      expect(mpd, v.id).toContain(`codecs="${expected}"`);
    }
  });

  it('cuts the same segment boundaries in every codec, and every chunk writes one byte-identical init per rung', async () => {
    const chunks = await Promise.all(['c001', 'c002'].map(renditions));
    for (const file of chunks) {
      const bounds = file.renditions.map((r) => r.segments.map((s) => [s.start / r.timescale, s.duration / r.timescale]));
      expect(bounds).toHaveLength(3);
      for (const b of bounds) expect(b).toEqual(bounds[0]);
    }
    for (const v of multi.video) expect(new Set(chunks.map((f) => f.renditions.find((r) => r.id === v.id)?.initSha256)).size, v.id).toBe(1);
  });

  it('passes the workflow\'s verify activity, stitched', async () => {
    const audio = (await renditions('audio')).renditions[0]?.segments.length ?? 0;
    const verify = createVerify({ store: new LocalFolderStore(store()), jobs: {} as JobRunner, config: loadConfig({}) });
    const source = { namespace: 'ns', bucket: 'media-in', object: 'hdr.mp4', etag: 'etag-1' };
    await expect(new MockActivityEnvironment().run(verify, { source, dest: { bucket: 'media-out', prefix: '' }, plan: chunked })).resolves.toEqual({ renditions: 4, segments: 6 + audio });
  });
});

// Every source shape the issue names goes through the real command with --publish, once per shape
// (beforeAll), and the outputs are checked with ffmpeg/ffprobe and independent HLS/DASH readers.
import { createHash } from 'node:crypto';
import { readFile, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RenditionsFile } from '../../../src/domain/types.js';
import { makeClip, type ClipKind, type ClipOptions } from '../../helpers/clips.js';
import { dashReferences, ffprobe, filesUnder, hlsReferences, joinFiles, runCli, segmentStartsOnKeyframe, stageSource, tool, type CliRun } from './harness.js';

interface Expectation {
  clip?: ClipOptions;
  /** Video renditions as id:WxH, top first. */
  video: string[];
  audioChannels?: number;
  /** Also a 5.1 rendition of the source's 5.1 track (the command plans with surround on). */
  surround?: true;
}

const CASES: Record<ClipKind, Expectation> = {
  // 9 s at 480p: two rungs and three segments, so alignment is tested across real boundaries.
  landscape: { clip: { seconds: 9, width: 854, height: 480 }, video: ['480p:854x480', '360p:640x360'], audioChannels: 2 },
  portrait: { video: ['360p:360x640'], audioChannels: 2 },
  'no-audio': { video: ['360p:640x360'] },
  'audio-only': { video: [], audioChannels: 2 },
  surround: { video: ['360p:640x360'], audioChannels: 2, surround: true },
  'odd-size': { video: ['360p:640x360'], audioChannels: 2 },
  'non-square': { video: ['480p:852x480', '360p:640x360'], audioChannels: 2 },
  rotated: { video: ['360p:360x640'], audioChannels: 2 },
  'hevc-10bit': { video: ['360p:640x360'], audioChannels: 2 },
  vfr: { video: ['360p:640x360'], audioChannels: 2 },
};

const sha1 = async (path: string): Promise<string> => createHash('sha1').update(await readFile(path)).digest('hex');

interface SourceFacts {
  durationSec: number;
  displayWidth: number;
  displayHeight: number;
}

async function sourceFacts(path: string): Promise<SourceFacts> {
  const json = (await ffprobe(['-show_format', '-show_streams', path])) as {
    format: { duration: string };
    streams: { codec_type: string; width?: number; height?: number; sample_aspect_ratio?: string; side_data_list?: { rotation?: number }[] }[];
  };
  const v = json.streams.find((s) => s.codec_type === 'video');
  const [n, d] = (v?.sample_aspect_ratio ?? '1:1').split(':').map(Number);
  const width = Math.round((v?.width ?? 0) * ((n || 1) / (d || 1)));
  const turned = Math.abs(v?.side_data_list?.find((s) => s.rotation !== undefined)?.rotation ?? 0) % 180 === 90;
  return { durationSec: Number(json.format.duration), displayWidth: turned ? v?.height ?? 0 : width, displayHeight: turned ? width : v?.height ?? 0 };
}

describe.each(Object.keys(CASES) as ClipKind[])('transcode --publish: %s', (kind) => {
  const expected = CASES[kind];
  let staged: Awaited<ReturnType<typeof stageSource>>;
  let run: CliRun;
  let source: SourceFacts;
  let sourceHash: string;
  let stream: string;
  let file: RenditionsFile;
  const name = `clip ${kind} (1).${kind === 'audio-only' ? 'm4a' : kind === 'odd-size' ? 'mkv' : 'mp4'}`;

  beforeAll(async () => {
    const clip = await makeClip(kind, expected.clip);
    staged = await stageSource(clip, name);
    source = await sourceFacts(staged.source);
    sourceHash = await sha1(staged.source);
    run = await runCli(['--source', staged.source, '--dest', staged.dest, '--publish']);
    if (run.code !== 0) throw new Error(`transcode failed (${run.code}):\n${run.stderr}`);
    stream = join(staged.dest, name);
    const result = run.events[run.events.length - 1];
    if (result?.event !== 'result') throw new Error(`last event is not a result: ${JSON.stringify(result)}`);
    file = JSON.parse(await readFile(join(staged.dest, result.renditionsFile), 'utf8')) as RenditionsFile;
  }, 180_000);
  afterAll(async () => {
    if (staged) await rm(staged.root, { recursive: true, force: true });
  });

  it('reports progress and one result as JSON lines, and leaves the source untouched', async () => {
    expect(run.events.length).toBeGreaterThanOrEqual(2);
    expect(run.events.slice(0, -1).every((e) => e.event === 'progress')).toBe(true);
    const percents = run.events.filter((e) => e.event === 'progress').map((e) => e.percent);
    expect(percents).toEqual([...percents].sort((a, b) => a - b));
    // Throttled to about one a second (stage changes may add one each).
    expect(percents.length).toBeLessThanOrEqual(run.elapsedMs / 1000 + 6);
    expect(await sha1(staged.source)).toBe(sourceHash);
  });

  it('plans the expected renditions, none larger than the source, with codec strings of the output', () => {
    const video = file.renditions.filter((r) => r.kind === 'video');
    expect(video.map((r) => `${r.id}:${r.width}x${r.height}`)).toEqual(expected.video);
    for (const r of video) {
      expect(r.height).toBeLessThanOrEqual(source.displayHeight);
      expect(r.width).toBeLessThanOrEqual(source.displayWidth + 1);
      expect(r.codecs).toMatch(/^avc1\.64[0-9a-f]{4}$/);
    }
    const audio = file.renditions.filter((r) => r.kind === 'audio');
    expect(audio.map((r) => r.channels)).toEqual(expected.audioChannels ? [expected.audioChannels, ...(expected.surround ? [6] : [])] : []);
    for (const r of audio) expect(r.codecs).toBe('mp4a.40.2');
  });

  it('keeps every rendition within 100 ms of the source duration', () => {
    for (const r of file.renditions) {
      const total = r.segments.reduce((sum, s) => sum + s.duration, 0) / r.timescale;
      expect(Math.abs(total - source.durationSec), `${r.id}: ${total} s vs ${source.durationSec} s`).toBeLessThanOrEqual(0.1);
    }
  });

  it('cuts identical segment boundaries in every video rendition, each starting on a keyframe', async () => {
    const video = file.renditions.filter((r) => r.kind === 'video');
    const lists = video.map((r) => r.segments.map((s) => [s.start / r.timescale, s.duration / r.timescale]));
    for (const other of lists.slice(1)) expect(other).toEqual(lists[0]);
    for (const r of video) {
      for (const s of r.segments) {
        expect(await segmentStartsOnKeyframe(join(stream, r.initSegment ?? ''), join(stream, s.uri), staged.root), `${s.uri}`).toBe(true);
      }
    }
  });

  it('records segment times exactly: they are the keyframe times ffprobe reads from the media', async () => {
    for (const r of file.renditions.filter((x) => x.kind === 'video')) {
      const joined = await joinFiles([r.initSegment ?? '', ...r.segments.map((s) => s.uri)].map((u) => join(stream, u)), staged.root);
      const json = (await ffprobe(['-select_streams', 'v:0', '-show_entries', 'packet=pts,flags:stream=time_base', joined])) as {
        packets: { pts: number; flags: string }[];
        streams: { time_base: string }[];
      };
      expect(json.streams[0]?.time_base).toBe(`1/${r.timescale}`);
      const keyframes = json.packets.filter((p) => p.flags.startsWith('K')).map((p) => p.pts - (json.packets[0]?.pts ?? 0));
      // Offsets from the first segment: the demuxer may shift the whole track by its edit list.
      const starts = r.segments.map((s) => s.start - (r.segments[0]?.start ?? 0));
      expect(starts.filter((t) => !keyframes.includes(t)), `${r.id}: segment starts that are no keyframe time`).toEqual([]);
      const total = r.segments.reduce((sum, s) => sum + s.duration, 0);
      expect(json.packets.length * (r.timescale / 30)).toBe(total);
    }
  });

  it('decodes every rendition through master.m3u8 and through the MPD, with every referenced file present', async () => {
    const master = join(stream, 'master.m3u8');
    const mpd = join(stream, 'manifest.mpd');
    for (const manifest of [master, mpd]) {
      const decoded = await tool('ffmpeg', ['-v', 'error', '-i', manifest, '-map', '0', '-f', 'null', '-']);
      expect(decoded.code, `${manifest}: ${decoded.stderr}`).toBe(0);
    }
    const refs = [...(await hlsReferences(master)), ...(await dashReferences(mpd)).files];
    const missing: string[] = [];
    for (const ref of refs) if (!((await stat(ref).catch(() => undefined))?.size)) missing.push(ref);
    expect(missing).toEqual([]);
    const streams = (await ffprobe(['-show_streams', mpd])) as { streams: { codec_type: string; codec_name: string; channels?: number }[] };
    expect(streams.streams.filter((s) => s.codec_type === 'video').length).toBe(expected.video.length);
    expect(streams.streams.filter((s) => s.codec_type === 'audio').map((a) => a.channels)).toEqual(expected.audioChannels ? [expected.audioChannels, ...(expected.surround ? [6] : [])] : []);
  });

  it('describes the same segments in the MPD as in renditions.json', async () => {
    const { representations } = await dashReferences(join(stream, 'manifest.mpd'));
    for (const r of file.renditions) {
      expect(representations.find((rep) => rep.id === r.id)?.segments).toEqual(r.segments.map((s) => ({ t: s.start, d: s.duration })));
    }
  });

  it('writes the poster (public PNG, JPEG) and a storyboard for video, nothing for audio only', async () => {
    const thumb = join(staged.dest, 'thumbnails', `${name}_thumb.png`);
    if (expected.video.length === 0) {
      expect(file.thumbnails).toBeUndefined();
      expect(await filesUnder(join(staged.dest, 'thumbnails'))).toEqual([]);
      return;
    }
    const t = file.thumbnails;
    expect(t?.png && t.jpeg && t.storyboard).toBeTruthy();
    for (const picture of [thumb, join(stream, t?.png ?? ''), join(stream, t?.jpeg ?? '')]) {
      const json = (await ffprobe(['-show_streams', picture])) as { streams: { width: number; height: number }[] };
      const s = json.streams[0];
      expect(s && s.width <= source.displayWidth + 1 && s.height <= source.displayHeight).toBe(true);
    }
    const sheet = (await ffprobe(['-show_streams', join(stream, t?.storyboard?.image ?? '')])) as { streams: { width: number; height: number }[] };
    const vtt = await readFile(join(stream, t?.storyboard?.vtt ?? ''), 'utf8');
    const cues = [...vtt.matchAll(/#xywh=(\d+),(\d+),(\d+),(\d+)/g)].map((m) => m.slice(1).map(Number));
    expect(cues.length).toBeGreaterThan(0);
    for (const [x, y, w, h] of cues) expect((x ?? 0) + (w ?? 0) <= (sheet.streams[0]?.width ?? 0) && (y ?? 0) + (h ?? 0) <= (sheet.streams[0]?.height ?? 0)).toBe(true);
  });

  it('normalises the picture: H.264 yuv420p 8-bit, square pixels, no rotation left, constant frame rate', async () => {
    const top = file.renditions.find((r) => r.kind === 'video');
    if (!top) return;
    const json = (await ffprobe(['-show_streams', '-select_streams', 'v:0', join(stream, top.playlist)])) as {
      streams: { codec_name: string; pix_fmt: string; sample_aspect_ratio?: string; r_frame_rate: string; avg_frame_rate: string; side_data_list?: unknown[] }[];
    };
    const v = json.streams[0];
    expect(v?.codec_name).toBe('h264');
    expect(v?.pix_fmt).toBe('yuv420p');
    expect(v?.sample_aspect_ratio ?? '1:1').toBe('1:1');
    expect(v?.side_data_list ?? []).toEqual([]);
    expect(top.frameRate).toBe(30);
  });

  it('encodes every video rung with capped CRF: x264 says rc=crf in the stream, under a 2 s buffer at the cap', async () => {
    for (const r of file.renditions.filter((x) => x.kind === 'video')) {
      // x264 writes its settings as SEI user data into the first frame, so into the first segment.
      const bytes = await readFile(join(stream, r.segments[0]?.uri ?? ''));
      const options = /x264 - core \d+[^\0]*? options: ([^\0]*)/.exec(bytes.toString('latin1'))?.[1] ?? '';
      expect(options, r.id).toMatch(/\brc=crf mbtree=\d crf=23\.0\b/);
      const [, maxrate, bufsize] = /\bvbv_maxrate=(\d+) vbv_bufsize=(\d+)/.exec(options) ?? [];
      expect(Number(bufsize), r.id).toBe(2 * Number(maxrate));
    }
  });
});

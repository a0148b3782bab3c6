// The command as the workflow runs it (oci:// uris over a folder store, --plan/--job, publish by the
// last job), the legacy MPEG-TS option, the seed preset, and progress read back from a mixed log tail.
import { mkdir, mkdtemp, readFile, rm, writeFile, copyFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { planLadder } from '../../../src/domain/ladder.js';
import type { RenditionsFile } from '../../../src/domain/types.js';
import { probeSource } from '../../../src/media/probe.js';
import { parseLatestProgress } from '../../../src/domain/contract.js';
import { makeClip } from '../../helpers/clips.js';
import { ffprobe, filesUnder, hlsReferences, runCli, tool, type CliRun } from './harness.js';

let scratch: string;
let clip: string;
beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'transcoder-jobs-'));
  clip = await makeClip('landscape', { seconds: 9, width: 854, height: 480 });
});
afterAll(async () => rm(scratch, { recursive: true, force: true }));

const decodes = async (manifest: string): Promise<void> => {
  const r = await tool('ffmpeg', ['-v', 'error', '-i', manifest, '-map', '0', '-f', 'null', '-']);
  expect(r.code, r.stderr).toBe(0);
};

describe('per-rendition jobs over oci:// uris (OCI_TRANSCODE_STORE=local:<dir>)', () => {
  it('writes only each job\'s renditions, and the publishing job writes the masters last', async () => {
    const store = join(scratch, 'store');
    await mkdir(join(store, 'media-in'), { recursive: true });
    await copyFile(clip, join(store, 'media-in', 'clip.mp4'));
    const probe = await probeSource(clip);
    const plan = planLadder(probe, { parallelism: 'per-rendition', etag: 'etag-1' });
    expect(plan.jobs.map((j) => j.id)).toEqual(['480p', '360p']);
    const planFile = join(scratch, 'plan.json');
    await writeFile(planFile, JSON.stringify(plan));
    const env = { OCI_TRANSCODE_STORE: `local:${store}` };
    const common = ['--source', 'oci://ns/media-in/clip.mp4', '--dest', 'oci://ns/media-out/vod/'];
    const stream = join(store, 'media-out', 'vod', 'clip.mp4');
    const names = async (): Promise<string[]> => (await filesUnder(join(store, 'media-out'))).map((f) => relative(join(store, 'media-out'), f));

    const first = await runCli([...common, '--plan', JSON.stringify(plan), '--job', '480p'], env);
    expect(first.code, first.stderr).toBe(0);
    const v = plan.version;
    expect(await names()).toEqual([
      `vod/clip.mp4/${v}/480p/init.mp4`,
      `vod/clip.mp4/${v}/480p/playlist.m3u8`,
      ...[1, 2, 3].map((n) => `vod/clip.mp4/${v}/480p/seg_0000${n}.m4s`),
      `vod/clip.mp4/${v}/renditions/480p.json`,
    ]);

    const second = await runCli([...common, '--plan', planFile, '--job', '360p', '--publish'], env);
    expect(second.code, second.stderr).toBe(0);
    const after = await names();
    expect(after.filter((n) => n.includes('/480p/'))).toHaveLength(5);
    for (const expected of [
      `vod/clip.mp4/${v}/360p/init.mp4`, `vod/clip.mp4/${v}/audio/playlist.m3u8`, `vod/clip.mp4/${v}/poster.png`, `vod/clip.mp4/${v}/storyboard.vtt`,
      `vod/clip.mp4/${v}/renditions/360p.json`, 'vod/clip.mp4/master.m3u8', 'vod/clip.mp4/manifest.mpd', 'vod/thumbnails/clip.mp4_thumb.png',
    ]) expect(after).toContain(expected);
    const job360 = JSON.parse(await readFile(join(stream, v, 'renditions', '360p.json'), 'utf8')) as RenditionsFile;
    expect(job360.renditions.map((r) => r.id)).toEqual(['360p', 'audio']);
    expect(job360.thumbnails?.png).toBe(`${v}/poster.png`);

    const master = await readFile(join(stream, 'master.m3u8'), 'utf8');
    expect(master).toContain('RESOLUTION=854x480');
    expect(master).toContain('RESOLUTION=640x360');
    await decodes(join(stream, 'master.m3u8'));
    await decodes(join(stream, 'manifest.mpd'));
    // Jobs encoded in separate processes still cut the same boundaries.
    const job480 = JSON.parse(await readFile(join(stream, v, 'renditions', '480p.json'), 'utf8')) as RenditionsFile;
    const bounds = (f: RenditionsFile): number[][] => f.renditions[0]?.segments.map((s) => [s.start, s.duration]) ?? [];
    expect(bounds(job480)).toEqual(bounds(job360));
  });

  it('refuses a --job the plan does not have, before writing anything', async () => {
    const dir = join(scratch, 'nojob');
    await mkdir(join(dir, 'in'), { recursive: true });
    await copyFile(clip, join(dir, 'in', 'c.mp4'));
    const plan = planLadder(await probeSource(clip), { parallelism: 'per-rendition' });
    const run = await runCli(['--source', join(dir, 'in', 'c.mp4'), '--dest', join(dir, 'out'), '--plan', JSON.stringify(plan), '--job', '1080p']);
    expect(run.code).toBe(64);
    expect(run.stderr).toMatch(/the plan has no job "1080p" \(jobs: 480p, 360p\)/);
    expect(await filesUnder(join(dir, 'out'))).toEqual([]);
  });
});

describe('legacy HLS with MPEG-TS segments', () => {
  let run: CliRun;
  let stream: string;
  let file: RenditionsFile;
  beforeAll(async () => {
    const dir = join(scratch, 'ts');
    await mkdir(join(dir, 'in'), { recursive: true });
    await copyFile(clip, join(dir, 'in', 'legacy.mp4'));
    run = await runCli(['--source', join(dir, 'in', 'legacy.mp4'), '--dest', join(dir, 'out'), '--segment-format', 'ts', '--formats', 'hls,dash', '--publish']);
    if (run.code !== 0) throw new Error(run.stderr);
    stream = join(dir, 'out', 'legacy.mp4');
    const result = run.events.at(-1);
    file = JSON.parse(await readFile(join(dir, 'out', result?.event === 'result' ? result.renditionsFile : ''), 'utf8')) as RenditionsFile;
  }, 180_000);

  it('writes .ts segments and an HLS master only (no DASH from TS), which ffmpeg decodes', async () => {
    expect(file.segmentFormat).toBe('ts');
    const files = (await filesUnder(stream)).map((f) => relative(stream, f));
    expect(files).toContain('master.m3u8');
    expect(files).not.toContain('manifest.mpd');
    expect(files.filter((f) => f.endsWith('.m4s') || f.endsWith('init.mp4'))).toEqual([]);
    const refs = await hlsReferences(join(stream, 'master.m3u8'));
    expect(refs.filter((r) => r.endsWith('.ts')).length).toBe(file.renditions.reduce((n, r) => n + r.segments.length, 0));
    await decodes(join(stream, 'master.m3u8'));
    // High profile; 480p at 30 fps needs level 3.1, 360p fits 3.0 (from the SPS of the output itself).
    expect(file.renditions.map((r) => r.codecs)).toEqual(['avc1.64001f', 'avc1.64001e', 'mp4a.40.2']);
  });

  it('aligns TS segments across renditions and starts each on a keyframe', async () => {
    const video = file.renditions.filter((r) => r.kind === 'video');
    expect(video[1]?.segments.map((s) => s.duration)).toEqual(video[0]?.segments.map((s) => s.duration));
    for (const r of video) {
      for (const s of r.segments) {
        const json = (await ffprobe(['-select_streams', 'v:0', '-show_entries', 'packet=flags', '-read_intervals', '%+#1', join(stream, s.uri)])) as { packets: { flags: string }[] };
        expect(json.packets[0]?.flags, s.uri).toMatch(/^K/);
      }
    }
  });

  it('lets the workflow read progress and the result from a tail mixing stdout and stderr, cut mid-line', () => {
    const out = run.stdout.split('\n').filter(Boolean);
    const err = run.stderr.split('\n').filter(Boolean);
    const mixed: string[] = [];
    for (let i = 0; i < Math.max(out.length, err.length); i++) mixed.push(...[err[i], out[i]].filter((l): l is string => l !== undefined));
    const tail = mixed.join('\n').slice(25);
    expect(parseLatestProgress(tail)).toEqual(run.events.at(-1));
    const beforeEnd = mixed.slice(0, mixed.indexOf(out.at(-1) ?? '')).join('\n');
    expect(parseLatestProgress(beforeEnd)?.event).toBe('progress');
  });
});

describe('seed preset', () => {
  it('reproduces the original: GOP 48, 5 s segment targets, mono 44.1 kHz AAC, no upscale', async () => {
    const dir = join(scratch, 'seed');
    await mkdir(join(dir, 'in'), { recursive: true });
    await copyFile(clip, join(dir, 'in', 'seed.mp4'));
    const run = await runCli(['--source', join(dir, 'in', 'seed.mp4'), '--dest', join(dir, 'out'), '--preset', 'seed', '--formats', 'hls']);
    expect(run.code, run.stderr).toBe(0);
    const result = run.events.at(-1);
    const file = JSON.parse(await readFile(join(dir, 'out', result?.event === 'result' ? result.renditionsFile : ''), 'utf8')) as RenditionsFile;
    expect(file.renditions.map((r) => `${r.id}:${r.width ?? ''}x${r.height ?? ''}`)).toEqual(['480p:854x480', '360p:640x360', 'audio:x']);
    // Keyframes every 48 frames (1.6 s): the first boundary at or after 5 s is 6.4 s.
    expect(file.renditions[0]?.segments.map((s) => s.duration / (file.renditions[0]?.timescale ?? 1))).toEqual([6.4, 2.6]);
    const audio = (await ffprobe(['-show_streams', join(dir, 'out', 'seed.mp4', file.renditions[2]?.playlist ?? '')])) as { streams: { channels: number; sample_rate: string }[] };
    expect(audio.streams[0]).toMatchObject({ channels: 1, sample_rate: '44100' });
  });
});

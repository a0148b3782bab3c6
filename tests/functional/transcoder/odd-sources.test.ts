// Short and odd sources (issue 12, item 7): anything the probe accepts transcodes or fails with exit 65,
// never a crash (exit 70) that the workflow would retry on fresh instances.
import { readFile, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { chunkPlan } from '../../../src/domain/chunks.js';
import { planLadder } from '../../../src/domain/ladder.js';
import type { RenditionsFile } from '../../../src/domain/types.js';
import { parseIdet } from '../../../src/media/ffprobe.js';
import { probeSource } from '../../../src/media/probe.js';
import { makeClip, sdrReference } from '../../helpers/clips.js';
import { ffprobe, filesUnder, joinFiles, runCli, stageSource, tool } from './harness.js';

const roots: string[] = [];
afterAll(async () => {
  for (const root of roots) await rm(root, { recursive: true, force: true });
});

async function transcoded(clip: string, name: string): Promise<{ run: Awaited<ReturnType<typeof runCli>>; files: string[]; renditions?: RenditionsFile }> {
  const staged = await stageSource(clip, name);
  roots.push(staged.root);
  const run = await runCli(['--source', staged.source, '--dest', staged.dest, '--publish']);
  const files = await filesUnder(staged.dest);
  const json = files.find((f) => f.endsWith('/renditions/all.json'));
  return { run, files, ...(json ? { renditions: JSON.parse(await readFile(json, 'utf8')) as RenditionsFile } : {}) };
}

describe('short and odd sources', () => {
  it('a 0.4 s source transcodes, thumbnails and storyboard included (it crashed with exit 70)', async () => {
    const { run, files, renditions } = await transcoded(await makeClip('landscape', { seconds: 0.4, width: 320, height: 180 }), 'blink.mp4');
    expect(run.code, run.stderr).toBe(0);
    expect(files.map((f) => f.split('/').pop())).toEqual(expect.arrayContaining(['storyboard.jpg', 'storyboard.vtt', 'poster.jpg', 'master.m3u8', 'manifest.mpd']));
    for (const r of renditions?.renditions ?? []) expect(r.durationSec).toBeGreaterThan(0.3);
    expect(renditions?.renditions.map((r) => r.kind).sort()).toEqual(['audio', 'video']);
  });

  it('a file whose audio and subtitle outlast its video is valid: each stream is judged by its own duration', async () => {
    const clip = await makeClip('outlasting-tracks', { seconds: 2, width: 320, height: 180 });
    const { run, renditions } = await transcoded(clip, 'outlast.mkv');
    expect(run.code, run.stderr).toBe(0);
    const byKind = Object.fromEntries((renditions?.renditions ?? []).map((r) => [r.kind, r.durationSec]));
    expect(byKind.video).toBeCloseTo(2, 1);
    expect(byKind.audio).toBeGreaterThan(2.95);
    expect(run.stderr).not.toMatch(/ends early/);
  });
});

describe('interlaced sources', () => {
  const idet = async (path: string, frames?: number): Promise<{ tff: number; bff: number; progressive: number }> => {
    const r = await tool('ffmpeg', ['-hide_banner', '-nostdin', '-i', path, '-map', '0:v:0', '-vf', 'idet', ...(frames ? ['-frames:v', String(frames)] : []), '-f', 'null', '-']);
    const counts = parseIdet(r.stderr);
    if (!counts) throw new Error(`no idet counts: ${r.stderr.slice(-400)}`);
    return counts;
  };

  it('detects a broadcast MPEG-2 TS as interlaced (flag confirmed by idet), deinterlaces it, and the output is progressive', async () => {
    // Two segments (4 s and 2 s): the DTS defect was at a join.
    const clip = await makeClip('interlaced-ts', { seconds: 6, width: 640, height: 360, fps: 25 });
    const source = await idet(clip);
    expect(source.tff).toBeGreaterThan(10 * (source.progressive + source.bff)); // the clip really is combed
    const probe = await probeSource(clip);
    expect(probe.video?.interlace).toMatchObject({ flagged: 'tff', verdict: 'tff', idet: { tff: expect.any(Number) as unknown } });
    expect(planLadder(probe).picture?.deinterlace).toEqual({ filter: 'bwdif', fieldOrder: 'tff' });

    const staged = await stageSource(clip, 'broadcast.ts');
    roots.push(staged.root);
    const run = await runCli(['--source', staged.source, '--dest', staged.dest, '--publish']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toMatch(/deinterlaced \(bwdif, tff\)/);
    const files = await filesUnder(staged.dest);
    const top = files.filter((f) => f.includes('/360p/') && /(init\.mp4|\.m4s)$/.test(f));
    const out = await idet(await joinFiles(top, staged.root));
    expect(out.progressive).toBeGreaterThan(0.9 * (out.tff + out.bff + out.progressive));
    expect(out.progressive).toBeGreaterThan(120); // 25 fps kept: 150 frames, not halved

    // Reading the DASH output back (and remuxing it, where ffmpeg checks DTS order) is clean.
    const mpd = files.find((f) => f.endsWith('manifest.mpd')) ?? '';
    const remux = await tool('ffmpeg', ['-hide_banner', '-nostdin', '-v', 'warning', '-i', mpd, '-map', '0', '-c', 'copy', '-f', 'mp4', '-y', join(staged.root, 'remux.mp4')]);
    expect(remux.code, remux.stderr).toBe(0);
    expect(remux.stderr).not.toMatch(/non monotonically increasing dts|Invalid|error/i);
    // And decoding through either master: ffmpeg's DASH reader opens each segment afresh and shifts its PTS by
    // the segment's own most negative composition offset; adaptive B-frames made that differ (two frames on one PTS).
    for (const master of [mpd, files.find((f) => f.endsWith('master.m3u8')) ?? '']) {
      const read = await tool('ffmpeg', ['-hide_banner', '-nostdin', '-i', resolve(master), '-map', '0', '-f', 'null', '-']);
      expect(read.code, read.stderr).toBe(0);
      expect(read.stderr, master).not.toMatch(/non monotonically increasing dts/i);
    }
  });
});

describe('HDR sources', () => {
  /** Mean luma and the mean 10th-90th percentile spread (signalstats YLOW/YHIGH) over every frame. */
  const luma = async (args: string[]): Promise<{ mean: number; spread: number }> => {
    const r = await tool('ffmpeg', ['-hide_banner', '-nostdin', ...args, '-vf', 'format=yuv420p,signalstats,metadata=print:file=-', '-an', '-f', 'null', '-']);
    const values = (key: string): number[] => [...r.stdout.matchAll(new RegExp(`lavfi\\.signalstats\\.${key}=([\\d.]+)`, 'g'))].map((m) => Number(m[1]));
    const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
    if (values('YAVG').length === 0) throw new Error(`no signalstats: ${r.stderr.slice(-400)}`);
    return { mean: mean(values('YAVG')), spread: mean(values('YHIGH')) - mean(values('YLOW')) };
  };

  it.each(['hdr10', 'hlg'] as const)('tone-maps %s to SDR BT.709: tagged so, and not washed out against the SDR render', async (kind) => {
    const o = { seconds: 2, width: 320, height: 180, fps: 25 };
    const clip = await makeClip(kind, o);
    const staged = await stageSource(clip, `${kind}.mp4`);
    roots.push(staged.root);
    const run = await runCli(['--source', staged.source, '--dest', staged.dest]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toMatch(new RegExp(`tone-mapped \\(${kind === 'hlg' ? 'hlg' : 'pq'} -> bt709\\)`));
    const top = (await filesUnder(staged.dest)).filter((f) => f.includes('/180p/') && /(init\.mp4|\.m4s)$/.test(f));
    const output = await joinFiles(top, staged.root);
    const reference = await luma(['-f', 'lavfi', '-i', sdrReference(o)]);
    const mapped = await luma(['-i', output]);
    // Stated band: mean luma within 15 % of the SDR render, contrast at least 75 % of it. Encoding
    // the PQ or HLG signal as if it were SDR (no tone map) gave a mean 21 % (PQ) or 18 % (HLG) lower.
    expect(Math.abs(mapped.mean - reference.mean) / reference.mean).toBeLessThan(0.15);
    expect(mapped.spread / reference.spread).toBeGreaterThan(0.75);
    const tags = (await ffprobe(['-show_streams', output])) as { streams: Record<string, string>[] };
    expect(tags.streams[0]).toMatchObject({ pix_fmt: 'yuv420p', color_transfer: 'bt709', color_primaries: 'bt709', color_space: 'bt709' });
  });

  it('tone-maps the poster of a job that encodes no video rung (as the audio job of a time-split run cuts it)', async () => {
    const o = { seconds: 8, width: 320, height: 180, fps: 25 };
    const clip = await makeClip('hdr10', o);
    const plan = chunkPlan(planLadder(await probeSource(clip), { etag: 'e' }), { thresholdSec: 1, chunkSec: 4 });
    expect(plan.jobs[0]).toMatchObject({ id: 'audio', videoIds: [], thumbnails: true });
    const staged = await stageSource(clip, 'hdr-long.mp4');
    roots.push(staged.root);
    const run = await runCli(['--source', staged.source, '--dest', staged.dest, '--plan', JSON.stringify(plan), '--job', 'audio']);
    expect(run.code, run.stderr).toBe(0);
    const poster = (await filesUnder(staged.dest)).find((f) => f.endsWith('poster.png'))!;
    const reference = await luma(['-f', 'lavfi', '-i', sdrReference(o), '-frames:v', '1']);
    // Left in PQ (the bug), this poster's mean luma was 21 % below the SDR render's.
    expect(Math.abs((await luma(['-i', poster])).mean - reference.mean) / reference.mean).toBeLessThan(0.15);
  });
});

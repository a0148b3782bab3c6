// Downloads and loudness (issue 12, items 3 and 4), through the real transcoder command with a plan as the
// workflow makes it: the MP4 and M4A remuxed from the CMAF outputs (faststart, playable, the source's
// duration), a source at about -16 LUFS normalised to -23, and what job.json records of both. Measured
// here independently of the product: ffmpeg's ebur128 filter (not loudnorm), and a box walker of our own.
import { open, readFile, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jobRecord } from '../../../src/activities/job-record.js';
import { publishedDownloads } from '../../../src/activities/publish.js';
import { planLadder } from '../../../src/domain/ladder.js';
import { normalizationMode, normalizeFilter, parseLoudnormReports } from '../../../src/domain/loudness.js';
import { streamPrefix } from '../../../src/domain/layout.js';
import type { LoudnessSpec, Plan, RenditionsFile } from '../../../src/domain/types.js';
import { probeSource } from '../../../src/media/probe.js';
import { makeClip } from '../../helpers/clips.js';
import { ffprobe, filesUnder, runCli, stageSource, tool, type CliRun } from './harness.js';

interface Run {
  root: string;
  dest: string;
  plan: Plan;
  cli: CliRun;
  file: RenditionsFile;
  files: string[];
}

async function transcode(loudness: LoudnessSpec, downloads: string): Promise<Run> {
  const staged = await stageSource(await makeClip('loud', { seconds: 2, width: 320, height: 180 }), 'loud.mp4');
  const plan = planLadder(await probeSource(staged.source), { loudness, downloads });
  const cli = await runCli(['--source', staged.source, '--dest', staged.dest, '--plan', JSON.stringify(plan), '--publish']);
  const files = await filesUnder(staged.dest);
  const json = files.find((f) => f.endsWith('/renditions/all.json'));
  const file = JSON.parse(await readFile(json ?? '', 'utf8').catch(() => '{}')) as RenditionsFile;
  return { root: staged.root, dest: staged.dest, plan, cli, file, files };
}

/** Integrated loudness and true peak by ffmpeg's ebur128 filter (another implementation than loudnorm). */
async function ebur128(input: string): Promise<{ i: number; tp: number }> {
  const r = await tool('ffmpeg', ['-hide_banner', '-nostats', '-i', input, '-map', '0:a:0', '-af', 'ebur128=peak=true', '-f', 'null', '-']);
  expect(r.code, r.stderr).toBe(0);
  const summary = r.stderr.slice(r.stderr.lastIndexOf('Summary:'));
  return { i: Number(/I:\s+(-?[\d.]+) LUFS/.exec(summary)?.[1]), tp: Number(/True peak:\s+Peak:\s+(-?[\d.]+) dBFS/.exec(summary)?.[1]) };
}

/** Top-level MP4 boxes, read here from the bytes (not with the product's reader). */
async function boxes(path: string): Promise<string[]> {
  const file = await open(path, 'r');
  const size = (await file.stat()).size;
  const out: string[] = [];
  const head = Buffer.alloc(8);
  for (let at = 0; at < size;) {
    await file.read(head, 0, 8, at);
    out.push(head.toString('latin1', 4, 8));
    const length = head.readUInt32BE(0);
    if (length < 8) break;
    at += length;
  }
  await file.close();
  return out;
}

const TARGET: LoudnessSpec = { mode: 'normalize', targetLufs: -23, truePeakDbtp: -1 };
let normalized: Run;
let measured: Run;

beforeAll(async () => {
  normalized = await transcode(TARGET, 'top');
  measured = await transcode({ ...TARGET, mode: 'measure' }, 'off');
}, 60_000);
afterAll(() => Promise.all([normalized, measured].map((r) => r && rm(r.root, { recursive: true, force: true }))));

const file = (run: Run, suffix: string): string => run.files.find((f) => f.endsWith(suffix)) ?? `(no ${suffix})`;

describe('downloads', () => {
  it('remuxes an MP4 of the top rung with the main audio and an M4A of it, listed with sizes and durations', async () => {
    expect(normalized.cli.code, normalized.cli.stderr).toBe(0);
    const version = normalized.plan.version;
    expect(normalized.file.downloads?.map((d) => [d.kind, d.name, d.videoId, d.audioId])).toEqual([
      ['m4a', `${version}/download/audio.m4a`, undefined, 'audio'],
      ['mp4', `${version}/download/180p.mp4`, '180p', 'audio'],
    ]);
    for (const d of normalized.file.downloads ?? []) {
      expect(d.bytes).toBe((await stat(file(normalized, d.name))).size);
      expect(Math.abs(d.durationSec - 2)).toBeLessThan(0.05);
    }
  });

  it('the MP4 is faststart (moov before mdat), carries H.264 and AAC and decodes whole at the source duration', async () => {
    const mp4 = file(normalized, '/download/180p.mp4');
    const top = await boxes(mp4);
    expect(top.indexOf('moov')).toBeGreaterThanOrEqual(0);
    expect(top.indexOf('moov')).toBeLessThan(top.indexOf('mdat'));
    expect(top).not.toContain('moof'); // a plain MP4, not fragments
    const probed = (await ffprobe(['-show_format', '-show_streams', mp4])) as { format: { duration: string }; streams: { codec_type: string; codec_name: string }[] };
    expect(probed.streams.map((s) => [s.codec_type, s.codec_name])).toEqual([['video', 'h264'], ['audio', 'aac']]);
    expect(Math.abs(Number(probed.format.duration) - 2)).toBeLessThan(0.05);
    const frames = await tool('ffprobe', ['-v', 'error', '-count_frames', '-select_streams', 'v:0', '-show_entries', 'stream=nb_read_frames', '-of', 'csv=p=0', mp4]);
    expect(frames.stdout.trim()).toBe('60');
  });

  it('the M4A is audio only, faststart, and decodes', async () => {
    const m4a = file(normalized, '/download/audio.m4a');
    const top = await boxes(m4a);
    expect(top.indexOf('moov')).toBeLessThan(top.indexOf('mdat'));
    const probed = (await ffprobe(['-show_streams', m4a])) as { streams: { codec_type: string }[] };
    expect(probed.streams.map((s) => s.codec_type)).toEqual(['audio']);
    const decoded = await tool('ffmpeg', ['-v', 'error', '-i', m4a, '-f', 'null', '-']);
    expect(decoded.code, decoded.stderr).toBe(0);
  });

  it('is not made when the plan says off', () => {
    expect(measured.cli.code, measured.cli.stderr).toBe(0);
    expect(measured.file.downloads).toBeUndefined();
    expect(measured.files.filter((f) => f.includes('/download/'))).toEqual([]);
  });
});

describe('loudness', () => {
  it('normalises a -16 LUFS source to within 1 LU of -23 (linear, under the true-peak ceiling), measured independently', async () => {
    const audio = normalized.file.renditions.find((r) => r.id === 'audio');
    expect(audio?.loudness?.source.integratedLufs).toBeCloseTo(-16, 0);
    expect(Math.abs((audio?.loudness?.output.integratedLufs ?? 0) + 23)).toBeLessThan(1);
    expect(audio?.loudness?.normalized).toEqual({ targetLufs: -23, truePeakDbtp: -1, mode: 'linear' });
    // What a player decodes through the master, and the download, by another meter.
    for (const input of [file(normalized, '/master.m3u8'), file(normalized, '/download/audio.m4a')]) {
      const { i, tp } = await ebur128(input);
      expect(Math.abs(i + 23), input).toBeLessThan(1);
      expect(tp, input).toBeLessThanOrEqual(-1);
    }
  });

  it('predicts the mode ffmpeg itself reports for the second pass (linear here)', async () => {
    const pass = (filter: string): Promise<{ code: number; stderr: string }> =>
      tool('ffmpeg', ['-hide_banner', '-nostats', '-i', join(normalized.root, 'media-in', 'loud.mp4'), '-map', '0:a:0', '-af', `aformat=channel_layouts=stereo,${filter}`, '-f', 'null', '-']);
    const first = parseLoudnormReports((await pass('loudnorm=I=-23:TP=-1:print_format=json')).stderr).values().next().value;
    expect(first).toBeDefined();
    if (!first) return;
    const second = await pass(`${normalizeFilter(first, TARGET)}:print_format=json`);
    expect(/"normalization_type" : "(\w+)"/.exec(second.stderr)?.[1]).toBe(normalizationMode(first, TARGET));
    expect(normalizationMode(first, TARGET)).toBe('linear');
  });

  it('measures source and output without changing them when normalisation is off', async () => {
    const loudness = measured.file.renditions.find((r) => r.id === 'audio')?.loudness;
    expect(loudness?.normalized).toBeUndefined();
    expect(loudness?.source.integratedLufs).toBeCloseTo(-16, 0);
    expect(Math.abs((loudness?.output.integratedLufs ?? 0) - (loudness?.source.integratedLufs ?? 99))).toBeLessThan(0.5);
    expect(loudness?.output.truePeakDbtp).toBeGreaterThan(-17);
    expect(Math.abs((await ebur128(file(measured, '/master.m3u8'))).i + 16)).toBeLessThan(1);
  });
});

describe('job.json', () => {
  it('records the downloads (bucket-relative), each audio rendition\'s loudness and the plan\'s settings', () => {
    const dest = { bucket: 'media-out', prefix: '' };
    const source = { namespace: 'local', bucket: 'media-in', object: 'loud.mp4', etag: 'e1' };
    const timings = { startedAt: '2026-01-01T00:00:00.000Z', finishedAt: '2026-01-01T00:00:10.000Z', totalSec: 10, stages: {} };
    const record = jobRecord({
      outcome: 'succeeded', source, dest, plan: normalized.plan, renditions: normalized.file.renditions,
      facts: { workflow: { id: 'w', runId: 'r' }, timings, attempts: {} },
      downloads: publishedDownloads(streamPrefix(dest, source.object), [normalized.file]),
    });
    expect(record.downloads?.map((d) => [d.kind, d.name])).toEqual([
      ['m4a', `loud.mp4/${normalized.plan.version}/download/audio.m4a`],
      ['mp4', `loud.mp4/${normalized.plan.version}/download/180p.mp4`],
    ]);
    expect(record.downloads?.every((d) => d.bytes > 0 && d.durationSec > 1.9)).toBe(true);
    const audio = record.renditions?.find((r) => r.id === 'audio');
    expect(audio?.loudness?.output.integratedLufs).toBeCloseTo(normalized.file.renditions.find((r) => r.id === 'audio')?.loudness?.output.integratedLufs ?? 0, 5);
    expect(record.renditions?.find((r) => r.kind === 'video')?.loudness).toBeUndefined();
    expect(record.plan?.loudness).toEqual(TARGET);
    expect(record.plan?.downloads).toEqual({ videoId: '180p', mp4Job: 'all', m4aJob: 'all' });
  });
});

// Which job makes which download (domain/downloads.ts), and loudnorm's report and second pass (domain/loudness.ts).
import { describe, expect, it } from 'vitest';
import { chunkPlan, previewFirst, REMUX_JOB } from '../../../src/domain/chunks.js';
import { planSchema } from '../../../src/domain/contract.js';
import { downloadRung, planDownloads, streamPlan } from '../../../src/domain/downloads.js';
import { planLadder } from '../../../src/domain/ladder.js';
import { normalizationMode, normalizeFilter, parseLoudnormReports, unnormalizable } from '../../../src/domain/loudness.js';
import type { SourceProbe } from '../../../src/domain/types.js';

const probe = (seconds: number, audio = true): SourceProbe => ({
  formatName: 'mov,mp4', durationSec: seconds, sizeBytes: 1e6, audioStreamCount: audio ? 1 : 0,
  video: { index: 0, codec: 'h264', pixFmt: 'yuv420p', bitDepth: 8, codedWidth: 1920, codedHeight: 1080, rotation: 0, sar: [1, 1], displayWidth: 1920, displayHeight: 1080, fps: 30, vfr: false, bitRate: 8e6 },
  ...(audio ? { audio: { index: 1, codec: 'aac', channels: 2, sampleRate: 48000 } } : {}),
});

describe('planDownloads', () => {
  it('gives a single-job plan both downloads, of the top rung by default or of the rung named', () => {
    expect(planLadder(probe(60), { downloads: 'top' }).downloads).toEqual({ videoId: '1080p', mp4Job: 'all', m4aJob: 'all' });
    expect(planLadder(probe(60), { downloads: '720p' }).downloads).toEqual({ videoId: '720p', mp4Job: 'all', m4aJob: 'all' });
    expect(planLadder(probe(60)).downloads).toBeUndefined();
    expect(planLadder(probe(60), { downloads: 'off' }).downloads).toBeUndefined();
  });

  it('takes the highest rung below a rung the source is too small for', () => {
    const plan = planLadder(probe(60), {});
    expect(downloadRung({ video: plan.video.slice(2) }, '1080p')).toBe('480p');
    expect(downloadRung(plan, '540p')).toBe('480p');
    expect(downloadRung(plan, '240p')).toBe('360p');
  });

  it('skips the MP4 where no job holds the rung and the audio, and says why', () => {
    expect(planLadder(probe(60), { downloads: 'top', parallelism: 'per-rendition' }).downloads).toEqual({
      videoId: '1080p', m4aJob: '360p', skipped: ['no MP4: rung 1080p and the main audio are encoded by different jobs (per-rendition parallelism)'],
    });
    expect(planLadder(probe(60), { downloads: '360p', parallelism: 'per-rendition' }).downloads).toEqual({ videoId: '360p', mp4Job: '360p', m4aJob: '360p' });
    const chunked = chunkPlan(planLadder(probe(3600), { downloads: 'top' }), { thresholdSec: 1200, chunkSec: 60 });
    expect(chunked.downloads).toEqual({ videoId: '1080p', m4aJob: 'audio', skipped: ['no MP4: a time-split run has no job holding the whole 1080p rung'] });
  });

  it('gives a time-split run a remux job for the MP4, last, encoding nothing', () => {
    const chunked = chunkPlan(planLadder(probe(3600), { downloads: '720p' }), { thresholdSec: 1200, chunkSec: 60 }, { remuxDownload: true });
    expect(chunked.downloads).toEqual({ videoId: '720p', mp4Job: REMUX_JOB, m4aJob: 'audio' });
    expect(chunked.jobs.at(-1)).toEqual({ id: REMUX_JOB, videoIds: [], audio: false, thumbnails: false, remux: true });
    expect(chunked.jobs.filter((j) => j.remux)).toHaveLength(1);
    expect(planSchema.parse(chunked)).toEqual(chunked);
    // No download, no remux job: nothing for it to make.
    for (const downloads of ['off', undefined]) {
      const none = chunkPlan(planLadder(probe(3600), downloads ? { downloads } : {}), { thresholdSec: 1200, chunkSec: 60 }, { remuxDownload: true });
      expect(none.jobs.some((j) => j.remux), String(downloads)).toBe(false);
    }
    // The stream is published without it, the MP4 said to follow; the whole plan is published after it.
    const stream = streamPlan(chunked);
    expect(stream.jobs).toEqual(chunked.jobs.slice(0, -1));
    expect(stream.downloads).toEqual({ videoId: '720p', m4aJob: 'audio', skipped: [`the MP4 follows the stream: job ${REMUX_JOB} remuxes it once the stream is published`] });
    const single = planLadder(probe(60), { downloads: 'top' });
    expect(streamPlan(single)).toBe(single);
    // Preview first keeps it last, and does not count it among the jobs that wait for an instance.
    const preview = previewFirst(chunked, 20);
    expect(preview.jobs.at(-1)?.id).toBe(REMUX_JOB);
    expect(previewFirst(chunked, chunked.jobs.length - 1)).toBe(chunked);
  });

  it('makes none without audio or with MPEG-TS segments', () => {
    expect(planLadder(probe(60, false), { downloads: 'top' }).downloads?.skipped?.[0]).toMatch(/no audio/);
    expect(planLadder(probe(60), { downloads: 'top', segmentFormat: 'ts' }).downloads).toEqual({ skipped: ['downloads are remuxed from CMAF segments; this plan writes MPEG-TS'] });
    expect(planDownloads({ video: [], audio: undefined, jobs: [], segmentFormat: 'cmaf' }, 'off')).toBeUndefined();
  });
});

const LOG = `[Parsed_loudnorm_0 @ 0x1] \n{\n\t"input_i" : "-16.04",\n\t"input_tp" : "-14.90",\n\t"input_lra" : "0.00",\n\t"input_thresh" : "-26.04",\n\t"output_i" : "-23.0",\n\t"normalization_type" : "dynamic",\n\t"target_offset" : "0.04"\n}
[loudnorm@t1 @ 0x2] \n{\n\t"input_i" : "-inf",\n\t"input_tp" : "-inf",\n\t"input_lra" : "0.00",\n\t"input_thresh" : "-70.00",\n\t"target_offset" : "inf"\n}`;

describe('loudness', () => {
  const target = { mode: 'normalize' as const, targetLufs: -23, truePeakDbtp: -1 };
  const reports = parseLoudnormReports(LOG);
  const hot = reports.get('Parsed_loudnorm_0')!;
  const silent = reports.get('t1')!;

  it('reads every loudnorm report by instance, silence as null', () => {
    expect(hot).toEqual({ integratedLufs: -16.04, truePeakDbtp: -14.9, rangeLu: 0, thresholdLufs: -26.04, targetOffset: 0.04 });
    expect(silent).toMatchObject({ integratedLufs: null, truePeakDbtp: null, targetOffset: 0 });
    expect(unnormalizable(silent)).toMatch(/silent/);
    expect(unnormalizable(hot)).toBeUndefined();
  });

  it('is linear when the gain keeps the true peak under the ceiling, dynamic when it would not', () => {
    expect(normalizationMode(hot, target)).toBe('linear');
    // -30 LUFS peaking at -3 dBTP: +7 dB would peak at +4, over -1.
    expect(normalizationMode({ ...hot, integratedLufs: -30, truePeakDbtp: -3 }, target)).toBe('dynamic');
    expect(normalizationMode({ ...hot, rangeLu: 12.3 }, target)).toBe('linear');
  });

  it('feeds the measurements back, a steady source\'s 0 LU range as 0.01 and the LRA target never below it', () => {
    expect(normalizeFilter(hot, target)).toBe('loudnorm=I=-23.00:TP=-1.00:LRA=7.00:measured_I=-16.04:measured_TP=-14.90:measured_LRA=0.01:measured_thresh=-26.04:offset=0.04:linear=true');
    expect(normalizeFilter({ ...hot, rangeLu: 12.3 }, target)).toMatch(/:LRA=13\.00:.*measured_LRA=12\.30/);
  });
});

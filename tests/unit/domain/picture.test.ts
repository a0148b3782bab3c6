import { describe, expect, it } from 'vitest';
import { planLadder } from '../../../src/domain/ladder.js';
import { flaggedFieldOrder, hdrTransfer, judgeInterlace, planPicture } from '../../../src/domain/picture.js';
import type { SourceProbe, VideoProbe } from '../../../src/domain/types.js';
import { planSummary } from '../../../src/activities/job-record.js';
import { parseIdet } from '../../../src/media/ffprobe.js';

const video = (over: Partial<VideoProbe> = {}): VideoProbe => ({
  index: 0, codec: 'mpeg2video', pixFmt: 'yuv420p', bitDepth: 8, codedWidth: 1920, codedHeight: 1080, rotation: 0, sar: [1, 1],
  displayWidth: 1920, displayHeight: 1080, fps: 25, vfr: false, ...over,
});
const probe = (v: VideoProbe): SourceProbe => ({ formatName: 'mpegts', durationSec: 30, sizeBytes: 1e7, video: v, audioStreamCount: 0 });

describe('interlacing', () => {
  it('reads the field order a player shows from ffprobe\'s field_order', () => {
    expect(['tt', 'bb', 'tb', 'bt', 'progressive', 'unknown', undefined].map(flaggedFieldOrder)).toEqual(['tff', 'bff', 'bff', 'tff', undefined, undefined, undefined]);
  });

  it('confirms the flag with idet: combed frames keep it, a progressive sample overrules it, a still sample does not', () => {
    expect(judgeInterlace('tff', { tff: 190, bff: 0, progressive: 10, undetermined: 0 }).verdict).toBe('tff');
    // idet's order wins over a wrong flag
    expect(judgeInterlace('tff', { tff: 3, bff: 150, progressive: 40, undetermined: 7 }).verdict).toBe('bff');
    // progressive content flagged interlaced (PsF): no combing on most frames
    expect(judgeInterlace('tff', { tff: 12, bff: 4, progressive: 180, undetermined: 4 }).verdict).toBe('progressive');
    // a still or black sample decides nothing: the flag stands
    expect(judgeInterlace('bff', { tff: 0, bff: 0, progressive: 6, undetermined: 194 }).verdict).toBe('bff');
    expect(judgeInterlace('bff', undefined)).toEqual({ flagged: 'bff', verdict: 'bff' });
  });

  it('plans bwdif at the frame rate (not a PAFF stream\'s field rate) and says so in job.json', () => {
    const interlace = judgeInterlace('tff', { tff: 190, bff: 0, progressive: 10, undetermined: 0 });
    // H.264 PAFF in TS: r_frame_rate is the field rate, avg the frame rate
    const plan = planLadder(probe(video({ interlace, vfr: true, baseFps: 50 })));
    expect(plan.picture).toEqual({ interlace, deinterlace: { filter: 'bwdif', fieldOrder: 'tff' } });
    expect(plan.fps).toBe(25);
    expect(planSummary(plan, {}).picture?.deinterlace).toEqual({ filter: 'bwdif', fieldOrder: 'tff' });
    const psf = judgeInterlace('tff', { tff: 1, bff: 1, progressive: 190, undetermined: 8 });
    expect(planPicture(video({ interlace: psf }))).toEqual({ interlace: psf });
    expect(planLadder(probe(video())).picture).toBeUndefined();
  });

  it('parses idet\'s multi-frame line, not the single-frame one', () => {
    const log = '[Parsed_idet_0 @ 0x1] Repeated Fields: Neither: 75\n[Parsed_idet_0 @ 0x1] Single frame detection: TFF:    31 BFF:    26 Progressive:    18 Undetermined:     0\n' +
      '[Parsed_idet_0 @ 0x1] Multi frame detection: TFF:    37 BFF:    22 Progressive:    16 Undetermined:     1\n';
    expect(parseIdet(log)).toEqual({ tff: 37, bff: 22, progressive: 16, undetermined: 1 });
    expect(parseIdet('nothing')).toBeUndefined();
  });
});

describe('HDR', () => {
  it('tone-maps PQ and HLG sources by their transfer, taking untagged primaries as BT.2020', () => {
    expect(['smpte2084', 'arib-std-b67', 'bt709', undefined].map(hdrTransfer)).toEqual(['pq', 'hlg', undefined, undefined]);
    const pq = planLadder(probe(video({ codec: 'hevc', bitDepth: 10, color: { transfer: 'smpte2084', primaries: 'bt2020', matrix: 'bt2020nc' } })));
    expect(pq.picture).toEqual({ toneMap: { from: 'pq', primaries: 'bt2020', matrix: 'bt2020nc', operator: 'mobius', to: 'bt709' } });
    expect(planPicture(video({ color: { transfer: 'arib-std-b67' } }))?.toneMap).toMatchObject({ from: 'hlg', primaries: 'bt2020', matrix: 'bt2020nc' });
    // 10-bit SDR (BT.709 or untagged) is only converted to 8-bit
    expect(planPicture(video({ bitDepth: 10, color: { transfer: 'bt709' } }))).toBeUndefined();
    expect(planSummary(pq, {}).picture?.toneMap?.from).toBe('pq');
  });
});

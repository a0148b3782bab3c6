import { describe, expect, it } from 'vitest';
import { posterFrame, posterSize, storyboardLayout, storyboardVttText } from '../../../src/transcoder/thumbnails.js';
import { peakBitrate } from '../../../src/transcoder/outputs.js';

describe('poster', () => {
  it('fits the original 1280x720 box, turned for portrait, never upscaled, even', () => {
    expect(posterSize(1920, 1080)).toEqual({ width: 1280, height: 720 });
    expect(posterSize(1080, 1920)).toEqual({ width: 720, height: 1280 });
    expect(posterSize(640, 360)).toEqual({ width: 640, height: 360 });
    expect(posterSize(853, 480)).toEqual({ width: 852, height: 480 });
    expect(posterSize(2560, 1080)).toEqual({ width: 1280, height: 540 });
  });

  it('is taken at 10 s, or from the first frame of shorter sources', () => {
    expect(posterFrame(60, 30)).toBe(300);
    expect(posterFrame(10, 30)).toBe(0);
    expect(posterFrame(4, 25)).toBe(0);
  });
});

describe('storyboard', () => {
  it('puts a tile every few seconds, at most 100, in one sheet with a spare cell', () => {
    expect(storyboardLayout(4, 640, 360)).toEqual({ intervalSec: 2, tileWidth: 160, tileHeight: 90, columns: 3, rows: 1, count: 2 });
    const hour = storyboardLayout(3600, 1920, 1080);
    expect(hour).toMatchObject({ intervalSec: 36, count: 100, columns: 10, rows: 11 });
    expect(storyboardLayout(60, 360, 640)).toMatchObject({ tileWidth: 90, tileHeight: 160 });
    expect(storyboardLayout(10, 100, 50)).toMatchObject({ tileWidth: 100, tileHeight: 50 });
  });

  it('writes WebVTT cues with xywh fragments, the last one ending at the duration', () => {
    const layout = storyboardLayout(25, 640, 360);
    const vtt = storyboardVttText(layout, 25, 'storyboard.jpg');
    expect(vtt.startsWith('WEBVTT\n\n00:00:00.000 --> 00:00:02.000\nstoryboard.jpg#xywh=0,0,160,90\n')).toBe(true);
    // Tile 11 wraps to the second row of a 10-column sheet.
    expect(vtt).toContain('00:00:20.000 --> 00:00:22.000\nstoryboard.jpg#xywh=0,90,160,90');
    expect(vtt.trimEnd().split('\n').slice(-2)).toEqual(['00:00:24.000 --> 00:00:25.000', 'storyboard.jpg#xywh=320,90,160,90']);
  });
});

describe('peakBitrate', () => {
  it('is the highest segment rate, counting a tiny last segment with its predecessor', () => {
    expect(peakBitrate([{ bytes: 1000, durationSec: 4 }, { bytes: 3000, durationSec: 4 }])).toBe(6000);
    // A 21 ms AAC tail of 574 bytes would claim 215 kbit/s on its own.
    expect(peakBitrate([{ bytes: 64_000, durationSec: 4 }, { bytes: 574, durationSec: 0.021333 }])).toBe(Math.ceil((64_574 * 8) / 4.021333));
    expect(peakBitrate([{ bytes: 500, durationSec: 1 }])).toBe(4000);
  });
});

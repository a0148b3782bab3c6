import { describe, expect, it } from 'vitest';
import { toneMapChain } from '../../../src/transcoder/ffmpeg.js';

const rung = (width: number, height: number) => ({ width, height, bitrate: 1e6, maxrate: 1.5e6, bufsize: 2e6, profile: 'high' as const, level: '4.0' });
const pq = { from: 'pq' as const, primaries: 'bt2020', matrix: 'bt2020nc' };

describe('toneMapChain', () => {
  it('tone-maps once at the job\'s top rung, from the source\'s transfer, primaries and matrix, to BT.709', () => {
    const chain = toneMapChain({ toneMap: pq, video: [rung(1920, 1080), rung(1280, 720)] });
    expect(chain).toBe('zscale=w=1920:h=1080:tin=smpte2084:pin=bt2020:min=bt2020nc:t=linear:npl=100,format=gbrpf32le,' +
      'zscale=p=bt709,tonemap=mobius:desat=0,zscale=t=bt709:m=bt709:r=tv,format=yuv420p,');
    expect(toneMapChain({ toneMap: { ...pq, from: 'hlg' }, video: [rung(640, 360)] })).toMatch(/^zscale=w=640:h=360:tin=arib-std-b67:/);
    expect(toneMapChain({ video: [rung(640, 360)] })).toBe('');
  });

  it('keeps the poster\'s size when a one-rung job (per-rendition) also cuts a larger poster: no upscaled poster', () => {
    const thumbnails = { posterFrame: 0, posterWidth: 1280, posterHeight: 720, png: 'p.png', jpeg: 'p.jpg' };
    expect(toneMapChain({ toneMap: pq, video: [rung(640, 360)], thumbnails })).toMatch(/^zscale=w=1280:h=720:/);
  });
});

// Rendition metadata shaped like the transcoder's renditions.json, for the manifest and verify tests.
import type { RenditionMeta, RenditionsFile } from '../../../../src/domain/types.js';

export const VERSION = 'v-1a2b3c4d';

/** Segments of `seconds` each (last one shorter), exact in a 90 kHz timescale. */
export function segmentsOf(folder: string, durations: number[], timescale = 90_000, bytes = 100_000, ext = 'm4s'): RenditionMeta['segments'] {
  let start = 0;
  return durations.map((sec, i) => {
    const duration = Math.round(sec * timescale);
    const seg = { uri: `${folder}seg_${String(i + 1).padStart(5, '0')}.${ext}`, durationSec: duration / timescale, bytes, start, duration };
    start += duration;
    return seg;
  });
}

export function videoRendition(height: number, opts: Partial<RenditionMeta> = {}, durations = [4, 4, 2.5]): RenditionMeta {
  const width = Math.round((height * 16) / 9 / 2) * 2;
  const folder = `${VERSION}/${height}p/`;
  const segments = segmentsOf(folder, durations);
  return {
    id: `${height}p`,
    kind: 'video',
    codecs: height >= 720 ? 'avc1.64001f' : 'avc1.4d401e',
    width,
    height,
    frameRate: 30,
    peakBitrate: height * 5000,
    averageBitrate: height * 4000,
    playlist: `${folder}playlist.m3u8`,
    initSegment: `${folder}init.mp4`,
    timescale: 90_000,
    segments,
    durationSec: durations.reduce((a, b) => a + b, 0),
    ...opts,
  };
}

export function audioRendition(opts: Partial<RenditionMeta> = {}, durations = [4, 4, 2.5]): RenditionMeta {
  const folder = `${VERSION}/audio/`;
  let start = 0;
  const segments = durations.map((sec, i) => {
    const duration = Math.round(sec * 48_000);
    const seg = { uri: `${folder}seg_${String(i + 1).padStart(5, '0')}.m4s`, durationSec: duration / 48_000, bytes: 20_000, start, duration };
    start += duration;
    return seg;
  });
  return {
    id: 'audio',
    kind: 'audio',
    codecs: 'mp4a.40.2',
    channels: 2,
    sampleRate: 48_000,
    peakBitrate: 131_000,
    averageBitrate: 128_000,
    playlist: `${folder}playlist.m3u8`,
    initSegment: `${folder}init.mp4`,
    timescale: 48_000,
    segments,
    durationSec: durations.reduce((a, b) => a + b, 0),
    ...opts,
  };
}

export function renditionsFile(jobId: string, renditions: RenditionMeta[], opts: Partial<RenditionsFile> = {}): RenditionsFile {
  return { schema: 1, jobId, version: VERSION, segmentFormat: 'cmaf', durationSec: 10.5, renditions, ...opts };
}

// HEVC and AV1 rungs beside the H.264 ladder (OCI_TRANSCODE_CODECS). Pure: the workflow plans with it.
// Each extra codec gets a full ladder, the same sizes as H.264 at a fraction of its bit rate: a DASH player
// switches only within the AdaptationSet (codec) it chose, and an HLS player that picked HEVC should find
// every step down in HEVC too; the lower rungs are the cheap part of the CPU (docs/transcoder.md).
import type { SegmentFormat, VideoCodec, VideoRendition } from './types.js';

/**
 * Bit rate of an extra codec's rung relative to the H.264 rung of the same size: the usual 0.6-0.7 (true of
 * slow presets). At the presets we run the benchmark source comes out 0.008 (HEVC) and 0.029 (AV1, which
 * also undershoots its target) SSIM below H.264 (BENCHMARKS.md "Modern codecs"); no sweep done yet.
 */
/** maxrate over bitrate of an HEVC or AV1 rung. */
export const ABR_PEAK = 1.5;
export const CODEC_BITRATE_FACTOR: Record<Exclude<VideoCodec, 'h264'>, number> = { hevc: 0.7, av1: 0.6 };

/** H.264 rungs: the default ladder, the one downloads, thumbnails and the preview use. */
export const isH264 = (v: Pick<VideoRendition, 'codec'>): boolean => (v.codec ?? 'h264') === 'h264';

const roundKbps = (bps: number): number => Math.max(1000, Math.round(bps / 1000) * 1000);

export interface CodecRungs {
  video: VideoRendition[];
  /** Why the configured extra codecs were left out. */
  skipped?: string;
}

/**
 * The H.264 rungs, then each extra codec's rungs in the order configured (ids `720p-hevc`, `720p-av1`).
 * Extra codecs keep the source's bit depth: 10-bit (HEVC Main10, AV1 Main 10-bit) from a 10-bit source.
 * MPEG-TS segments carry H.264 only: HLS wants HEVC and AV1 in fMP4 (the hvc1 sample entry is an MP4 one).
 */
export function addCodecRungs(h264: VideoRendition[], codecs: readonly VideoCodec[], o: { segmentFormat: SegmentFormat; sourceBitDepth: number }): CodecRungs {
  const extra = [...new Set(codecs)].filter((c): c is Exclude<VideoCodec, 'h264'> => c !== 'h264');
  if (extra.length === 0 || h264.length === 0) return { video: h264 };
  if (o.segmentFormat === 'ts') return { video: h264, skipped: `${extra.join(', ')} not encoded: MPEG-TS segments carry H.264 only (HEVC and AV1 need CMAF)` };
  const ten = o.sourceBitDepth >= 10;
  const rungs = extra.flatMap((codec) =>
    h264.map((v): VideoRendition => {
      const factor = CODEC_BITRATE_FACTOR[codec];
      const bitrate = roundKbps(v.bitrate * factor);
      return {
        id: `${v.id}-${codec}`,
        width: v.width,
        height: v.height,
        bitrate,
        // One-pass ABR (x265, SVT-AV1), whose peaks need room above the target: SVT-AV1 refuses a maxrate
        // that is not above it. The H.264 rung's maxrate is its capped-CRF cap, its bitrate.
        maxrate: roundKbps(bitrate * ABR_PEAK),
        bufsize: Math.round(v.bufsize * factor),
        profile: codec === 'hevc' && ten ? 'main10' : 'main',
        level: 'auto',
        codec,
        ...(ten ? { bitDepth: 10 as const } : {}),
      };
    }),
  );
  return { video: [...h264, ...rungs] };
}

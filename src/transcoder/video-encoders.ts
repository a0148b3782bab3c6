// The encoder options of one video rung, by codec: libx264 (the default ladder), libx265 (HEVC) and
// libsvtav1 (AV1). Every rung of a job shares the closed, fixed GOP ffmpeg.ts sets (-g, forced keyframes on
// the same frame numbers), so segments of every codec start on the same frames; the per-codec parameters
// below repeat that where an encoder does not take it from ffmpeg's generic options.
import type { VideoRendition } from '../domain/types.js';

/**
 * Fast presets for the CPU (the extra ladders are optional and run beside x264 veryfast): even so an HEVC
 * ladder costs about 2.9x and an AV1 ladder 2.5x the CPU of the whole H.264 run (BENCHMARKS.md "Modern
 * codecs"); slower presets were not measured.
 */
export const X265_PRESET = 'veryfast';
export const SVTAV1_PRESET = 10;

export type EncodedRung = Pick<VideoRendition, 'bitrate' | 'maxrate' | 'bufsize' | 'crf' | 'profile' | 'level' | 'codec' | 'bitDepth'>;

export const pixelFormat = (v: Pick<VideoRendition, 'bitDepth'>): string => (v.bitDepth === 10 ? 'yuv420p10le' : 'yuv420p');

/** Output options of video stream `i` (after its -map). */
export function videoEncoderOptions(v: EncodedRung, i: number, o: { gopFrames: number; x264Preset: string }): string[] {
  const cap = [`-maxrate:v:${i}`, String(v.maxrate), `-bufsize:v:${i}`, String(v.bufsize)];
  const rate = [`-b:v:${i}`, String(v.bitrate), ...cap];
  const g = o.gopFrames;
  switch (v.codec ?? 'h264') {
    case 'h264':
      // Capped CRF (quality target under the VBV cap) when the plan says so, else one-pass ABR. A fixed
      // B-frame pattern (b_strategy 0): with adaptive B-frames the most negative composition offset differed
      // between segments, and ffmpeg's DASH reader, which shifts each segment by its own, put two frames on
      // one timestamp at a join ("non monotonically increasing dts").
      return [`-c:v:${i}`, 'libx264', ...(v.crf === undefined ? rate : [`-crf:v:${i}`, String(v.crf), ...cap]), `-profile:v:${i}`, v.profile, `-level:v:${i}`, v.level,
        `-preset:v:${i}`, o.x264Preset, `-b_strategy:v:${i}`, '0', `-pix_fmt:v:${i}`, pixelFormat(v)];
    case 'hevc':
      // hvc1: parameter sets in the sample entry only, what Apple's players and MSE want (hev1 repeats them
      // in-band). x265 opens GOPs and cuts on scene changes by default, and turns forced keyframes into
      // non-IDR I frames unless told: all three would misalign or break segment starts. Its level is its own
      // (the lowest that fits), read back from the output.
      return [`-c:v:${i}`, 'libx265', ...rate, `-profile:v:${i}`, v.profile, `-preset:v:${i}`, X265_PRESET, `-tag:v:${i}`, 'hvc1', `-forced-idr:v:${i}`, '1',
        `-x265-params:v:${i}`, `keyint=${g}:min-keyint=${g}:scenecut=0:open-gop=0:log-level=error`, `-pix_fmt:v:${i}`, pixelFormat(v)];
    case 'av1':
      // SVT-AV1's key frames are closed (irefresh-type 2) and it detects no scene changes by default; -g is
      // its intra period. Main profile covers 8- and 10-bit 4:2:0; the level is its own, read back.
      return [`-c:v:${i}`, 'libsvtav1', ...rate, `-preset:v:${i}`, String(SVTAV1_PRESET), `-svtav1-params:v:${i}`, 'irefresh-type=2:scd=0', `-pix_fmt:v:${i}`, pixelFormat(v)];
  }
}

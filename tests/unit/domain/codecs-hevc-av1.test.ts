// HEVC and AV1 codec strings from synthetic decoder configuration records (built here bit by bit, not with
// the reader under test), and from the bytes SVT-AV1 and x265 wrote for a 320x180 10-bit encode.
import { describe, expect, it } from 'vitest';
import { CodecError, parseHexDump } from '../../../src/domain/codecs.js';
import { av1CodecFromAv1c, av1CodecString, readAv1c } from '../../../src/domain/codecs-av1.js';
import { hevcCodecFromHvcc, hevcCodecString } from '../../../src/domain/codecs-hevc.js';

/** An HEVCDecoderConfigurationRecord's first 23 bytes (no parameter set arrays). */
function hvcc(o: { space?: number; tier?: number; profile: number; compat: number; constraints: number[]; level: number }): Uint8Array {
  const c = o.compat >>> 0;
  return Uint8Array.from([1, ((o.space ?? 0) << 6) | ((o.tier ?? 0) << 5) | o.profile, c >>> 24, (c >>> 16) & 255, (c >>> 8) & 255, c & 255, ...o.constraints, o.level,
    0xf0, 0x00, 0xfc, 0xfd, 0xf8, 0xf8, 0x00, 0x00, 0x0f, 0x00]);
}

class BitWriter {
  private bits: number[] = [];
  put(value: number, n: number): this {
    for (let i = n - 1; i >= 0; i--) this.bits.push(Math.floor(value / 2 ** i) % 2);
    return this;
  }
  bytes(): number[] {
    const out: number[] = [];
    for (let i = 0; i < this.bits.length; i += 8) out.push(this.bits.slice(i, i + 8).reduce((b, bit, k) => b | (bit << (7 - k)), 0));
    return out;
  }
}

/** A sequence_header_obu() payload: optional timing/decoder model info and two operating points, then color_config. */
function sequenceHeader(o: { profile: number; level: number; timing?: boolean; high: boolean; color?: [number, number, number]; fullRange: number }): number[] {
  const w = new BitWriter().put(o.profile, 3).put(0, 1).put(0, 1); // still_picture, reduced_still_picture_header
  w.put(o.timing ? 1 : 0, 1);
  if (o.timing) {
    w.put(1001, 32).put(30000, 32).put(1, 1).put(0b1, 1); // equal_picture_interval, uvlc() of 0
    w.put(1, 1).put(9, 5).put(1001, 32).put(4, 5).put(4, 5); // decoder_model_info: 10-bit buffer delays
  }
  w.put(1, 1); // initial_display_delay_present_flag
  w.put(1, 5); // two operating points
  for (const level of [o.level, 9]) {
    w.put(0x101, 12).put(level, 5);
    if (level > 7) w.put(1, 1); // seq_tier
    if (o.timing) w.put(1, 1).put(500, 10).put(500, 10).put(0, 1);
    w.put(1, 1).put(3, 4);
  }
  w.put(10, 4).put(9, 4).put(1919, 11).put(1079, 10); // frame size bits and maximum size
  w.put(1, 1).put(2, 4).put(3, 3); // frame_id_numbers_present_flag and its lengths
  w.put(0b011, 3).put(0b1100, 4).put(1, 1).put(0b11, 2); // superblock..intra edge; compound..dual filter; order hint, jnt, ref mvs
  w.put(0, 1).put(1, 1).put(0, 1).put(0, 1); // screen content not chosen but forced on; integer mv not chosen, not forced
  w.put(6, 3).put(0b011, 3); // order_hint_bits_minus_1; superres, cdef, restoration
  w.put(o.high ? 1 : 0, 1).put(0, 1); // high_bitdepth, mono_chrome
  w.put(o.color ? 1 : 0, 1);
  if (o.color) for (const c of o.color) w.put(c, 8);
  w.put(o.fullRange, 1).put(0, 2).put(0, 1).put(0, 1); // color_range, chroma_sample_position, separate_uv_delta_q, film grain
  return w.bytes();
}

function av1c(o: Parameters<typeof sequenceHeader>[0] & { tier?: number }): Uint8Array {
  const obu = sequenceHeader(o);
  return Uint8Array.from([0x81, (o.profile << 5) | o.level, ((o.tier ?? 0) << 7) | ((o.high ? 1 : 0) << 6) | 0b1100, 0, 0x0a, obu.length, ...obu]);
}

describe('hevcCodecString (ISO/IEC 14496-15 E.3)', () => {
  it('writes profile, reversed compatibility flags, tier and level, and the non-zero constraint bytes', () => {
    // Main10 at level 4.1 (123), as Apple's authoring examples list it.
    expect(hevcCodecFromHvcc('hvc1', hvcc({ profile: 2, compat: 0x20000000, constraints: [0xb0, 0, 0, 0, 0, 0], level: 123 }))).toBe('hvc1.2.4.L123.B0');
    // Main, compatible with Main and Main10 (flags 1 and 2), level 3.1 (93): the spec's own example.
    expect(hevcCodecFromHvcc('hev1', hvcc({ profile: 1, compat: 0x60000000, constraints: [0xb0, 0, 0, 0, 0, 0], level: 93 }))).toBe('hev1.1.6.L93.B0');
    // Profile space 1 (A), high tier, flags 0 and 6, a second constraint byte and zero bytes between kept.
    expect(hevcCodecFromHvcc('hvc1', hvcc({ space: 1, tier: 1, profile: 4, compat: 0x82000000, constraints: [0xb0, 0, 0x23, 0, 0, 0], level: 120 }))).toBe('hvc1.A4.41.H120.B0.0.23');
    expect(hevcCodecFromHvcc('hvc1', hvcc({ profile: 1, compat: 0x60000000, constraints: [0, 0, 0, 0, 0, 0], level: 60 }))).toBe('hvc1.1.6.L60');
  });

  it('refuses what is not an hvcC record or an HEVC sample entry', () => {
    expect(() => hevcCodecFromHvcc('hvc1', Uint8Array.from([0, 0, 0, 1, 0x40, 1]))).toThrow(CodecError);
    expect(() => hevcCodecFromHvcc('hvc1', hvcc({ profile: 2, compat: 0, constraints: [0, 0, 0, 0, 0, 0], level: 123 }).subarray(0, 12))).toThrow(/at least 23/);
    expect(() => hevcCodecString('avc1', { profileSpace: 0, tier: 0, profileIdc: 1, compatibility: 0, constraints: [0, 0, 0, 0, 0, 0], levelIdc: 93 })).toThrow(/hvc1 or hev1/);
    expect(() => hevcCodecFromHvcc('hvc1', hvcc({ profile: 1, compat: 0, constraints: [0, 0, 0, 0, 0, 0], level: 0 }))).toThrow(/level_idc/);
  });
});

describe('av1CodecString (AV1 ISOBMFF, Codecs Parameter String)', () => {
  it('gives the short form when the colour description is the default (BT.709, limited range)', () => {
    expect(av1CodecFromAv1c(av1c({ profile: 0, level: 8, high: true, color: [1, 1, 1], fullRange: 0 }))).toBe('av01.0.08M.10');
  });

  it('gives the long form otherwise: untagged (2), HDR10 (9/16/9), full range; skipping timing, decoder model and operating points', () => {
    expect(av1CodecFromAv1c(av1c({ profile: 0, level: 4, high: false, fullRange: 0 }))).toBe('av01.0.04M.08.0.110.02.02.02.0');
    expect(av1CodecFromAv1c(av1c({ profile: 0, level: 13, tier: 1, timing: true, high: true, color: [9, 16, 9], fullRange: 1 }))).toBe('av01.0.13H.10.0.110.09.16.09.1');
    expect(readAv1c(av1c({ profile: 0, level: 13, timing: true, high: true, color: [9, 16, 9], fullRange: 0 }))).toMatchObject({ levelIdx: 13, bitDepth: 10, subsamplingX: 1, subsamplingY: 1, colorPrimaries: 9 });
  });

  it('refuses a record that is not av1C, carries no sequence header, or states an impossible depth', () => {
    expect(() => av1CodecFromAv1c(Uint8Array.from([0x01, 0, 0, 0]))).toThrow(/expected 0x81/);
    expect(() => av1CodecFromAv1c(Uint8Array.from([0x81, 0, 0x0c, 0]))).toThrow(/no sequence header/);
    expect(() => av1CodecFromAv1c(Uint8Array.from([0x81, 0, 0x0c, 0, 0x0a, 0x20, 0]))).toThrow(/overruns/);
    expect(() => av1CodecString({ ...readAv1c(av1c({ profile: 0, level: 8, high: true, color: [1, 1, 1], fullRange: 0 })), bitDepth: 9 })).toThrow(/bit depth/);
  });

  it('reads what the encoders wrote (ffprobe -show_data of a 320x180 10-bit encode: SVT-AV1 1.4.1, x265 3.5)', () => {
    const svt = parseHexDump('00000000: 8100 4c00 0a0b 0000 0004 3cfe cc02 f840  ..L.......<....@\n00000010: 40                                       @\n');
    expect(av1CodecFromAv1c(svt)).toBe('av01.0.00M.10.0.110.02.02.02.0');
    const x265 = parseHexDump('00000000: 0102 2000 0000 9000 0000 0000 3cf0 00fc  .. .........<...\n00000010: fdfa fa00 000f 04a0 0001 0018 4001 0c01  ............@...\n');
    expect(hevcCodecFromHvcc('hvc1', x265)).toBe('hvc1.2.4.L60.90');
  });
});

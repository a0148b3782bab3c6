// RFC 6381 codec strings of AV1 output ("Codecs Parameter String" of the AV1 ISOBMFF binding), from the
// AV1CodecConfigurationRecord (the av1C box) the encoder actually wrote: profile, level, tier and bit depth
// from its fixed fields, the colour description from the sequence header OBU it carries (AV1 spec 5.5).
// Pure: bytes in, string out.
import { CodecError } from './codecs.js';

export interface Av1Config {
  profile: number;
  /** seq_level_idx of operating point 0 (level X.Y is 2 + idx / 4 . idx % 4). */
  levelIdx: number;
  tier: number;
  bitDepth: number;
  monochrome: number;
  subsamplingX: number;
  subsamplingY: number;
  chromaSamplePosition: number;
  /** From the sequence header's color_config; 2 (unspecified) when it describes none. */
  colorPrimaries: number;
  transferCharacteristics: number;
  matrixCoefficients: number;
  fullRange: number;
}

const two = (n: number): string => String(n).padStart(2, '0');

/**
 * `av01.<profile>.<level><M|H>.<bit depth>`, followed by
 * `.<monochrome>.<subsampling x><y><position>.<primaries>.<transfer>.<matrix>.<full range>` unless every one of
 * those is the spec's default (0.110.01.01.01.0): the short form then says the same.
 */
export function av1CodecString(c: Av1Config): string {
  if (c.profile < 0 || c.profile > 2) throw new CodecError(`AV1 seq_profile must be 0-2, got ${c.profile}`);
  if (c.levelIdx < 0 || c.levelIdx > 31) throw new CodecError(`AV1 seq_level_idx must be 0-31, got ${c.levelIdx}`);
  if (![8, 10, 12].includes(c.bitDepth)) throw new CodecError(`AV1 bit depth must be 8, 10 or 12, got ${c.bitDepth}`);
  const head = `av01.${c.profile}.${two(c.levelIdx)}${c.tier ? 'H' : 'M'}.${two(c.bitDepth)}`;
  const tail = `.${c.monochrome}.${c.subsamplingX}${c.subsamplingY}${c.chromaSamplePosition}.${two(c.colorPrimaries)}.${two(c.transferCharacteristics)}.${two(c.matrixCoefficients)}.${c.fullRange}`;
  return tail === '.0.110.01.01.01.0' ? head : `${head}${tail}`;
}

class Bits {
  private pos = 0;
  constructor(private readonly bytes: Uint8Array) {}
  f(n: number): number {
    let v = 0;
    for (let i = 0; i < n; i++) {
      const byte = this.bytes[this.pos >> 3];
      if (byte === undefined) throw new CodecError('AV1 sequence header ends early');
      v = v * 2 + ((byte >> (7 - (this.pos & 7))) & 1);
      this.pos++;
    }
    return v;
  }
  uvlc(): number {
    let zeros = 0;
    while (this.f(1) === 0) if (++zeros >= 32) throw new CodecError('AV1 uvlc() longer than 32 bits');
    return zeros === 0 ? 0 : this.f(zeros) + 2 ** zeros - 1;
  }
}

type ColorConfig = Pick<Av1Config, 'colorPrimaries' | 'transferCharacteristics' | 'matrixCoefficients' | 'fullRange'>;

/** Skips a sequence_header_obu() payload up to color_config() and reads that (AV1 spec 5.5.1, 5.5.2). */
export function readSequenceHeaderColor(payload: Uint8Array): ColorConfig {
  const r = new Bits(payload);
  const profile = r.f(3);
  r.f(1); // still_picture
  const reduced = r.f(1);
  if (reduced) {
    r.f(5); // seq_level_idx[0]
  } else {
    let decoderModel = 0;
    let bufferDelayBits = 0;
    if (r.f(1)) {
      // timing_info()
      r.f(32);
      r.f(32);
      if (r.f(1)) r.uvlc();
      decoderModel = r.f(1);
      if (decoderModel) {
        bufferDelayBits = r.f(5) + 1;
        r.f(32);
        r.f(5);
        r.f(5);
      }
    }
    const displayDelay = r.f(1);
    const points = r.f(5) + 1;
    for (let i = 0; i < points; i++) {
      r.f(12); // operating_point_idc
      if (r.f(5) > 7) r.f(1); // seq_level_idx, seq_tier
      if (decoderModel && r.f(1)) {
        r.f(bufferDelayBits);
        r.f(bufferDelayBits);
        r.f(1);
      }
      if (displayDelay && r.f(1)) r.f(4);
    }
  }
  const widthBits = r.f(4) + 1;
  const heightBits = r.f(4) + 1;
  r.f(widthBits);
  r.f(heightBits);
  if (!reduced && r.f(1)) {
    r.f(4); // delta_frame_id_length_minus_2
    r.f(3);
  }
  r.f(3); // use_128x128_superblock, enable_filter_intra, enable_intra_edge_filter
  if (!reduced) {
    r.f(4); // interintra, masked compound, warped motion, dual filter
    const orderHint = r.f(1);
    if (orderHint) r.f(2); // jnt_comp, ref_frame_mvs
    const screenContent = r.f(1) ? 2 : r.f(1);
    if (screenContent > 0 && !r.f(1)) r.f(1); // seq_choose_integer_mv, else seq_force_integer_mv
    if (orderHint) r.f(3);
  }
  r.f(3); // superres, cdef, restoration
  // color_config()
  if (r.f(1) && profile === 2) r.f(1); // high_bitdepth, twelve_bit (the record states the depth)
  const mono = profile === 1 ? 0 : r.f(1);
  let [primaries, transfer, matrix] = [2, 2, 2];
  if (r.f(1)) [primaries, transfer, matrix] = [r.f(8), r.f(8), r.f(8)];
  // sRGB 4:4:4 (BT.709 primaries, sRGB transfer, identity matrix) is full range by definition.
  const fullRange = !mono && primaries === 1 && transfer === 13 && matrix === 0 ? 1 : r.f(1);
  return { colorPrimaries: primaries, transferCharacteristics: transfer, matrixCoefficients: matrix, fullRange };
}

function leb128(bytes: Uint8Array, at: number): { value: number; length: number } {
  let value = 0;
  for (let i = 0; i < 8; i++) {
    const byte = bytes[at + i];
    if (byte === undefined) throw new CodecError('AV1 OBU size runs past the configuration record');
    value += (byte & 0x7f) * 2 ** (7 * i);
    if (!(byte & 0x80)) return { value, length: i + 1 };
  }
  throw new CodecError('AV1 OBU size longer than 8 bytes');
}

/** The payload of the first sequence header OBU (type 1) among configOBUs. */
function sequenceHeader(obus: Uint8Array): Uint8Array {
  let at = 0;
  while (at < obus.length) {
    const header = obus[at] ?? 0;
    const type = (header >> 3) & 0x0f;
    let p = at + 1 + ((header >> 2) & 1); // obu_extension_flag adds a byte
    let size = obus.length - p;
    if (header & 0x02) {
      const s = leb128(obus, p);
      p += s.length;
      size = s.value;
    }
    if (p + size > obus.length) throw new CodecError('AV1 OBU overruns the configuration record');
    if (type === 1) return obus.subarray(p, p + size);
    at = p + size;
  }
  throw new CodecError('AV1 configuration record carries no sequence header OBU');
}

/** The fields of an AV1CodecConfigurationRecord (marker 1, version 1) and of the sequence header it carries. */
export function readAv1c(av1c: Uint8Array): Av1Config {
  if (av1c.length < 4) throw new CodecError(`AV1 configuration record is ${av1c.length} bytes, at least 4 expected`);
  const b = (i: number): number => av1c[i] ?? 0;
  if (b(0) !== 0x81) throw new CodecError(`AV1 configuration record starts with 0x${b(0).toString(16)}, expected 0x81 (marker 1, version 1)`);
  const high = (b(2) >> 6) & 1;
  const twelve = (b(2) >> 5) & 1;
  return {
    profile: b(1) >> 5,
    levelIdx: b(1) & 0x1f,
    tier: b(2) >> 7,
    bitDepth: high ? (twelve ? 12 : 10) : 8,
    monochrome: (b(2) >> 4) & 1,
    subsamplingX: (b(2) >> 3) & 1,
    subsamplingY: (b(2) >> 2) & 1,
    chromaSamplePosition: b(2) & 0x03,
    ...readSequenceHeaderColor(sequenceHeader(av1c.subarray(4))),
  };
}

export const av1CodecFromAv1c = (av1c: Uint8Array): string => av1CodecString(readAv1c(av1c));

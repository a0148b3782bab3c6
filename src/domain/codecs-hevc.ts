// RFC 6381 codec strings of HEVC output (ISO/IEC 14496-15 Annex E.3), from the HEVCDecoderConfigurationRecord
// (the hvcC box of the init segment) the encoder actually wrote. Pure: bytes in, string out.
import { CodecError } from './codecs.js';

export interface HevcProfileTierLevel {
  /** general_profile_space: 0 (written as nothing), 1-3 (A, B, C). */
  profileSpace: number;
  /** general_tier_flag: 0 Main (L), 1 High (H). */
  tier: number;
  profileIdc: number;
  /** general_profile_compatibility_flags as stored: flag 0 is the most significant bit. */
  compatibility: number;
  /** The six bytes of general_constraint_indicator_flags, progressive_source_flag's byte first. */
  constraints: number[];
  levelIdc: number;
}

/** The 32 bits in reverse order: flag j becomes bit j. */
function reverse32(value: number): number {
  let out = 0;
  for (let i = 0; i < 32; i++) out |= ((value >>> (31 - i)) & 1) << i;
  return out >>> 0;
}

/**
 * `<fourcc>.<space><profile>.<compat reversed, hex>.<L|H><level>[.<constraint byte, hex>...]`, trailing zero
 * constraint bytes left out (e.g. hvc1.1.6.L93.B0: Main, Main-compatible flags 1 and 2, level 3.1).
 */
export function hevcCodecString(fourcc: string, p: HevcProfileTierLevel): string {
  if (fourcc !== 'hvc1' && fourcc !== 'hev1') throw new CodecError(`HEVC sample entry must be hvc1 or hev1, got ${JSON.stringify(fourcc)}`);
  if (!Number.isInteger(p.profileSpace) || p.profileSpace < 0 || p.profileSpace > 3) throw new CodecError(`HEVC profile_space must be 0-3, got ${p.profileSpace}`);
  if (p.tier !== 0 && p.tier !== 1) throw new CodecError(`HEVC tier_flag must be 0 or 1, got ${p.tier}`);
  if (!Number.isInteger(p.profileIdc) || p.profileIdc < 0 || p.profileIdc > 31) throw new CodecError(`HEVC profile_idc must be 0-31, got ${p.profileIdc}`);
  if (!Number.isInteger(p.levelIdc) || p.levelIdc <= 0 || p.levelIdc > 255) throw new CodecError(`HEVC level_idc must be 1-255, got ${p.levelIdc}`);
  if (p.constraints.length !== 6 || p.constraints.some((b) => !Number.isInteger(b) || b < 0 || b > 255)) throw new CodecError('HEVC constraint flags must be six bytes');
  const bytes = [...p.constraints];
  while (bytes.length > 0 && bytes[bytes.length - 1] === 0) bytes.pop();
  const hex = (n: number): string => n.toString(16).toUpperCase();
  return [
    fourcc,
    `${['', 'A', 'B', 'C'][p.profileSpace] ?? ''}${p.profileIdc}`,
    hex(reverse32(p.compatibility)),
    `${p.tier ? 'H' : 'L'}${p.levelIdc}`,
    ...bytes.map(hex),
  ].join('.');
}

/** The general profile, tier and level of an HEVCDecoderConfigurationRecord (configurationVersion 1, 23+ bytes). */
export function readHvcc(hvcc: Uint8Array): HevcProfileTierLevel {
  if (hvcc.length < 23) throw new CodecError(`HEVC decoder configuration is ${hvcc.length} bytes, at least 23 expected`);
  if (hvcc[0] !== 1) throw new CodecError(`HEVC decoder configuration version ${hvcc[0]}, expected 1 (Annex B parameter sets are not read)`);
  const b = (i: number): number => hvcc[i] ?? 0;
  return {
    profileSpace: b(1) >> 6,
    tier: (b(1) >> 5) & 1,
    profileIdc: b(1) & 0x1f,
    compatibility: ((b(2) << 24) | (b(3) << 16) | (b(4) << 8) | b(5)) >>> 0,
    constraints: [b(6), b(7), b(8), b(9), b(10), b(11)],
    levelIdc: b(12),
  };
}

export const hevcCodecFromHvcc = (fourcc: string, hvcc: Uint8Array): string => hevcCodecString(fourcc, readHvcc(hvcc));

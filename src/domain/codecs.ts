// RFC 6381 codec strings (HLS CODECS, DASH @codecs) computed from the bytes of the actual output,
// never from what we asked the encoder for: x264 may pick a different level or constraint flags.
// Pure: byte arrays in, strings out.

export class CodecError extends Error {
  override readonly name = 'CodecError';
}

const hex2 = (n: number): string => n.toString(16).padStart(2, '0');

/** avc1.PPCCLL from profile_idc, the constraint_set flags byte and level_idc (ISO/IEC 14496-15). */
export function avcCodecString(profileIdc: number, constraintFlags: number, levelIdc: number): string {
  for (const [name, v] of [['profile_idc', profileIdc], ['constraint flags', constraintFlags], ['level_idc', levelIdc]] as const) {
    if (!Number.isInteger(v) || v < 0 || v > 255) throw new CodecError(`H.264 ${name} must be a byte, got ${v}`);
  }
  return `avc1.${hex2(profileIdc)}${hex2(constraintFlags)}${hex2(levelIdc)}`;
}

/** The first SPS NAL unit (type 7) of an Annex B byte stream (MPEG-TS extradata), after its header byte. */
function annexBSps(bytes: Uint8Array): Uint8Array | undefined {
  for (let i = 0; i + 3 < bytes.length; i++) {
    if (bytes[i] === 0 && bytes[i + 1] === 0 && bytes[i + 2] === 1) {
      const header = bytes[i + 3] ?? 0;
      if ((header & 0x1f) === 7) return bytes.subarray(i + 4);
      i += 2;
    }
  }
  return undefined;
}

/**
 * The codec string of an H.264 stream from its decoder configuration: either an
 * AVCDecoderConfigurationRecord (fMP4 avcC: version byte 1, then profile, flags, level)
 * or Annex B parameter sets (MPEG-TS: start codes, SPS payload begins with the same three bytes).
 */
export function avcCodecFromExtradata(extradata: Uint8Array): string {
  if (extradata.length >= 4 && extradata[0] === 1) {
    return avcCodecString(extradata[1] ?? -1, extradata[2] ?? -1, extradata[3] ?? -1);
  }
  const sps = annexBSps(extradata);
  if (sps && sps.length >= 3) return avcCodecString(sps[0] ?? -1, sps[1] ?? -1, sps[2] ?? -1);
  throw new CodecError(`no H.264 parameter set in ${extradata.length} bytes of extradata`);
}

/** mp4a.40.N where N is the MPEG-4 audioObjectType of an AudioSpecificConfig (ISO/IEC 14496-3). */
export function aacCodecFromExtradata(asc: Uint8Array): string {
  const first = asc[0];
  if (first === undefined) throw new CodecError('empty AudioSpecificConfig');
  let aot = first >> 3;
  // 31 is an escape: the real type is 32 + the next 6 bits.
  if (aot === 31) aot = 32 + (((first & 0x07) << 3) | ((asc[1] ?? 0) >> 5));
  if (aot === 0) throw new CodecError('AudioSpecificConfig has audioObjectType 0 (null)');
  return `mp4a.40.${aot}`;
}

/** For ADTS streams (MPEG-TS), where no AudioSpecificConfig is stored: ffprobe's profile name. */
export function aacCodecFromProfile(profile: string | undefined): string {
  const types: Record<string, number> = { LC: 2, 'HE-AAC': 5, 'HE-AACv2': 29, Main: 1, SSR: 3, LTP: 4 };
  const aot = profile === undefined ? undefined : types[profile];
  if (aot === undefined) throw new CodecError(`unknown AAC profile ${JSON.stringify(profile)}`);
  return `mp4a.40.${aot}`;
}

/** ffprobe's `-show_data` hex dump ("00000000: 0164 001e ffe1 ...  .d....") back to bytes. */
export function parseHexDump(dump: string): Uint8Array {
  const out: number[] = [];
  for (const line of dump.split('\n')) {
    // "%08x: " then 16 bytes as 8 groups of 4 hex digits + space (40 columns), then the ASCII column.
    if (!/^[0-9a-f]{8}: /i.test(line)) continue;
    const hex = line.slice(10, 50).replace(/ /g, '');
    for (let i = 0; i + 1 < hex.length; i += 2) out.push(parseInt(hex.slice(i, i + 2), 16));
  }
  return Uint8Array.from(out);
}

import { describe, expect, it } from 'vitest';
import {
  aacCodecFromExtradata,
  aacCodecFromProfile,
  avcCodecFromExtradata,
  avcCodecString,
  CodecError,
  parseHexDump,
} from '../../../src/domain/codecs.js';

describe('H.264 codec strings', () => {
  it('formats profile, constraint flags and level as hex', () => {
    expect(avcCodecString(100, 0, 31)).toBe('avc1.64001f');
    expect(avcCodecString(66, 0xc0, 30)).toBe('avc1.42c01e');
    expect(() => avcCodecString(256, 0, 31)).toThrow(CodecError);
  });

  it('reads an avcC decoder configuration record (fMP4)', () => {
    // A real x264 avcC header: version 1, High (0x64), flags 0, level 3.0 (0x1e), then lengths and SPS.
    const avcC = Uint8Array.from([0x01, 0x64, 0x00, 0x1e, 0xff, 0xe1, 0x00, 0x1a, 0x67, 0x64, 0x00, 0x1e]);
    expect(avcCodecFromExtradata(avcC)).toBe('avc1.64001e');
  });

  it('reads the SPS of Annex B extradata (MPEG-TS), skipping other NAL units', () => {
    const annexB = Uint8Array.from([0, 0, 0, 1, 0x09, 0xf0, 0, 0, 1, 0x67, 0x4d, 0x40, 0x28, 0xac, 0, 0, 1, 0x68, 0xee]);
    expect(avcCodecFromExtradata(annexB)).toBe('avc1.4d4028');
    expect(() => avcCodecFromExtradata(Uint8Array.from([0, 0, 1, 0x68, 1, 2]))).toThrow(/no H.264 parameter set/);
  });
});

describe('AAC codec strings', () => {
  it('reads the audioObjectType of an AudioSpecificConfig', () => {
    expect(aacCodecFromExtradata(Uint8Array.from([0x11, 0x90]))).toBe('mp4a.40.2'); // LC, 48 kHz, stereo
    expect(aacCodecFromExtradata(Uint8Array.from([0x2b, 0x92, 0x08, 0x00]))).toBe('mp4a.40.5'); // HE-AAC
    expect(aacCodecFromExtradata(Uint8Array.from([0xf8, 0x40]))).toBe('mp4a.40.34'); // escape: 32 + 2
    expect(() => aacCodecFromExtradata(new Uint8Array())).toThrow(CodecError);
  });

  it('maps ffprobe profile names for ADTS streams', () => {
    expect(aacCodecFromProfile('LC')).toBe('mp4a.40.2');
    expect(aacCodecFromProfile('HE-AACv2')).toBe('mp4a.40.29');
    expect(() => aacCodecFromProfile('Opus')).toThrow(/unknown AAC profile/);
  });
});

describe('parseHexDump', () => {
  it('turns an ffprobe -show_data dump back into bytes, ignoring the ASCII column', () => {
    const dump =
      '\n00000000: 0164 001e ffe1 001a 6764 001e acd9 40a0  .d......gd....@.\n' +
      '00000010: 2ff9 7011 00                             /.p..\n';
    expect(Array.from(parseHexDump(dump))).toEqual([
      0x01, 0x64, 0x00, 0x1e, 0xff, 0xe1, 0x00, 0x1a, 0x67, 0x64, 0x00, 0x1e, 0xac, 0xd9, 0x40, 0xa0, 0x2f, 0xf9, 0x70, 0x11, 0x00,
    ]);
    expect(avcCodecFromExtradata(parseHexDump(dump))).toBe('avc1.64001e');
  });
});

// Picture decisions from the probe: is an interlaced-flagged source really interlaced, and how to
// deinterlace it. Pure: the probe gathers the facts (stream flag, idet counts), the ladder asks here.
import type { FieldOrder, InterlaceCheck, PictureSpec, VideoProbe } from './types.js';

/** ffprobe's field_order -> the order a player shows the fields ("tb": top coded first, bottom shown first). */
export function flaggedFieldOrder(fieldOrder: string | undefined): FieldOrder | undefined {
  switch (fieldOrder) {
    case 'tt':
    case 'bt':
      return 'tff';
    case 'bb':
    case 'tb':
      return 'bff';
    default:
      return undefined; // progressive, unknown or absent: treated as progressive, idet is not run
  }
}

export type IdetCounts = NonNullable<InterlaceCheck['idet']>;

/** Fewer determined frames than this and idet is not trusted to overrule the flag (a still sample). */
const MIN_DETERMINED = 10;
/** Progressive content flagged interlaced (PsF, a careless encoder) shows no combing on this share of frames. */
const PROGRESSIVE_SHARE = 0.8;

/**
 * The flag, confirmed by idet: progressive only when idet calls most determined frames progressive (a
 * wrongly flagged source), otherwise the field order idet saw most (the flag's on a tie or without idet).
 * Static pictures show no combing either way, so an undecided sample keeps the flag.
 */
export function judgeInterlace(flagged: FieldOrder, idet: IdetCounts | undefined): InterlaceCheck {
  if (!idet) return { flagged, verdict: flagged };
  const determined = idet.tff + idet.bff + idet.progressive;
  let verdict: InterlaceCheck['verdict'] = idet.tff > idet.bff ? 'tff' : idet.bff > idet.tff ? 'bff' : flagged;
  if (determined >= MIN_DETERMINED && idet.progressive >= PROGRESSIVE_SHARE * determined) verdict = 'progressive';
  return { flagged, idet, verdict };
}

/** HDR by transfer characteristics: PQ (HDR10, Dolby Vision's base layer) or HLG. */
export function hdrTransfer(transfer: string | undefined): 'pq' | 'hlg' | undefined {
  return transfer === 'smpte2084' ? 'pq' : transfer === 'arib-std-b67' ? 'hlg' : undefined;
}

/** What the encode does to the picture beyond scaling; undefined when nothing. */
export function planPicture(video: VideoProbe | undefined): PictureSpec | undefined {
  const check = video?.interlace;
  const hdr = hdrTransfer(video?.color?.transfer);
  if (!check && !hdr) return undefined;
  return {
    ...(check ? { interlace: check } : {}),
    ...(check && check.verdict !== 'progressive' ? { deinterlace: { filter: 'bwdif' as const, fieldOrder: check.verdict } } : {}),
    // HDR10 and HLG are BT.2020 by definition: untagged primaries or matrix are taken as such.
    ...(hdr ? { toneMap: { from: hdr, primaries: video?.color?.primaries ?? 'bt2020', matrix: video?.color?.matrix ?? 'bt2020nc', operator: 'mobius' as const, to: 'bt709' as const } } : {}),
  };
}

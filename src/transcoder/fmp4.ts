// A minimal fragmented-MP4 reader (ISO/IEC 14496-12): the track timescale and defaults from the
// init segment, and each media segment's exact timing from its moof boxes. The DASH timeline and
// HLS durations come from here, i.e. from the bytes players will read, not from rounded muxer logs.

export class Mp4Error extends Error {
  override readonly name = 'Mp4Error';
}

interface Box {
  type: string;
  /** Payload, after the size/type header. */
  body: DataView;
}

const CONTAINERS = new Set(['moov', 'trak', 'mdia', 'minf', 'stbl', 'mvex', 'moof', 'traf']);

function* boxes(view: DataView): Generator<Box> {
  let offset = 0;
  while (offset + 8 <= view.byteLength) {
    let size = view.getUint32(offset);
    const type = String.fromCharCode(view.getUint8(offset + 4), view.getUint8(offset + 5), view.getUint8(offset + 6), view.getUint8(offset + 7));
    let header = 8;
    if (size === 1) {
      size = Number(view.getBigUint64(offset + 8));
      header = 16;
    } else if (size === 0) {
      size = view.byteLength - offset;
    }
    if (size < header || offset + size > view.byteLength) throw new Mp4Error(`box ${type} at ${offset} overruns the file (${size} bytes)`);
    yield { type, body: new DataView(view.buffer, view.byteOffset + offset + header, size - header) };
    offset += size;
  }
}

/** Boxes along a path of container types, e.g. find(view, ['moov', 'trak', 'mdia', 'mdhd']). */
function findAll(view: DataView, path: string[]): DataView[] {
  const [head, ...rest] = path;
  const out: DataView[] = [];
  for (const box of boxes(view)) {
    if (box.type !== head) continue;
    if (rest.length === 0) out.push(box.body);
    else if (CONTAINERS.has(box.type)) out.push(...findAll(box.body, rest));
  }
  return out;
}

const asView = (bytes: Uint8Array): DataView => new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);

export interface TrackDefaults {
  timescale: number;
  defaultSampleDuration: number;
  defaultSampleFlags: number;
}

/** Timescale (mdhd) and fragment defaults (trex) of the single track of an init segment. */
export function readInit(bytes: Uint8Array): TrackDefaults {
  const view = asView(bytes);
  const mdhd = findAll(view, ['moov', 'trak', 'mdia', 'mdhd'])[0];
  if (!mdhd) throw new Mp4Error('init segment has no moov/trak/mdia/mdhd');
  const timescale = mdhd.getUint32(mdhd.getUint8(0) === 1 ? 20 : 12);
  const trex = findAll(view, ['moov', 'mvex', 'trex'])[0];
  return {
    timescale,
    defaultSampleDuration: trex ? trex.getUint32(12) : 0,
    defaultSampleFlags: trex ? trex.getUint32(20) : 0,
  };
}

export interface SegmentTiming {
  /** tfdt of the first fragment, in the track timescale. */
  baseDecodeTime: number;
  /** Earliest presentation time of any sample (decode time + composition offset). */
  earliestPresentationTime: number;
  /** Sum of sample durations. */
  duration: number;
  sampleCount: number;
  /** The first sample is a sync sample (an IDR frame for video). */
  startsWithSync: boolean;
}

const NON_SYNC = 0x10000;

/** Timing of one media segment (one or more moof+mdat pairs of one track). */
export function readSegment(bytes: Uint8Array, init: TrackDefaults): SegmentTiming {
  const view = asView(bytes);
  const trafs = findAll(view, ['moof', 'traf']);
  if (trafs.length === 0) throw new Mp4Error('segment has no moof/traf');
  let base: number | undefined;
  let decode = 0;
  let earliest = Infinity;
  let duration = 0;
  let count = 0;
  let firstFlags: number | undefined;
  for (const traf of trafs) {
    const tfhd = findAll(traf, ['tfhd'])[0];
    const tfdt = findAll(traf, ['tfdt'])[0];
    if (!tfhd || !tfdt) throw new Mp4Error('traf without tfhd or tfdt');
    const hflags = tfhd.getUint32(0) & 0xffffff;
    let p = 8 + (hflags & 0x01 ? 8 : 0) + (hflags & 0x02 ? 4 : 0);
    let defDuration = init.defaultSampleDuration;
    let defFlags = init.defaultSampleFlags;
    if (hflags & 0x08) [defDuration, p] = [tfhd.getUint32(p), p + 4];
    if (hflags & 0x10) p += 4;
    if (hflags & 0x20) defFlags = tfhd.getUint32(p);
    decode = tfdt.getUint8(0) === 1 ? Number(tfdt.getBigUint64(4)) : tfdt.getUint32(4);
    base ??= decode;
    for (const trun of findAll(traf, ['trun'])) {
      const version = trun.getUint8(0);
      const flags = trun.getUint32(0) & 0xffffff;
      const samples = trun.getUint32(4);
      let q = 8 + (flags & 0x01 ? 4 : 0);
      let first: number | undefined;
      if (flags & 0x04) [first, q] = [trun.getUint32(q), q + 4];
      for (let i = 0; i < samples; i++) {
        let d = defDuration;
        let f = i === 0 && first !== undefined ? first : defFlags;
        let cto = 0;
        if (flags & 0x100) [d, q] = [trun.getUint32(q), q + 4];
        if (flags & 0x200) q += 4;
        if (flags & 0x400) [f, q] = [trun.getUint32(q), q + 4];
        if (flags & 0x800) [cto, q] = [version === 1 ? trun.getInt32(q) : trun.getUint32(q), q + 4];
        firstFlags ??= f;
        earliest = Math.min(earliest, decode + cto);
        decode += d;
        duration += d;
        count++;
      }
    }
  }
  return {
    baseDecodeTime: base ?? 0,
    earliestPresentationTime: Number.isFinite(earliest) ? earliest : base ?? 0,
    duration,
    sampleCount: count,
    startsWithSync: firstFlags !== undefined && (firstFlags & NON_SYNC) === 0,
  };
}

/**
 * Moves a segment to its place on the global timeline, in place (no size changes, no re-mux): adds
 * `offsetTicks(timescale)` to every tfdt and to the sidx earliest presentation time, and `sequenceOffset`
 * to every mfhd sequence number. A chunk job's encode starts at zero; this makes its segments continue the
 * ones before it, as a single job's would.
 */
export function shiftSegment(bytes: Uint8Array, o: { trackTimescale: number; offsetTicks(timescale: number): number; sequenceOffset: number }): void {
  const view = asView(bytes);
  const add = (box: DataView, at: number, wide: boolean, delta: number, what: string): void => {
    if (wide) {
      box.setBigUint64(at, box.getBigUint64(at) + BigInt(delta));
      return;
    }
    const value = box.getUint32(at) + delta;
    if (value > 0xffffffff) throw new Mp4Error(`${what} overflows 32 bits after the shift`);
    box.setUint32(at, value);
  };
  for (const sidx of findAll(view, ['sidx'])) {
    const timescale = sidx.getUint32(8);
    add(sidx, 12, sidx.getUint8(0) === 1, o.offsetTicks(timescale), 'sidx earliest presentation time');
  }
  const trackOffset = o.offsetTicks(o.trackTimescale);
  for (const mfhd of findAll(view, ['moof', 'mfhd'])) add(mfhd, 4, false, o.sequenceOffset, 'mfhd sequence number');
  for (const tfdt of findAll(view, ['moof', 'traf', 'tfdt'])) add(tfdt, 4, tfdt.getUint8(0) === 1, trackOffset, 'tfdt');
}

// The only module that knows ffmpeg's encode command line (ffprobe's lives in media/ffprobe.ts).
// Everything else describes what it wants (EncodeSpec) and gets files back. fluent-ffmpeg runs ffmpeg (it spawns without a
// shell, with an argument array); it is archived upstream (May 2025), so its use stays inside
// runFfmpeg() and can be swapped for a plain spawn without touching any caller.
import { join } from 'node:path';
import ffmpeg from 'fluent-ffmpeg';
import type { SegmentFormat, VideoRendition } from '../domain/types.js';
import { ToolError } from '../media/ffprobe.js';
import { pixelFormat, videoEncoderOptions, type EncodedRung } from './video-encoders.js';

export { ToolError };

/**
 * Chosen by measurement (docs/transcoder.md): against x264's default 'medium' at the same bit rates,
 * 'veryfast' costs 0.004-0.006 SSIM on the top rendition and 40-45 % of the CPU time; the original
 * pipeline's outputs measured 0.10-0.13 SSIM lower still.
 */
export const X264_PRESET = 'veryfast';

// ---- the encode ---------------------------------------------------------------------------------

export interface EncodeSpec {
  input: string;
  /** Absolute stream indexes in the input. */
  videoStream?: number;

  fps: number;
  gopFrames: number;
  /** Cut target: segments end on the first keyframe at or after each multiple of it. */
  segmentSeconds: number;
  segmentFormat: SegmentFormat;
  /** Deinterlace before anything else (bwdif, one frame per frame, the given field order). */
  deinterlace?: { fieldOrder: 'tff' | 'bff' };
  /** Tone-map an HDR source to SDR BT.709 once, at the top rendition's size, before the split. */
  toneMap?: { from: 'pq' | 'hlg'; primaries: string; matrix: string };
  video: (Pick<VideoRendition, 'width' | 'height'> & EncodedRung)[];
  /** Audio renditions, each from its own source stream (absolute index), after the videos in variant order. */
  audio?: { stream: number; bitrate: number; channels: number; sampleRate: number; language?: string; filter?: string }[];
  /** Variant i (videos in order, then audio) lands in variantDir(outDir, i). */
  outDir: string;
  thumbnails?: {
    /** Frame number (at the output rate) of the poster. */
    posterFrame: number;
    posterWidth: number;
    posterHeight: number;
    png: string;
    jpeg: string;
    storyboard?: { path: string; intervalSec: number; tileWidth: number; tileHeight: number; columns: number; rows: number };
  };
  x264Preset?: string;
  /**
   * A chunk job: the input is read from `seekSec` (half a frame before the chunk's first frame, so that a
   * timestamp rounded by the container still falls inside; ffmpeg decodes from the keyframe before it and
   * drops what precedes), the first kept frame becomes time 0, and `frames` frames are kept (absent: to
   * the end of the source, as a single job).
   */
  range?: { seekSec: number; frames?: number };
  /** Number of the first segment file (chunks continue the global numbering); default 1. */
  startNumber?: number;
}

export interface EncodeProgress {
  outTimeSec: number;
  fps?: number;
  speed?: number;
}

export const variantDir = (outDir: string, index: number): string => join(outDir, `s${index}`);
export const VARIANT_PLAYLIST = 'playlist.m3u8';

/** ffmpeg wants exact NTSC rates as fractions; others as decimals. */
function rate(fps: number): string {
  for (const base of [24, 30, 48, 60]) if (Math.abs(fps - (base * 1000) / 1001) < 1e-6) return `${base * 1000}/1001`;
  return String(Number(fps.toFixed(6)));
}

function filterGraph(spec: EncodeSpec): string | undefined {
  const t = spec.thumbnails;
  // A job may decode the video only for its pictures (the audio job of a time-split plan).
  if (spec.videoStream === undefined || (spec.video.length === 0 && !t)) return undefined;
  const branches = spec.video.map((_, i) => `v${i}`);
  if (t) branches.push('poster');
  if (t?.storyboard) branches.push('board');
  // One decode, one frame-rate conversion (which also makes VFR constant), then a branch per output.
  // Deinterlacing comes first: fps must not drop or repeat frames whose fields are still woven. A chunk's
  // frames start from 0 (its segments are moved to their global place as they are uploaded).
  const deinterlace = spec.deinterlace ? `bwdif=mode=send_frame:parity=${spec.deinterlace.fieldOrder}:deint=all,` : '';
  const range = spec.range;
  const head = range
    ? `setpts=PTS-STARTPTS,${deinterlace}fps=${rate(spec.fps)}${range.frames !== undefined ? `,trim=end_frame=${range.frames}` : ''}`
    : `${deinterlace}fps=${rate(spec.fps)}`;
  const chains = [`[0:${spec.videoStream}]${head},${toneMapChain(spec)}split=${branches.length}${branches.map((b) => `[${b}]`).join('')}`];
  spec.video.forEach((v, i) => {
    // Scaling to the planned display size yields square pixels; autorotate has already turned the frame.
    chains.push(`[v${i}]scale=${v.width}:${v.height},setsar=1,format=${pixelFormat(v)}[out${i}]`);
  });
  if (t) {
    // Frame 0 and the poster frame both go to an image2 output in update mode: the file keeps the
    // last one, so a video shorter than the poster time still gets its first frame.
    const pick = t.posterFrame > 0 ? `eq(n,0)+eq(n,${t.posterFrame})` : 'eq(n,0)';
    // A job that decodes only for its pictures tone-maps the few frames it keeps, not every frame.
    // A tone map kept at 10 bits for 10-bit rungs: the pictures are 8-bit as always.
    const eight = spec.toneMap && spec.video.some((v) => v.bitDepth === 10) ? 'format=yuv420p,' : '';
    const hdr = (size: { width: number; height: number }): string => (spec.video.length === 0 && spec.toneMap ? toneMapTo(spec.toneMap, size) : '');
    chains.push(`[poster]select='${pick}',${eight}${hdr({ width: t.posterWidth, height: t.posterHeight })}scale=${t.posterWidth}:${t.posterHeight},setsar=1,split=2[png][jpeg]`);
    const b = t.storyboard;
    if (b) chains.push(`[board]fps=1/${b.intervalSec}:eof_action=pass,${eight}${hdr({ width: b.tileWidth, height: b.tileHeight })}scale=${b.tileWidth}:${b.tileHeight},setsar=1,tile=${b.columns}x${b.rows}[sheet]`);
  }
  return chains.join(';');
}

/**
 * HDR -> SDR BT.709: linear light (100 nits = 1.0), BT.709 primaries, mobius (in-range values kept,
 * highlights rolled off; hable darkened SDR-range content by a third), BT.709 transfer, limited range.
 * Done once, scaled to the job's top rendition first (zscale's float path is the costly part), or to
 * the poster when a one-rung job cuts a larger one.
 */
export function toneMapChain(spec: Pick<EncodeSpec, 'toneMap' | 'video' | 'thumbnails'>): string {
  const t = spec.toneMap;
  const top = spec.video[0];
  if (!t || !top) return '';
  // A job of one low rung may also cut the poster, which can be larger: then the poster's size.
  const poster = spec.thumbnails;
  const size = poster && poster.posterWidth * poster.posterHeight > top.width * top.height ? { width: poster.posterWidth, height: poster.posterHeight } : top;
  // 10-bit HEVC/AV1 rungs of a 10-bit source keep 10 bits through the tone map; H.264 rungs take 8 after scaling.
  return toneMapTo(t, size, spec.video.some((v) => v.bitDepth === 10) ? 'yuv420p10le' : 'yuv420p');
}

function toneMapTo(t: NonNullable<EncodeSpec['toneMap']>, size: { width: number; height: number }, format = 'yuv420p'): string {
  const tin = t.from === 'pq' ? 'smpte2084' : 'arib-std-b67';
  return `zscale=w=${size.width}:h=${size.height}:tin=${tin}:pin=${t.primaries}:min=${t.matrix}:t=linear:npl=100,format=gbrpf32le,` +
    `zscale=p=bt709,tonemap=mobius:desat=0,zscale=t=bt709:m=bt709:r=tv,format=${format},`;
}

function streamOptions(spec: EncodeSpec): string[] {
  const opts: string[] = [];
  const x264Preset = spec.x264Preset ?? X264_PRESET;
  spec.video.forEach((v, i) => opts.push('-map', `[out${i}]`, ...videoEncoderOptions(v, i, { gopFrames: spec.gopFrames, x264Preset })));
  if (spec.video.length > 0) {
    // Closed, fixed GOPs with keyframes on the same frame numbers in every rendition: segments align
    // (each encoder's own options, B-frame pattern included, are in video-encoders.ts).
    const g = String(spec.gopFrames);
    opts.push('-g', g, '-keyint_min', g, '-sc_threshold', '0', '-flags:v', '+cgop', '-force_key_frames', `expr:eq(mod(n,${g}),0)`);
    // Tone-mapped output says what it is; otherwise a player may take the source's tags for it.
    if (spec.toneMap) opts.push('-color_primaries', 'bt709', '-color_trc', 'bt709', '-colorspace', 'bt709', '-color_range', 'tv');
  }
  (spec.audio ?? []).forEach((a, i) => {
    // A track's own filter (loudness normalisation) runs on it alone, beside the video's complex graph.
    if (a.filter) opts.push(`-filter:a:${i}`, a.filter);
    opts.push('-map', `0:${a.stream}`, `-c:a:${i}`, 'aac', `-b:a:${i}`, String(a.bitrate), `-ac:a:${i}`, String(a.channels), `-ar:a:${i}`, String(a.sampleRate),
      // In the init segment too (mdhd), for players that read it there; -map_metadata -1 drops the source's.
      ...(a.language ? [`-metadata:s:a:${i}`, `language=${a.language}`] : []));
  });
  return opts;
}

function packagingOptions(spec: EncodeSpec): string[] {
  const variants = [...spec.video.map((_, i) => `v:${i}`), ...(spec.audio ?? []).map((_, i) => `a:${i}`)];
  const ext = spec.segmentFormat === 'ts' ? 'ts' : 'm4s';
  // hls_time is in microseconds inside ffmpeg: round down so a keyframe exactly on the boundary cuts.
  const hlsTime = (Math.floor(spec.segmentSeconds * 1e6) / 1e6).toFixed(6);
  return [
    '-map_metadata', '-1', '-map_chapters', '-1', '-max_muxing_queue_size', '4096',
    '-f', 'hls', '-hls_time', hlsTime, '-hls_playlist_type', 'vod', '-hls_list_size', '0',
    // Each segment is written under a .tmp name and renamed when complete: the uploader takes finished
    // ones while the encode runs (segment-uploader.ts).
    '-hls_flags', 'temp_file',
    '-hls_segment_type', spec.segmentFormat === 'ts' ? 'mpegts' : 'fmp4', '-hls_fmp4_init_filename', 'init.mp4', '-start_number', String(spec.startNumber ?? 1),
    // Version-1 trun boxes with negative composition offsets: video presentation starts at 0 like
    // audio, instead of two B-frames late (which MSE players, ignoring edit lists, would show).
    ...(spec.segmentFormat === 'cmaf' ? ['-hls_segment_options', 'movflags=+negative_cts_offsets'] : []),
    '-hls_segment_filename', join(spec.outDir, 's%v', `seg_%05d.${ext}`),
    '-var_stream_map', variants.join(' '),
  ];
}

export interface EncodeControl {
  signal?: AbortSignal;
  /** Handed the running encoder, which can be paused (SIGSTOP) and resumed while outputs drain. */
  onSpawn?: (encoder: { pause(): void; resume(): void }) => void;
}

/** Runs one ffmpeg process: decode once, encode every rendition, package, and cut the thumbnails. */
export function runEncode(spec: EncodeSpec, onProgress: (p: EncodeProgress) => void, control: EncodeControl = {}): Promise<void> {
  if (/%/.test(spec.outDir)) throw new ToolError(`work dir must not contain '%' (ffmpeg reads it as a pattern): ${spec.outDir}`, '');
  const graph = filterGraph(spec);
  const outputs: { path: string; options: string[] }[] = [
    { path: join(spec.outDir, 's%v', VARIANT_PLAYLIST), options: [...streamOptions(spec), ...packagingOptions(spec)] },
  ];
  const t = spec.thumbnails;
  if (t && graph) {
    const image = (label: string, path: string, extra: string[]): { path: string; options: string[] } =>
      // passthrough: image2 would otherwise get ffmpeg's default constant frame rate, which repeats
      // the selected frame for every frame of the source and encodes each repeat (as much CPU as
      // the top rendition's encode, for a file that keeps only the last one).
      ({ path, options: ['-map', `[${label}]`, '-fps_mode', 'passthrough', '-update', '1', ...extra, '-f', 'image2'] });
    outputs.push(image('png', t.png, []), image('jpeg', t.jpeg, ['-q:v', '3']));
    // One sheet: a rounding extra frame must not replace it with a nearly empty second one.
    if (t.storyboard) outputs.push(image('sheet', t.storyboard.path, ['-frames:v', '1', '-q:v', '5']));
  }
  const seek: string[] = [];
  // Pictures only (the audio job of a time-split plan): decoding every frame of a two-hour film for a
  // poster and at most 100 storyboard tiles made that job the run's critical path (0.32 s of wall per
  // second of source, bench:simulate). Keyframes are enough for pictures: each is then the keyframe at or
  // before its time (fps repeats it in between), at most one source GOP early.
  if (spec.video.length === 0 && t) seek.push('-skip_frame', 'nokey');
  if (spec.range && spec.range.seekSec > 0) seek.push('-ss', spec.range.seekSec.toFixed(6));
  // Read a second past the range: the fps filter emits a frame only once it sees the next one; trim cuts.
  if (spec.range?.frames !== undefined) seek.push('-t', (spec.range.frames / spec.fps + 1).toFixed(6));
  return runFfmpeg(spec.input, graph, outputs, onProgress, control, seek);
}

// Two or more, so fluent-ffmpeg takes them verbatim (see runFfmpeg).
const INPUT_OPTIONS = ['-nostdin', '-hide_banner', '-loglevel', 'error', '-stats', '-stats_period', '1'];
const PROGRESS = /time=\s*(-?\d+):(\d+):([\d.]+).*?(?:speed=\s*([\d.]+)x)?\s*$/;

/** The fluent-ffmpeg boundary: inputs, a filter graph and outputs in; a settled promise out. */
function runFfmpeg(
  input: string,
  graph: string | undefined,
  outputs: { path: string; options: string[] }[],
  onProgress: (p: EncodeProgress) => void,
  { signal, onSpawn }: EncodeControl,
  seek: string[] = [],
): Promise<void> {
  return new Promise((resolve, reject) => {
    // Options go in as separate arguments: given ONE array, fluent-ffmpeg splits every element that
    // holds exactly one space ("v:0 a:0" would become two arguments). Spread, it splits nothing.
    const command = ffmpeg({ stdoutLines: 0 }).input(input).inputOptions(...INPUT_OPTIONS, ...seek);
    if (graph) command.complexFilter(graph);
    for (const output of outputs) command.output(output.path).outputOptions(...output.options);
    const recent: string[] = [];
    if (process.env.OCI_TRANSCODE_VERBOSE === 'true') command.on('start', (line: string) => process.stderr.write(`${line}\n`));
    command.on('stderr', (line: string) => {
      const m = PROGRESS.exec(line);
      if (m && /(?:frame|size)=/.test(line)) {
        const [, h, min, s, speed] = m;
        const fps = /fps=\s*([\d.]+)/.exec(line)?.[1];
        onProgress({ outTimeSec: Number(h) * 3600 + Number(min) * 60 + Number(s), ...(fps ? { fps: Number(fps) } : {}), ...(speed ? { speed: Number(speed) } : {}) });
        return;
      }
      if (line.trim()) recent.push(line.trim());
      if (recent.length > 20) recent.shift();
    });
    const abort = (): void => {
      command.kill('SIGTERM');
      command.kill('SIGCONT'); // a paused ffmpeg handles SIGTERM only once it runs again
    };
    command.on('start', () => onSpawn?.({ pause: () => command.kill('SIGSTOP'), resume: () => command.kill('SIGCONT') }));
    signal?.addEventListener('abort', abort, { once: true });
    command.on('error', (error: Error) => {
      signal?.removeEventListener('abort', abort);
      reject(new ToolError(signal?.aborted ? 'ffmpeg stopped: the job was cancelled' : `ffmpeg failed: ${recent.slice(-5).join(' | ') || error.message}`, recent.join('\n')));
    });
    command.on('end', () => {
      signal?.removeEventListener('abort', abort);
      resolve();
    });
    command.run();
  });
}

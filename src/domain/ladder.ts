// Source probe + preset -> Plan: which renditions to encode, how, and in which jobs.
// Pure and deterministic: the workflow runs it too (no Node built-ins, no clock, no randomness).
import { planAudio } from './audio-plan.js';
import { addCodecRungs, isH264 } from './codec-rungs.js';
import { versionFolder } from './layout.js';
import { planDownloads, type DownloadChoice } from './downloads.js';
import { planPicture } from './picture.js';
import { planSubtitles } from './subtitles.js';
import type {
  AudioSelection,
  JobSpec,
  LoudnessSpec,
  Parallelism,
  Plan,
  PresetName,
  SegmentFormat,
  SourceProbe,
  StreamFormat,
  VideoCodec,
  VideoProbe,
  VideoRendition,
} from './types.js';

/** Nothing in the source can become a stream (no usable video or audio, no duration). */
export class PlanError extends Error {
  override readonly name = 'PlanError';
}

export interface PlanOptions {
  preset?: PresetName;
  formats?: StreamFormat[];
  segmentFormat?: SegmentFormat;
  parallelism?: Parallelism;
  etag?: string;
  /** Which source audio tracks to keep (default all; the seed preset keeps one, as the original did). */
  audioTracks?: AudioSelection;
  /** A 5.1 rendition besides the stereo one of every track with 6 or more channels (default off: plans recorded before it). */
  surround?: boolean;
  /** Loudness measured, or measured and normalised, by the audio job (default: neither). */
  loudness?: LoudnessSpec;
  /** The MP4 download's rung (`top`, a rung id) or `off` (the default: no downloads). */
  downloads?: DownloadChoice;
  /** Video codecs of the ladder (default H.264 only): HEVC and AV1 rungs beside it (domain/codec-rungs.ts). */
  videoCodecs?: readonly VideoCodec[];
}

interface Rung {
  /** Short side in pixels: the "720" of 720p, for landscape and portrait alike. */
  short: number;
  bitrate: number;
  maxrate: number;
  bufsize: number;
}

/** The original pipeline's ladder, rate control included (its maxrate = bitrate, bufsize as it set them). */
const SEED_RUNGS: Rung[] = [
  { short: 1080, bitrate: 5_000_000, maxrate: 5_000_000, bufsize: 10_000_000 },
  { short: 720, bitrate: 3_000_000, maxrate: 3_000_000, bufsize: 3_000_000 },
  { short: 360, bitrate: 1_000_000, maxrate: 1_000_000, bufsize: 1_000_000 },
];
const DEFAULT_SHORT_SIDES = [1080, 720, 480, 360];

/** H.264 target bit rate by pixel count at 30 fps, interpolated between these 16:9 points. */
const BITRATE_POINTS: [pixels: number, bps: number][] = [
  [640 * 360, 800_000],
  [854 * 480, 1_500_000],
  [1280 * 720, 3_000_000],
  [1920 * 1080, 5_000_000],
];
const MIN_VIDEO_BPS = 150_000;
/**
 * Capped CRF, the default ladder's rate control: quality 23 where the bits allow, never above the rung's
 * rate (maxrate = bitrate, a 2 s buffer). Unlike one-pass ABR it carries almost no state from frame to
 * frame, so a chunk that starts on a scene cut is encoded as the whole-file encode would encode it: ABR
 * started cold gave that chunk's first segment VMAF 50 against 59 (BENCHMARKS.md, seams). Easy content
 * also stops spending bits it does not need.
 */
export const CAPPED_CRF = 23;
/** A rung this close below the source's own size adds little: the source size replaces it. */
const NEAR_DUPLICATE = 0.85;
const MAX_FPS = 60;
const STANDARD_FPS = [24000 / 1001, 24, 25, 30000 / 1001, 30, 48, 50, 60000 / 1001, 60];
const GOP_SECONDS = 2;
const GOPS_PER_SEGMENT = 2;

const evenFloor = (n: number): number => Math.floor(n / 2) * 2;
const evenRound = (n: number): number => Math.max(2, Math.round(n / 2) * 2);
const roundKbps = (bps: number): number => Math.max(1000, Math.round(bps / 1000) * 1000);

function interpolateBitrate(pixels: number): number {
  const points = BITRATE_POINTS;
  let i = 1;
  while (i < points.length - 1 && pixels > (points[i]?.[0] ?? 0)) i++;
  const [p0, b0] = points[i - 1] ?? [1, 0];
  const [p1, b1] = points[i] ?? [1, 0];
  return Math.max(MIN_VIDEO_BPS, b0 + ((b1 - b0) * (pixels - p0)) / (p1 - p0));
}

/** Source rate kept; above 60 divided by the smallest whole factor (even cadence); snapped to a standard rate within 1.5 %. */
export function planFps(sourceFps: number): number {
  if (!(sourceFps > 0) || !Number.isFinite(sourceFps)) return 30;
  let fps = sourceFps;
  for (let k = 2; fps > MAX_FPS + 0.001; k++) fps = sourceFps / k;
  let best = fps;
  let bestError = 0.015;
  for (const standard of STANDARD_FPS) {
    const error = Math.abs(fps - standard) / standard;
    if (error < bestError) [best, bestError] = [standard, error];
  }
  return best === fps ? Math.round(fps * 1000) / 1000 : best;
}

/** Lowest H.264 level (Annex A, table A-1) whose frame size, macroblock rate and bit rate fit. */
export function h264Level(width: number, height: number, fps: number, maxrateBps: number): string {
  const frameMbs = Math.ceil(width / 16) * Math.ceil(height / 16);
  const mbps = frameMbs * fps;
  // [level, MaxFS, MaxMBPS, MaxBR in kbit/s for High profile (1.25 x the Main figure)]
  const levels: [string, number, number, number][] = [
    ['3.0', 1620, 40500, 12500],
    ['3.1', 3600, 108000, 17500],
    ['3.2', 5120, 216000, 25000],
    ['4.0', 8192, 245760, 25000],
    ['4.1', 8192, 245760, 62500],
    ['4.2', 8704, 522240, 62500],
    ['5.0', 22080, 589824, 168750],
    ['5.1', 36864, 983040, 300000],
    ['5.2', 36864, 2073600, 300000],
  ];
  const fit = levels.find(([, fs, rate, br]) => frameMbs <= fs && mbps <= rate && maxrateBps / 1000 <= br);
  return fit ? fit[0] : '5.2';
}

/**
 * VFR sources keep their base rate (frames are duplicated where the source dropped some) rather than
 * their average, which would drop frames where the source was smooth; unless the base rate is one of
 * the container time bases some muxers report (1000, 90000).
 */
function sourceFps(video: VideoProbe): number {
  const base = video.baseFps;
  if (video.vfr && base !== undefined && base > video.fps && base <= 120 && base <= 2.5 * video.fps) return base;
  return video.fps;
}

function sourceVideoBitrate(probe: SourceProbe): number | undefined {
  if (probe.video?.bitRate) return probe.video.bitRate;
  if (probe.bitRate) return probe.bitRate - (probe.audio?.bitRate ?? 0);
  return undefined;
}

function chooseRungs(preset: PresetName, short: number): Rung[] {
  const standard: Rung[] =
    preset === 'seed'
      ? SEED_RUNGS
      : DEFAULT_SHORT_SIDES.map((s) => ({ short: s, bitrate: 0, maxrate: 0, bufsize: 0 }));
  const kept = standard.filter((r) => r.short <= short);
  const top = standard[0];
  if (top && short < top.short && kept[0]?.short !== short) {
    // Between rungs (or below all): the source's own size is the top rung, never an upscale.
    // Seed gives it the rate control of the rung it replaces.
    const replaced = [...standard].reverse().find((r) => r.short > short) ?? top;
    const own = { ...replaced, short };
    return [own, ...kept.filter((r) => r.short <= short * NEAR_DUPLICATE)];
  }
  return kept;
}

function planVideo(video: VideoProbe, probe: SourceProbe, preset: PresetName, fps: number): VideoRendition[] {
  const { displayWidth: w, displayHeight: h } = video;
  if (!(w >= 2 && h >= 2)) throw new PlanError(`video stream has no usable size (${w}x${h})`);
  const portrait = h > w;
  const short = Math.min(w, h);
  const long = Math.max(w, h);
  const aspect = long / short;
  const srcBitrate = sourceVideoBitrate(probe);
  return chooseRungs(preset, evenFloor(short)).map((rung): VideoRendition => {
    const rungLong = Math.min(evenRound(rung.short * aspect), Math.max(2, evenFloor(long)));
    const [width, height] = portrait ? [rung.short, rungLong] : [rungLong, rung.short];
    let { bitrate, maxrate, bufsize } = rung;
    if (preset !== 'seed') {
      bitrate = interpolateBitrate(width * height) * (fps > 30.5 ? 1.5 : 1);
      if (srcBitrate && srcBitrate > 0) {
        // Re-encoding adds no detail: stay near the source's own rate, scaled down with the picture.
        const cap = 1.1 * srcBitrate * Math.pow((width * height) / (w * h), 0.75);
        bitrate = Math.max(MIN_VIDEO_BPS, Math.min(bitrate, cap));
      }
      bitrate = roundKbps(bitrate);
      maxrate = bitrate;
      bufsize = bitrate * 2;
    }
    const crf = preset === 'seed' ? {} : { crf: CAPPED_CRF };
    return { id: `${rung.short}p`, width, height, bitrate, maxrate, bufsize, ...crf, profile: 'high', level: h264Level(width, height, fps, maxrate) };
  });
}

function planJobs(parallelism: Parallelism, video: VideoRendition[], audio: boolean): JobSpec[] {
  if (video.length === 0) return [{ id: 'audio', videoIds: [], audio: true, thumbnails: false }];
  if (parallelism === 'single') return [{ id: 'all', videoIds: video.map((v) => v.id), audio, thumbnails: true }];
  // The lowest rung is the quickest encode: it carries audio and thumbnails so jobs finish together.
  const lowest = video.filter(isH264).at(-1)?.id;
  return video.map((v) => ({ id: v.id, videoIds: [v.id], audio: audio && v.id === lowest, thumbnails: v.id === lowest }));
}

export { planAudioRenditions } from './audio-plan.js';

export function planLadder(probe: SourceProbe, options: PlanOptions = {}): Plan {
  const preset = options.preset ?? 'default';
  const segmentFormat = options.segmentFormat ?? 'cmaf';
  // MPEG-TS segments cannot be described by a DASH MPD (legacy-hls writes HLS only).
  const formats: StreamFormat[] = segmentFormat === 'ts' ? ['hls'] : [...new Set<StreamFormat>(options.formats ?? ['hls', 'dash'])];
  if (formats.length === 0) throw new PlanError('no output format requested');
  if (!(probe.durationSec > 0)) throw new PlanError(`source duration is ${probe.durationSec} s: nothing to stream`);
  if (!probe.video && !probe.audio) throw new PlanError('source has no decodable video or audio stream');

  const picture = planPicture(probe.video);
  // An interlaced stream's base rate may be its field rate (H.264 PAFF): deinterlacing keeps the frame rate.
  const fps = probe.video ? planFps(picture?.deinterlace ? probe.video.fps : sourceFps(probe.video)) : 0;
  const codecs = addCodecRungs(probe.video ? planVideo(probe.video, probe, preset, fps) : [], options.videoCodecs ?? ['h264'], { segmentFormat, sourceBitDepth: probe.video?.bitDepth ?? 8 });
  const video = codecs.video;
  const [audio, ...moreAudio] = planAudio(probe, preset, options.audioTracks ?? 'all', options.surround === true);
  const gopFrames = video.length === 0 ? 0 : preset === 'seed' ? 48 : Math.max(1, Math.round(GOP_SECONDS * fps));
  // Default segments are whole GOPs (4 s at 30 fps, 4.004 s at 29.97), so every cut lands on a keyframe.
  const segmentSeconds = preset === 'seed' ? 5 : video.length === 0 ? GOP_SECONDS * GOPS_PER_SEGMENT : (GOPS_PER_SEGMENT * gopFrames) / fps;
  const jobs = planJobs(options.parallelism ?? 'single', video, audio !== undefined);
  const downloads = planDownloads({ video, audio, jobs, segmentFormat }, options.downloads ?? 'off');
  return {
    preset,
    formats,
    segmentFormat,
    segmentSeconds,
    fps,
    gopFrames,
    video,
    ...(codecs.skipped ? { videoCodecsSkipped: codecs.skipped } : {}),
    ...(audio ? { audio } : {}),
    ...(moreAudio.length > 0 ? { moreAudio } : {}),
    durationSec: probe.durationSec,
    ...(video.length > 0 && probe.video?.durationSec ? { videoDurationSec: probe.video.durationSec } : {}),
    ...(picture && video.length > 0 ? { picture } : {}),
    ...planSubtitles(probe, segmentFormat),
    version: versionFolder(options.etag),
    ...(audio && options.loudness ? { loudness: options.loudness } : {}),
    ...(downloads ? { downloads } : {}),
    jobs,
  };
}

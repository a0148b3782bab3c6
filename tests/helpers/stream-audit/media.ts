// ffprobe/ffmpeg views of sources and outputs, for tests only (argument arrays, never a shell).
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);
const BIG = { maxBuffer: 256 * 1024 * 1024 };

export interface ProbedStream {
  index: number;
  type: 'video' | 'audio' | 'other';
  codec: string;
  profile?: string;
  level?: number;
  pixFmt?: string;
  width?: number;
  height?: number;
  /** Sample aspect ratio as a number (1 for square pixels). */
  sar: number;
  /** Degrees a player rotates the picture: 0, 90, 180, 270. */
  rotation: number;
  channels?: number;
  sampleRate?: number;
}

export interface Probed {
  durationSec: number;
  streams: ProbedStream[];
}

interface RawStream {
  index: number;
  codec_type: string;
  codec_name: string;
  profile?: string;
  level?: number;
  pix_fmt?: string;
  width?: number;
  height?: number;
  sample_aspect_ratio?: string;
  channels?: number;
  sample_rate?: string;
  tags?: { rotate?: string };
  side_data_list?: { rotation?: number }[];
}

const ratio = (text: string | undefined): number => {
  const [n, d] = (text ?? '1:1').split(':').map(Number);
  return n && d ? n / d : 1;
};

/** ffprobe of a file, playlist or MPD (an MPD must be given as an absolute path). */
export async function probe(input: string): Promise<Probed> {
  const { stdout } = await run('ffprobe', ['-v', 'error', '-show_format', '-show_streams', '-of', 'json', input], BIG);
  const json = JSON.parse(stdout) as { format: { duration?: string }; streams: RawStream[] };
  return {
    durationSec: Number(json.format.duration ?? NaN),
    streams: json.streams.map((s) => {
      const matrix = s.side_data_list?.find((d) => typeof d.rotation === 'number')?.rotation;
      // ffprobe reports the display matrix counter-clockwise; players rotate clockwise.
      const rotation = matrix !== undefined ? (((-matrix % 360) + 360) % 360) : Number(s.tags?.rotate ?? 0);
      return {
        index: s.index,
        type: s.codec_type === 'video' || s.codec_type === 'audio' ? s.codec_type : 'other',
        codec: s.codec_name,
        profile: s.profile,
        level: s.level,
        pixFmt: s.pix_fmt,
        width: s.width,
        height: s.height,
        sar: ratio(s.sample_aspect_ratio),
        rotation,
        channels: s.channels,
        sampleRate: s.sample_rate ? Number(s.sample_rate) : undefined,
      };
    }),
  };
}

/** Display size of a video stream: SAR applied, then rotation. */
export function displaySize(v: ProbedStream): { width: number; height: number } {
  const w = (v.width ?? 0) * v.sar;
  const h = v.height ?? 0;
  return v.rotation % 180 === 90 ? { width: h, height: w } : { width: w, height: h };
}

export interface DecodedStream {
  index: number;
  type: string;
  frames: number;
  /** End of the last decoded frame minus start of the first, in seconds. */
  durationSec: number;
}

/**
 * Decodes every stream of `input` (`-map 0`) to frame checksums and counts frames per stream.
 * ffmpeg exits 0 when a segment is missing, so `warnings` carries what it complained about.
 */
export async function decodeAll(input: string): Promise<{ streams: DecodedStream[]; warnings: string[] }> {
  const { stdout, stderr } = await run(
    'ffmpeg',
    ['-hide_banner', '-nostdin', '-v', 'warning', '-i', input, '-map', '0', '-f', 'framecrc', '-'],
    BIG,
  );
  const timebase = new Map<number, number>();
  const types = new Map<number, string>();
  const span = new Map<number, { first: number; end: number; frames: number }>();
  for (const line of stdout.split('\n')) {
    let m = /^#tb (\d+): (\d+)\/(\d+)/.exec(line);
    if (m) timebase.set(Number(m[1]), Number(m[2]) / Number(m[3]));
    else if ((m = /^#media_type (\d+): (\w+)/.exec(line))) types.set(Number(m[1]), m[2]!);
    else if (/^\d/.test(line)) {
      // stream, dts, pts, duration, size, crc
      const [stream, , pts, duration] = line.split(',').map((f) => Number(f.trim())) as [number, number, number, number];
      const s = span.get(stream) ?? { first: pts, end: pts, frames: 0 };
      s.first = Math.min(s.first, pts);
      s.end = Math.max(s.end, pts + duration);
      s.frames++;
      span.set(stream, s);
    }
  }
  const streams = [...types.entries()].map(([index, type]) => {
    const s = span.get(index);
    const tb = timebase.get(index) ?? NaN;
    return { index, type, frames: s?.frames ?? 0, durationSec: s ? (s.end - s.first) * tb : 0 };
  });
  return { streams, warnings: stderr.split('\n').filter((l) => l.trim() !== '') };
}

/** Presentation times (s) of the video packets of `input` that are keyframes, and of all packets. */
export async function videoPackets(input: string): Promise<{ pts: number[]; keyPts: number[] }> {
  const { stdout } = await run(
    'ffprobe',
    ['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'packet=pts_time,flags', '-of', 'csv=p=0', input],
    BIG,
  );
  const pts: number[] = [];
  const keyPts: number[] = [];
  for (const line of stdout.split('\n')) {
    const [time, flags] = line.split(',');
    if (!time || time === 'N/A') continue;
    pts.push(Number(time));
    if (flags?.includes('K')) keyPts.push(Number(time));
  }
  return { pts: pts.sort((a, b) => a - b), keyPts: keyPts.sort((a, b) => a - b) };
}

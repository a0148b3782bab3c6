// Short generated test clips (ffmpeg lavfi), made once and cached under .data/test-clips/.
// Never downloads: every source the suites use is synthesised here.
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, rename, writeFile, readFile, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
export const CLIP_DIR = resolve('.data/test-clips');

export type ClipKind =
  | 'landscape'
  | 'portrait'
  | 'no-audio'
  | 'audio-only'
  | 'surround'
  | 'odd-size'
  | 'non-square'
  | 'rotated'
  | 'hevc-10bit'
  | 'vfr';

/** Sources of the catalogue features (issue 12), kept apart from the shapes every suite runs through. */
export type FeatureClipKind = 'outlasting-tracks' | 'interlaced-ts' | 'hdr10' | 'hlg' | 'two-languages' | 'subtitled' | 'loud';

/** The SDR picture the HDR clips are made from: what a tone-mapped output is compared with. */
export const sdrReference = (o: Required<ClipOptions>): string => `testsrc2=size=${o.width}x${o.height}:rate=${o.fps}:duration=${o.seconds}`;

/** testsrc2 carried into HDR (white at 100 nits), 10-bit HEVC tagged as HDR10 or HLG broadcasters deliver it. */
// (With stereo audio: a time-split plan needs it, and its audio job cuts the pictures.)
function hdr(o: Required<ClipOptions>, transfer: 'smpte2084' | 'arib-std-b67'): string[] {
  return ['-f', 'lavfi', '-i', sdrReference(o), ...tone(o.seconds), '-c:a', 'aac', '-b:a', '96k', '-vf', `zscale=tin=bt709:t=${transfer}:pin=bt709:p=bt2020:min=bt709:m=bt2020nc:rin=tv:r=tv:npl=100,format=yuv420p10le`,
    '-c:v', 'libx265', '-preset', 'ultrafast', '-x265-params', `log-level=error:colorprim=bt2020:transfer=${transfer}:colormatrix=bt2020nc`,
    '-color_primaries', 'bt2020', '-color_trc', transfer, '-colorspace', 'bt2020nc', '-tag:v', 'hvc1'];
}

export interface ClipOptions {
  seconds?: number;
  width?: number;
  height?: number;
  fps?: number;
}

const video = (w: number, h: number, fps: number, s: number): string[] => [
  '-f', 'lavfi', '-i', `testsrc2=size=${w}x${h}:rate=${fps}:duration=${s}`,
];
const tone = (s: number, layout = 'stereo'): string[] => [
  '-f', 'lavfi', '-i', `sine=frequency=440:sample_rate=48000:duration=${s},aformat=channel_layouts=${layout}`,
];
const x264 = ['-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-g', '30'];
const aac = ['-c:a', 'aac', '-b:a', '96k'];

function recipe(kind: ClipKind | FeatureClipKind, o: Required<ClipOptions>): { ext: string; args: string[] } {
  const { seconds: s, width: w, height: h, fps } = o;
  switch (kind) {
    case 'landscape':
      return { ext: 'mp4', args: [...video(w, h, fps, s), ...tone(s), ...x264, ...aac, '-shortest'] };
    case 'portrait':
      return { ext: 'mp4', args: [...video(h, w, fps, s), ...tone(s), ...x264, ...aac, '-shortest'] };
    case 'no-audio':
      return { ext: 'mp4', args: [...video(w, h, fps, s), ...x264] };
    case 'audio-only':
      return { ext: 'm4a', args: [...tone(s), ...aac] };
    case 'surround':
      return { ext: 'mp4', args: [...video(w, h, fps, s), ...tone(s, '5.1'), ...x264, '-c:a', 'aac', '-b:a', '256k', '-shortest'] };
    case 'odd-size':
      // x264 refuses odd sizes in 4:2:0, so the source is lossless FFV1 in Matroska.
      return {
        ext: 'mkv',
        args: [...video(w, h, fps, s), ...tone(s), '-vf', `scale=${w + 1}:${h + 1},format=yuv444p`, '-c:v', 'ffv1', ...aac, '-shortest'],
      };
    case 'non-square':
      // Anamorphic 16:9 DVD-style frame: 720x480 stored, shown 853x480.
      return { ext: 'mp4', args: [...video(720, 480, fps, s), ...tone(s), '-vf', 'setsar=32/27', ...x264, ...aac, '-shortest'] };
    case 'rotated':
      // A phone recording: landscape pixels with a 90 degree display matrix.
      // ffmpeg 5.1 writes the rotate tag only when stream-copying: see makeClip's remux step.
      return { ext: 'mp4', args: [...video(w, h, fps, s), ...tone(s), ...x264, ...aac, '-shortest'] };
    case 'hevc-10bit':
      return {
        ext: 'mp4',
        args: [...video(w, h, fps, s), ...tone(s), '-c:v', 'libx265', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p10le',
          '-tag:v', 'hvc1', '-x265-params', 'log-level=error', ...aac, '-shortest'],
      };
    case 'vfr':
      // Drops two of every three frames in the second half: frame durations vary.
      return {
        ext: 'mp4',
        args: [...video(w, h, fps, s), ...tone(s), '-vf', `select='lt(t\\,${s / 2})+not(mod(n\\,3))'`, '-fps_mode', 'vfr',
          ...x264, ...aac, '-shortest'],
      };
    case 'outlasting-tracks':
      // Valid, and longer than its video: audio lasts 1 s more, a SubRip cue ends 2 s after the video
      // (Matroska: stream durations come as DURATION tags). The cue file is written by makeClip.
      return {
        ext: 'mkv',
        args: [...video(w, h, fps, s), ...tone(s + 1), '-i', 'SIDE_SRT', '-map', '0', '-map', '1', '-map', '2', ...x264, ...aac, '-c:s', 'srt'],
      };
    case 'two-languages':
      // A dubbed title: English (440 Hz, 5.1, default, titled) and French (660 Hz, stereo). Matroska, which
      // keeps a track title (MP4 has only a handler name).
      return {
        ext: 'mkv',
        args: [...video(w, h, fps, s), ...tone(s, '5.1'), '-f', 'lavfi', '-i', `sine=frequency=660:sample_rate=48000:duration=${s},aformat=channel_layouts=stereo`,
          '-map', '0', '-map', '1', '-map', '2', ...x264, ...aac, '-metadata:s:a:0', 'language=eng', '-metadata:s:a:0', 'title=English',
          '-metadata:s:a:1', 'language=fra', '-disposition:a:0', 'default', '-disposition:a:1', '0'],
      };
    case 'subtitled':
      // Captions and subtitles: English SubRip (default, hearing impaired: SDH), French ASS (forced), and a
      // German PGS (bitmap) stream, which is reported, not converted. The cue files are written by makeClip.
      return {
        ext: 'mkv',
        args: [...video(w, h, fps, s), ...tone(s), '-i', 'SUB_EN', '-i', 'SUB_FR', '-i', 'SUB_PGS', '-map', '0', '-map', '1', '-map', '2', '-map', '3', '-map', '4',
          ...x264, ...aac, '-c:s:0', 'srt', '-c:s:1', 'ass', '-c:s:2', 'copy', '-metadata:s:s:0', 'language=eng', '-metadata:s:s:1', 'language=fra',
          '-metadata:s:s:2', 'language=deu', '-disposition:s:0', 'default+hearing_impaired', '-disposition:s:1', 'forced', '-disposition:s:2', '0'],
      };
    case 'loud':
      // Mastered hot, as web video often is: a stereo tone at about -16 LUFS integrated (peak about -15 dBTP).
      return { ext: 'mp4', args: [...video(w, h, fps, s), '-f', 'lavfi', '-i', `sine=frequency=440:sample_rate=48000:duration=${s},aformat=channel_layouts=stereo,volume=5.8dB`, ...x264, ...aac, '-shortest'] };
    case 'hdr10':
      return { ext: 'mp4', args: hdr(o, 'smpte2084') };
    case 'hlg':
      return { ext: 'mp4', args: hdr(o, 'arib-std-b67') };
    case 'interlaced-ts':
      // Broadcast-style: MPEG-2 video, interlaced (top field first, fields from a double-rate source so
      // each field differs: combing if not deinterlaced), MP2 audio, in MPEG-TS. Rendered at 1080 and
      // scaled down, as a 1080i master's lower rungs are: the fine detail makes x264's adaptive B-frames
      // vary between segments (the DTS defect of issue 12 showed only then).
      return {
        ext: 'ts',
        args: ['-f', 'lavfi', '-i', `testsrc2=size=1920x1080:rate=${fps * 2}:duration=${s}`, ...tone(s),
          '-vf', `scale=${w}:${h},tinterlace=mode=interleave_top,setfield=tff`, '-c:v', 'mpeg2video', '-b:v', '3M', '-flags', '+ilme+ildct', '-top', '1',
          '-c:a', 'mp2', '-f', 'mpegts'],
      };
  }
}

async function cached(key: string, ext: string, make: (tmp: string) => Promise<void>): Promise<string> {
  const hash = createHash('sha1').update(key).digest('hex').slice(0, 12);
  const path = join(CLIP_DIR, `${hash}.${ext}`);
  if (existsSync(path)) return path;
  await mkdir(CLIP_DIR, { recursive: true });
  const tmp = `${path}.${process.pid}.${randomBytes(3).toString('hex')}.tmp.${ext}`;
  try {
    await make(tmp);
    await rename(tmp, path); // atomic: parallel test files never see a half-written clip
  } finally {
    await rm(tmp, { force: true });
  }
  return path;
}

/** The 'subtitled' clip's inputs: two SubRip files and a minimal PGS stream (one display set: a composition and its end). */
async function subtitleFiles(tmp: string): Promise<Record<string, string>> {
  const files = { SUB_EN: `${tmp}.en.srt`, SUB_FR: `${tmp}.fr.srt`, SUB_PGS: `${tmp}.sup` };
  await writeFile(files.SUB_EN, '1\n00:00:00,500 --> 00:00:01,500\nHello <i>there</i>\n\n2\n00:00:01,800 --> 00:00:02,800\n[door slams] Second line\n');
  await writeFile(files.SUB_FR, '1\n00:00:00,200 --> 00:00:02,500\nBonjour\n');
  // PGS segments: "PG", PTS, DTS (90 kHz), type, size, payload. ffmpeg has no PGS encoder; its demuxer takes this.
  const segment = (type: number, payload: Buffer): Buffer => {
    const head = Buffer.alloc(13);
    head.write('PG', 0, 'latin1');
    head.writeUInt32BE(90_000, 2);
    head.writeUInt8(type, 10);
    head.writeUInt16BE(payload.length, 11);
    return Buffer.concat([head, payload]);
  };
  const composition = Buffer.from([0x01, 0x40, 0x00, 0xb4, 0x10, 0x00, 0x00, 0x80, 0x00, 0x00, 0x00]); // 320x180, epoch start, no objects
  await writeFile(files.SUB_PGS, Buffer.concat([segment(0x16, composition), segment(0x80, Buffer.alloc(0))]));
  return files;
}

/** Absolute path of a generated clip of the given kind (default 4 s, 640x360, 30 fps). */
export async function makeClip(kind: ClipKind | FeatureClipKind, options: ClipOptions = {}): Promise<string> {
  const o = { seconds: 4, width: 640, height: 360, fps: 30, ...options };
  const { ext, args } = recipe(kind, o);
  return cached(JSON.stringify({ kind, o, args }), ext, async (tmp) => {
    const srt = `${tmp}.srt`;
    if (args.includes('SIDE_SRT')) await writeFile(srt, `1\n00:00:00,500 --> 00:00:${String(o.seconds + 2).padStart(2, '0')},000\nstill talking\n`);
    const cueFiles = args.includes('SUB_EN') ? await subtitleFiles(tmp) : {};
    await run('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y', ...args.map((a) => (a === 'SIDE_SRT' ? srt : cueFiles[a] ?? a)), tmp]);
    await Promise.all([srt, ...Object.values(cueFiles)].map((f) => rm(f, { force: true })));
    if (kind === 'rotated') {
      const plain = `${tmp}.plain.${ext}`;
      await rename(tmp, plain);
      await run('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y', '-i', plain, '-c', 'copy', '-metadata:s:v:0', 'rotate=90', tmp]);
      await rm(plain, { force: true });
    }
  });
}

export type BadInputKind = 'zero-bytes' | 'random-bytes' | 'text' | 'truncated-mp4' | 'image' | 'no-streams';

/** Files that are not usable media, each named .mp4 as an uploader might. */
export async function makeBadInput(kind: BadInputKind): Promise<string> {
  return cached(`bad:${kind}`, 'mp4', async (tmp) => {
    switch (kind) {
      case 'zero-bytes':
        return writeFile(tmp, '');
      case 'random-bytes':
        return writeFile(tmp, randomBytes(64 * 1024));
      case 'text':
        return writeFile(tmp, 'This is not a video, just a text file someone named .mp4.\n'.repeat(50));
      case 'truncated-mp4': {
        const whole = await readFile(await makeClip('landscape'));
        return writeFile(tmp, whole.subarray(0, Math.floor(whole.length / 3)));
      }
      case 'image':
        await run('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc2=size=320x240',
          '-frames:v', '1', '-f', 'image2', '-c:v', 'png', tmp]);
        return;
      case 'no-streams': {
        // A valid MP4 holding only a subtitle track: readable, but nothing to stream.
        const srt = `${tmp}.srt`;
        await writeFile(srt, '1\n00:00:00,000 --> 00:00:01,000\nhello\n');
        await run('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y', '-i', srt, '-c:s', 'mov_text', '-f', 'mp4', tmp]);
        await rm(srt, { force: true });
        return;
      }
    }
  });
}

// Issue 2 "Done means": `transcode --publish` output plays in hls.js and shaka-player (headless
// Chromium, MSE), ffmpeg decodes every rendition through both manifests, every referenced segment
// exists, durations match the source, segment boundaries align, and nothing is upscaled.
// All checks read the files independently of the product's own writers and verifier.
import { execFile } from 'node:child_process';
import { copyFile, cp, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, extname, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, type ExpectStatic } from 'vitest';
import { DASH_MANIFEST, MASTER_PLAYLIST, streamPrefix } from '../../src/domain/layout.js';
import { planLadder } from '../../src/domain/ladder.js';
import { probeSource } from '../../src/media/probe.js';
import { launchBrowser } from '../helpers/browser.js';
import { makeClip, type ClipKind, type ClipOptions } from '../helpers/clips.js';
import { play, startPlayerServer, type Engine } from '../helpers/player-page/play.js';
import type { StaticServer } from '../helpers/static-server.js';
import * as checks from '../helpers/stream-audit/checks.js';
import { readMpd, type DashStream } from '../helpers/stream-audit/dash.js';
import { hlsMediaFiles, readHls, type HlsStream } from '../helpers/stream-audit/hls.js';
import { decodeAll, displaySize, probe, videoPackets, type Probed } from '../helpers/stream-audit/media.js';

const run = promisify(execFile);
const REPO = resolve(import.meta.dirname, '../..');
const TRANSCODER = [join(REPO, 'bin/oci-transcode.js'), 'transcode'];
const DURATION_TOLERANCE_SEC = 0.1;

const CLIPS: { kind: ClipKind; options?: ClipOptions }[] = [
  { kind: 'landscape', options: { width: 1280, height: 720 } }, // three rungs, so alignment is tested
  { kind: 'portrait', options: { width: 1280, height: 720 } }, // 720x1280: rungs on the short side
  { kind: 'no-audio' },
  { kind: 'audio-only' },
  { kind: 'surround' },
  { kind: 'odd-size' },
  { kind: 'non-square' },
  { kind: 'rotated' },
  { kind: 'hevc-10bit' },
  // Long enough for several segments in two renditions: alignment is hardest with irregular frames.
  { kind: 'vfr', options: { width: 854, height: 480, seconds: 9 } },
];

/**
 * Short sides the default ladder gives: rungs up to the source, its own size on top when
 * between rungs. (The engine also drops a rung within 15 % of the source's own size; no clip here
 * sits in that band, so the rule and the engine's agree on every case below.)
 */
function expectedShortSides(short: number): number[] {
  const rungs = [1080, 720, 480, 360].filter((h) => h <= short);
  const own = short - (short % 2);
  return own < 1080 && !rungs.includes(own) ? [own, ...rungs] : rungs;
}

const codecsOf = (p: { attributes: Record<string, unknown> }): string => (typeof p.attributes.CODECS === 'string' ? p.attributes.CODECS : '');

let tmp: string;
let dest: string;
let browser: Browser;
let server: StaticServer;

beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'playback-'));
  dest = join(tmp, 'dest');
  await mkdir(join(tmp, 'src'), { recursive: true });
  browser = await launchBrowser();
  server = await startPlayerServer(dest);
});

afterAll(async () => {
  await server?.close();
  await browser?.close();
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

interface Case {
  name: string;
  streamDir: string;
  source: Probed;
  durationSec: number;
  display?: { width: number; height: number };
  hasAudio: boolean;
  /** A 5.1 source: a 5.1 rendition besides the stereo one, in its own HLS group (a second variant per rung). */
  surround: boolean;
  rungs: number[];
  hls: HlsStream;
  dash: DashStream;
}

describe.each(CLIPS)('$kind', ({ kind, options }) => {
  let c: Case;

  beforeAll(async () => {
    const clip = await makeClip(kind, options);
    // A readable object name: the stream folder is named after the source file.
    const source = join(tmp, 'src', `${kind}${extname(clip)}`);
    await copyFile(clip, source);
    await run('node', [...TRANSCODER, '--source', source, '--dest', dest, '--publish'], { cwd: REPO, timeout: 150_000 }).catch(
      (e: { code?: number; stderr?: string; stdout?: string }) => {
        throw new Error(`transcode ${kind} exited ${e.code}:\n${(e.stderr ?? '').slice(-3000)}\n${(e.stdout ?? '').slice(-1000)}`);
      },
    );
    const name = basename(source);
    const streamDir = join(dest, streamPrefix({ bucket: 'local' }, name));
    const probed = await probe(source);
    const video = probed.streams.find((s) => s.type === 'video');
    const display = video && displaySize(video);
    c = {
      name,
      streamDir,
      source: probed,
      durationSec: probed.durationSec,
      display,
      hasAudio: probed.streams.some((s) => s.type === 'audio'),
      surround: probed.streams.some((s) => s.type === 'audio' && (s.channels ?? 0) >= 6),
      rungs: display ? expectedShortSides(Math.round(Math.min(display.width, display.height))) : [],
      hls: await readHls(join(streamDir, MASTER_PLAYLIST), streamDir),
      dash: await readMpd(join(streamDir, DASH_MANIFEST), streamDir),
    };
  }, 180_000);

  const playsIn = async (expect: ExpectStatic, engine: Engine, manifest: string): Promise<void> => {
    const r = await play(browser, server, { engine, manifest: `${c.name}/${manifest}`, top: true, targetSec: 1.5 });
    const why = JSON.stringify({ reason: r.reason, errors: r.errors, console: r.console.slice(0, 10) });
    expect(r.errors.filter((e) => e.fatal), why).toEqual([]);
    expect(r.ok, why).toBe(true);
    expect(r.currentTime, why).toBeGreaterThanOrEqual(1.5);
    expect(Math.abs(r.duration - c.durationSec), `player duration ${r.duration}`).toBeLessThanOrEqual(DURATION_TOLERANCE_SEC);
    expect(Object.entries(r.codecsSupported).filter(([, ok]) => !ok), 'codecs MSE refuses').toEqual([]);
    if (c.display) {
      // One variant per rung and audio group (stereo; 5.1 for a 5.1 source), and the pinned top rung is what played.
      expect(r.variants.map((v) => Math.min(v.width, v.height)).sort((a, b) => b - a)).toEqual(c.rungs.flatMap((s) => (c.surround ? [s, s] : [s])));
      expect(r.variants.every((v) => v.videoCodec.startsWith('avc1') && (v.audioCodec !== '') === c.hasAudio)).toBe(true);
      expect(Math.min(r.videoWidth, r.videoHeight)).toBe(c.rungs[0]);
      // The top variant of a 5.1 source carries the 5.1 rendition: the player chose it, fetched it and played.
      if (c.surround) expect({ channels: r.audioChannels, folders: r.audioFolders }, why).toEqual({ channels: 6, folders: ['audio-51'] });
    } else {
      expect(r.variants.length).toBeGreaterThanOrEqual(1);
      expect(r.variants.every((v) => v.videoCodec === '' && v.height === 0 && v.audioCodec.startsWith('mp4a'))).toBe(true);
      expect(r.videoHeight).toBe(0);
    }
  };

  // The two players run side by side in separate contexts: playback is real time, not CPU bound.
  it.concurrent('plays master.m3u8 in hls.js', ({ expect }) => playsIn(expect, 'hls', MASTER_PLAYLIST));
  it.concurrent('plays manifest.mpd in shaka-player', ({ expect }) => playsIn(expect, 'shaka', DASH_MANIFEST));

  it('decodes every stream of every rendition through master.m3u8 and the MPD with ffmpeg', async () => {
    // Expected variants and representations: one per rung, one audio (or none); a 5.1 source adds its 5.1
    // rendition (a representation, and an HLS variant per rung in its own group).
    const audioCount = c.hasAudio ? (c.surround ? 2 : 1) : 0;
    const reps = (type: string): number => c.dash.representations.filter((r) => r.contentType === type).length;
    expect({ video: reps('video'), audio: reps('audio') }).toEqual({ video: c.rungs.length, audio: audioCount });
    expect(c.hls.variants.length).toBe(Math.max(1, c.rungs.length) * (c.surround ? 2 : 1));
    // ffmpeg 5.1's DASH demuxer needs an absolute path.
    const inputs = [c.hls.masterPath, resolve(c.dash.mpdPath)];
    const results = await Promise.all(inputs.map((input) => Promise.all([decodeAll(input), probe(input)])));
    for (const [i, input] of inputs.entries()) {
      const [decoded, probed] = results[i]!;
      expect(decoded.warnings, `${input}: ffmpeg complained`).toEqual([]);
      const videos = decoded.streams.filter((s) => s.type === 'video');
      const audios = decoded.streams.filter((s) => s.type === 'audio');
      // ffmpeg's HLS reader gives each variant a stream: a 5.1 source lists every rung twice (stereo and 5.1 variant).
      expect(videos.length, input).toBe(c.rungs.length * (input === c.hls.masterPath && c.surround ? 2 : 1));
      expect(audios.length, input).toBe(audioCount);
      for (const s of decoded.streams) {
        expect(s.frames, `${input} stream ${s.index}`).toBeGreaterThan(0);
        expect(checks.durationProblem(`${input} stream ${s.index} decoded`, s.durationSec, c.durationSec, DURATION_TOLERANCE_SEC)).toEqual([]);
      }
      expect(probed.streams.filter((s) => s.type === 'audio').map((s) => s.channels).sort(), input).toEqual(c.surround ? [2, 6] : c.hasAudio ? [2] : []);
      for (const s of probed.streams) {
        if (s.type === 'video') {
          expect({ codec: s.codec, pixFmt: s.pixFmt }).toEqual({ codec: 'h264', pixFmt: 'yuv420p' });
          // Display aspect ratio kept (pixels may be made square), within rounding to even sizes.
          const dar = ((s.width ?? 0) * s.sar) / (s.height ?? 1);
          expect(Math.abs(dar / (c.display!.width / c.display!.height) - 1), `${s.width}x${s.height} sar ${s.sar}`).toBeLessThan(0.02);
        } else if (s.type === 'audio') {
          expect({ codec: s.codec, sampleRate: s.sampleRate }).toEqual({ codec: 'aac', sampleRate: 48000 });
        }
      }
    }
  });

  it('references only segments that exist and are non-empty, shared by HLS and DASH', async () => {
    const hlsFiles = hlsMediaFiles(c.hls);
    const dashFiles = c.dash.representations.flatMap((r) => [...(r.init ? [r.init] : []), ...r.segments.map((s) => s.path)]);
    const playlists = [...c.hls.variants, ...c.hls.audio].map((p) => ({ path: p.path }));
    expect(await checks.missingOrEmpty([...playlists, ...hlsFiles, ...dashFiles.map((path) => ({ path }))])).toEqual([]);
    // Encode once, package twice: both manifests point at the same CMAF files.
    expect([...new Set(dashFiles)].sort()).toEqual([...new Set(hlsFiles.map((f) => f.path))].sort());
    for (const p of [...c.hls.variants, ...c.hls.audio]) {
      expect({ type: p.playlistType, endList: p.endList, independent: p.independentSegments || c.hls.independentSegments }, p.path).toEqual({
        type: 'VOD',
        endList: true,
        independent: true,
      });
      expect(p.inits.length, `${p.path}: one EXT-X-MAP`).toBe(1);
      const longest = Math.max(...p.segments.map((s) => s.durationSec));
      expect(Math.round(longest), `${p.path}: EXTINF above TARGETDURATION`).toBeLessThanOrEqual(p.targetDuration ?? 0);
    }
  });

  it('matches the source duration, aligns segment boundaries, starts segments on keyframes, never upscales', async () => {
    const problems: string[] = [];
    const media = [...c.hls.variants, ...c.hls.audio.filter((a) => !c.hls.variants.some((v) => v.path === a.path))];
    for (const p of media) problems.push(...checks.durationProblem(p.path, checks.hlsBoundaries(p).at(-1)!, c.durationSec, DURATION_TOLERANCE_SEC));
    for (const r of c.dash.representations) problems.push(...checks.durationProblem(`MPD ${r.id}`, checks.dashBoundaries(r).at(-1)!, c.durationSec, DURATION_TOLERANCE_SEC));
    problems.push(...checks.durationProblem('MPD mediaPresentationDuration', c.dash.durationSec, c.durationSec, DURATION_TOLERANCE_SEC));

    const hlsVideo = c.hls.variants.filter((v) => codecsOf(v).includes('avc1'));
    const dashVideo = c.dash.representations.filter((r) => r.contentType === 'video');
    problems.push(
      ...checks.sameBoundaries(
        [
          ...hlsVideo.map((p) => ({ name: p.path, bounds: checks.hlsBoundaries(p) })),
          ...dashVideo.map((r) => ({ name: `MPD ${r.id}`, bounds: checks.dashBoundaries(r) })),
        ],
        0.001,
      ),
    );
    for (const p of hlsVideo) problems.push(...checks.boundariesOffKeyframes(checks.hlsBoundaries(p), await videoPackets(p.path), p.path));
    expect(problems).toEqual([]);

    for (const p of hlsVideo) {
      const [v] = (await probe(p.path)).streams.filter((s) => s.type === 'video');
      const { width = 0, height = 0 } = v ?? {};
      expect(height, `${p.path} taller than the source`).toBeLessThanOrEqual(c.display!.height);
      expect(width, `${p.path} wider than the source`).toBeLessThanOrEqual(Math.ceil(c.display!.width) + 1);
      // CODECS must name the profile and level the stream really has.
      const avc = checks.parseAvc1(codecsOf(p).split(',').find((x) => x.startsWith('avc1')) ?? '');
      expect(avc, `${p.path} CODECS ${codecsOf(p)}`).toEqual({ profileIdc: checks.H264_PROFILE_IDC[v?.profile ?? ''], levelIdc: v?.level });
    }
  });
});

// Issue 12: the MP4 download (remuxed from the CMAF outputs, faststart) plays in Chromium's own <video>, no MSE.
describe('MP4 download', () => {
  it('plays in Chromium\'s own <video> element, at the source duration and size', async () => {
    const source = join(tmp, 'src', 'download.mp4');
    await copyFile(await makeClip('landscape', { seconds: 2, width: 320, height: 180 }), source);
    const plan = planLadder(await probeSource(source), { downloads: 'top' });
    await run('node', [...TRANSCODER, '--source', source, '--dest', dest, '--plan', JSON.stringify(plan)], { cwd: REPO, timeout: 60_000 });
    const page = await browser.newPage();
    try {
      const url = `${server.origin}/media/download.mp4/${plan.version}/download/180p.mp4`;
      // A string, not a function: the tests are compiled without the DOM's types.
      const r = await page.evaluate<{ currentTime: number; duration: number; width: number; height: number }>(`(async () => {
        const v = document.createElement('video');
        v.muted = true;
        v.src = ${JSON.stringify(url)};
        document.body.append(v);
        await v.play();
        await new Promise((done, fail) => {
          v.addEventListener('error', () => fail(new Error('media error ' + (v.error && v.error.code))));
          v.addEventListener('timeupdate', () => v.currentTime >= 1 && done());
        });
        return { currentTime: v.currentTime, duration: v.duration, width: v.videoWidth, height: v.videoHeight };
      })()`);
      expect(r.currentTime).toBeGreaterThanOrEqual(1);
      expect(Math.abs(r.duration - 2)).toBeLessThanOrEqual(DURATION_TOLERANCE_SEC);
      expect([r.width, r.height]).toEqual([320, 180]);
    } finally {
      await page.close();
    }
  }, 60_000);
});

// Negative control: the same checks on a sabotaged copy must fail, or the suite proves nothing.
describe('negative control', () => {
  it('notices a missing and an empty segment, which ffmpeg only warns about', async () => {
    // The VFR output has several segments per rendition: a missing first segment makes ffmpeg fail
    // outright, a later one only produces a warning and exit code 0.
    const copy = join(tmp, 'sabotaged');
    await cp(join(dest, streamPrefix({ bucket: 'local' }, 'vfr.mp4')), copy, { recursive: true });
    const hls = await readHls(join(copy, MASTER_PLAYLIST));
    const gone = hls.variants[0]!.segments[1]!.path;
    const emptied = hls.variants[1]!.segments[1]!.path;
    await rm(gone);
    await writeFile(emptied, '');
    expect((await checks.missingOrEmpty(hlsMediaFiles(hls))).sort()).toEqual([`empty: ${emptied}`, `missing: ${gone}`]);
    const decoded = await decodeAll(join(copy, MASTER_PLAYLIST));
    expect(decoded.warnings.join('\n')).toMatch(/failed to open segment/i);
  });
});

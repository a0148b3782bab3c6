// Issue 12 "Done means", audio part: hls.js and shaka-player in Chromium list every audio language of a
// dubbed title, switch to the other one and play it (its segments fetched after the switch), and offer the
// English 5.1 track in 5.1 too (the 5.1 rendition playing is checked by playback.test.ts). Captions part:
// both list the text tracks (an embedded SDH SubRip stream, a forced sidecar) and fetch the one shown.
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser } from '../helpers/browser.js';
import { makeClip } from '../helpers/clips.js';
import { play, startPlayerServer, type Engine } from '../helpers/player-page/play.js';
import type { StaticServer } from '../helpers/static-server.js';

const run = promisify(execFile);
const REPO = resolve(import.meta.dirname, '../..');

let tmp: string;
let browser: Browser;
let server: StaticServer;

beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'tracks-'));
  await mkdir(join(tmp, 'src'));
  // 6 s: the switch lands while segments are still ahead (2 s GOP segments of 4 s).
  const source = join(tmp, 'src', 'dubbed.mkv');
  // Captions too: an English SubRip stream muxed in (a stream copy, no encode) and a forced French sidecar.
  await writeFile(join(tmp, 'en.srt'), '1\n00:00:00,200 --> 00:00:05,500\n[music] Hello\n');
  await run('ffmpeg', ['-v', 'error', '-i', await makeClip('two-languages', { seconds: 6, width: 320, height: 180 }), '-i', join(tmp, 'en.srt'), '-map', '0', '-map', '1',
    '-c', 'copy', '-c:s', 'srt', '-metadata:s:s:0', 'language=eng', '-disposition:s:0', 'hearing_impaired', source]);
  await writeFile(join(tmp, 'src', 'dubbed.mkv.fra.forced.vtt'), 'WEBVTT\n\n00:00.100 --> 00:05.800\nPanneau : Sortie\n');
  await run('node', [join(REPO, 'bin/oci-transcode.js'), 'transcode', '--source', source, '--dest', join(tmp, 'dest'), '--publish'], { cwd: REPO, timeout: 120_000 });
  [browser, server] = await Promise.all([launchBrowser(), startPlayerServer(join(tmp, 'dest'))]);
}, 180_000);

afterAll(async () => {
  await server?.close();
  await browser?.close();
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

describe.each([
  ['hls', 'master.m3u8'],
  ['shaka', 'master.m3u8'],
  ['shaka', 'manifest.mpd'],
] as [Engine, string][])('%s with %s', (engine, manifest) => {
  it('lists both languages, switches from the default English to French and plays it', async () => {
    const r = await play(browser, server, { engine, manifest: `dubbed.mkv/${manifest}`, audio: 'fra', targetSec: 1.5 });
    const why = JSON.stringify({ reason: r.reason, errors: r.errors, console: r.console.slice(0, 10), r });
    expect(r.ok, why).toBe(true);
    expect([...new Set(r.audioLanguages)].sort()).toEqual(['eng', 'fra']);
    // English is offered in 5.1 as well (its own HLS group, its own DASH AdaptationSet), French in stereo.
    expect([...new Set(r.audioTrackList.map((t) => `${t.language} ${t.channels}`))].sort(), why).toEqual(['eng 2', 'eng 6', 'fra 2']);
    expect([r.audioSwitchedTo, r.audioLanguage]).toEqual(['fra', 'fra']);
    expect(r.audioSegmentsAfterSwitch, why).toBeGreaterThan(0);
  });

  it('lists the SDH English and forced French text tracks, shows English and fetches it', async () => {
    const r = await play(browser, server, { engine, manifest: `dubbed.mkv/${manifest}`, text: 'eng', targetSec: 1 });
    const why = JSON.stringify({ reason: r.reason, errors: r.errors, console: r.console.slice(0, 10), text: r.textTracks });
    expect(r.ok, why).toBe(true);
    // Shaka keeps the manifest's code as originalLanguage (fra); hls.js reports LANGUAGE as written.
    expect(r.textTracks.map((t) => [t.language, t.forced]).sort(), why).toEqual([['eng', false], ['fra', true]]);
    // SDH as each player tells it: DASH Role caption; from HLS, CHARACTERISTICS (shaka lists them as roles).
    expect(r.textTracks.find((t) => t.language === 'eng')?.kind, why).toMatch(/caption|transcribes-spoken-dialog/);
    expect(r.textSegments, why).toBeGreaterThan(0);
  });
});

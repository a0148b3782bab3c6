// Issue 12 "Done means", audio part: hls.js and shaka-player in Chromium list every audio language of a
// dubbed title, switch to the other one and play it (its segments fetched after the switch).
import { execFile } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, rm } from 'node:fs/promises';
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
  await copyFile(await makeClip('two-languages', { seconds: 6, width: 320, height: 180 }), source);
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
    expect([...r.audioLanguages].sort()).toEqual(['eng', 'fra']);
    expect([r.audioSwitchedTo, r.audioLanguage]).toEqual(['fra', 'fra']);
    expect(r.audioSegmentsAfterSwitch, why).toBeGreaterThan(0);
  });
});

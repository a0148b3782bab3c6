// Drives the test player page: serves media plus the players' bundles, opens one page per playback
// in a fresh browser context, and returns what the page observed.
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser } from 'playwright-core';
import { startStaticServer, type StaticServer } from '../static-server.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const MODULES = resolve(HERE, '../../../node_modules');

export type Engine = 'hls' | 'shaka';

export interface PlaybackReport {
  engine: Engine;
  src: string;
  done: boolean;
  ok: boolean;
  reason: string;
  version: string;
  variants: { width: number; height: number; bandwidth: number; videoCodec: string; audioCodec: string }[];
  audioTracks: number;
  audioLanguages: string[];
  audioTrackList: { language: string; channels: number }[];
  audioLanguage: string;
  audioSwitchedTo: string;
  audioSegmentsAfterSwitch: number;
  /** Text tracks as the player lists them (shaka: kind is its roles). */
  textTracks: { language: string; forced: boolean; kind: string; name: string }[];
  /** With `text`: segments of that text track fetched after choosing it. */
  textSegments: number;
  /** Channels of the audio track playing at the end, and the folders its segments (and any earlier track's) came from. */
  audioChannels: number;
  audioFolders: string[];
  /** MediaSource.isTypeSupported for every codec string the manifest announced. */
  codecsSupported: Record<string, boolean>;
  duration: number;
  currentTime: number;
  videoWidth: number;
  videoHeight: number;
  errors: { fatal: boolean; message: string }[];
  timing: Record<string, number>;
  /** With `seeks`: each time played across, and where playback was when it counted. */
  seeksDone: { at: number; reached: number }[];
  /** Browser console errors and page exceptions, for diagnosing a failure. */
  console: string[];
}

/** Serves `mediaRoot` under /media/, the page under /player/ and the libraries under /lib/. */
export function startPlayerServer(mediaRoot: string): Promise<StaticServer> {
  return startStaticServer({
    '/media/': mediaRoot,
    '/player/': HERE,
    '/lib/hls/': join(MODULES, 'hls.js/dist'),
    '/lib/shaka/': join(MODULES, 'shaka-player/dist'),
  });
}

export interface PlayOptions {
  engine: Engine;
  /** Manifest path relative to the media root, e.g. "clip.mp4/master.m3u8". */
  manifest: string;
  /** Seconds of playback that prove it works. */
  targetSec?: number;
  /** Pin the highest variant rather than letting ABR pick. */
  top?: boolean;
  /** Switch to this audio language once playing; the page finishes only after fetching it. */
  audio?: string;
  /** After the target: seek to just before each of these times and play across it (chunk joins). */
  seeks?: number[];
  /** Show this text language once playing; the page finishes only after fetching it. */
  text?: string;
  timeoutMs?: number;
}

export async function play(browser: Browser, server: StaticServer, o: PlayOptions): Promise<PlaybackReport> {
  const context = await browser.newContext();
  const consoleLines: string[] = [];
  try {
    const page = await context.newPage();
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') consoleLines.push(`${m.type()}: ${m.text()}`);
    });
    page.on('pageerror', (e) => consoleLines.push(`pageerror: ${e.message}`));
    // Anything not from our server (a CDN, a telemetry ping) is a test bug: refuse it loudly.
    await page.route(
      (url) => !url.href.startsWith(server.origin),
      (route) => {
        consoleLines.push(`blocked off-origin request ${route.request().url()}`);
        return route.abort();
      },
    );
    const src = `${server.origin}/media/${o.manifest.split('/').map(encodeURIComponent).join('/')}`;
    const query = new URLSearchParams({
      engine: o.engine, src, target: String(o.targetSec ?? 1.5), top: o.top ? '1' : '0',
      ...(o.audio ? { audio: o.audio } : {}), ...(o.text ? { text: o.text } : {}), ...(o.seeks ? { seeks: o.seeks.join(',') } : {}),
    });
    await page.goto(`${server.origin}/player/index.html?${query.toString()}`);
    const timeout = o.timeoutMs ?? 30_000;
    const finished = await page
      .waitForFunction(() => (globalThis as unknown as { playback?: { done: boolean } }).playback?.done === true, undefined, {
        timeout,
        polling: 100,
      })
      .then(() => true)
      .catch(() => false);
    const report = await page.evaluate<PlaybackReport>(() => {
      // The page's globals, typed here because the project compiles without the DOM library.
      const w = globalThis as unknown as { playback: PlaybackReport; document: { querySelector(s: string): { currentTime: number } | null } };
      // On a timeout the page never finished: take the element's clock as it is now.
      const v = w.document.querySelector('video');
      return { ...w.playback, currentTime: v ? v.currentTime : w.playback.currentTime };
    });
    if (!finished) report.reason = `timed out after ${timeout} ms at currentTime ${report.currentTime}`;
    report.console = consoleLines;
    return report;
  } finally {
    await context.close();
  }
}

// The preview page in Chromium (playwright-core, Debian's chromium) over a real run: a real Temporal dev
// server and worker transcode a generated clip into the local folder store; the page lists the run with
// its stage, plays it with shaka-player in HLS and in DASH, shows the storyboard tile of the hovered time
// (checked against storyboard.vtt, read independently), and its rendition table matches job.json. Behind
// the job API the same page asks for a key and then plays with it. A screenshot goes to a temporary
// file, or where PREVIEW_SCREENSHOT says: `PREVIEW_SCREENSHOT=docs/images/preview.png npx vitest run
// tests/e2e/preview.test.ts` refreshes the README's image (so a test run leaves the tree unchanged).
// The run is time-split (issue 11): 8 s in two chunks of 4 s on at most two instances, so the lowest rung
// and the audio go out first as a preview master; the full stream then plays in hls.js and shaka-player
// with a seek across the join.
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jobId } from '../../src/api/ids.js';
import { temporalJobs } from '../../src/api/jobs.js';
import { ApiKeyStore, createKey } from '../../src/api/keys.js';
import { buildApiServer } from '../../src/api/server.js';
import { temporalJobStarter } from '../../src/api/start.js';
import { JOB_RECORD, storyboardVtt, streamPrefix } from '../../src/domain/layout.js';
import { startPreviewServer, type PreviewServer } from '../../src/preview/server.js';
import { webUiRunUrl } from '../../src/stack/follow.js';
import { REMUX_JOB } from '../../src/domain/chunks.js';
import { launchBrowser } from '../helpers/browser.js';
import { makeClip } from '../helpers/clips.js';
import { play, startPlayerServer } from '../helpers/player-page/play.js';
import type { StaticServer } from '../helpers/static-server.js';
import { DEST_BUCKET, SOURCE_BUCKET, startStack, startTemporal, type TestStack } from '../helpers/temporal.js';

const UI = 'http://127.0.0.1:8233';
const OBJECT = 'preview/talk.mp4';

let env: TestWorkflowEnvironment;
let stack: TestStack;
let preview: PreviewServer;
let browser: Browser;
let run: { workflowId: string; runId: string; id: string };
/** The HLS master as it first appeared during the run, and whether the run had finished by then. */
let firstMaster: { body: string; runOpen: boolean } | undefined;
let record: {
  outcome: string;
  timings: { firstPlayableSec?: number; completeSec?: number };
  plan: { version: string; durationSec: number; jobs: { id: string; videoIds: string[] }[] };
  renditions: { id: string; kind: string; codecs: string; width?: number; height?: number; averageBitrate: number; peakBitrate: number; segments: number }[];
  downloads?: { kind: string; name: string }[];
};

interface Cue {
  start: number;
  end: number;
  xywh: string;
}

/** The storyboard's cues, parsed here independently of the page's own parser. */
function cuesOf(vtt: string): Cue[] {
  const sec = (t: string) => t.split(':').reduce((a, p) => a * 60 + Number(p), 0);
  return [...vtt.matchAll(/([\d:.]+) --> ([\d:.]+)\s*\n[^\n#]*#xywh=([\d,]+)/g)].map((m) => ({ start: sec(m[1]!), end: sec(m[2]!), xywh: m[3]! }));
}

async function openPage(url: string): Promise<{ page: Page; offOrigin: string[]; errors: string[]; close: () => Promise<void> }> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 1000 } });
  const page = await context.newPage();
  const origin = new URL(url).origin;
  const offOrigin: string[] = [];
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
  // No CDN, no network: anything but our server is refused (blob: URLs are the page's own images).
  await page.route(
    (u) => !u.href.startsWith(origin) && u.protocol !== 'blob:',
    (route) => {
      offOrigin.push(route.request().url());
      return route.abort();
    },
  );
  await page.goto(url);
  return { page, offOrigin, errors, close: () => context.close() };
}

const videoTime = (page: Page) => page.evaluate<number>('document.getElementById("video").currentTime');

async function waitForPlayback(page: Page, format: 'hls' | 'dash'): Promise<void> {
  await page.waitForFunction(`window.preview.format === ${JSON.stringify(format)} && window.preview.loaded !== ''`, undefined, { timeout: 30_000 });
  const from = await videoTime(page);
  await page.waitForFunction(`document.getElementById("video").currentTime > ${from + 0.8}`, undefined, { timeout: 30_000, polling: 100 });
}

beforeAll(async () => {
  env = await startTemporal();
  stack = await startStack(env, { config: { chunking: { thresholdSec: 6, chunkSec: 4, maxInstances: 2, previewFirst: true } } });
  await stack.upload(await makeClip('landscape', { seconds: 8, width: 1280, height: 720 }), OBJECT);
  const handle = await stack.start({ object: OBJECT });
  const master = join(stack.dataDir, 'buckets', DEST_BUCKET, streamPrefix({ bucket: DEST_BUCKET }, OBJECT), 'master.m3u8');
  let open = true;
  const watching = (async () => {
    while (open && !firstMaster) {
      const body = await readFile(master, 'utf8').catch(() => undefined);
      if (body !== undefined) firstMaster = { body, runOpen: open };
      await new Promise((r) => setTimeout(r, 50));
    }
  })();
  await handle.result().finally(() => (open = false));
  await watching;
  const { runId } = await handle.describe();
  run = { workflowId: handle.workflowId, runId, id: jobId({ workflowId: handle.workflowId, runId }) };
  const prefix = streamPrefix({ bucket: DEST_BUCKET }, OBJECT);
  record = JSON.parse(await readFile(join(stack.dataDir, 'buckets', DEST_BUCKET, prefix, JOB_RECORD), 'utf8')) as typeof record;
  preview = await startPreviewServer({ client: env.client, store: stack.store, layout: stack.config, webUiUrl: UI });
  browser = await launchBrowser();
}, 240_000);

afterAll(async () => {
  await browser?.close();
  await preview?.close();
  await stack?.close();
  await env?.teardown();
});

describe('the preview page (local stack, no key)', () => {
  it('lists the run with its stage and progress, links to it, and shows the player, storyboard and renditions', async () => {
    const { page, offOrigin, errors, close } = await openPage(preview.url);
    try {
      const row = page.locator(`#runs tbody tr[data-id="${run.id}"]`);
      await row.waitFor({ timeout: 20_000 });
      await expect.poll(() => row.locator('td').nth(1).textContent(), { timeout: 20_000 }).toBe('completed');
      expect(await row.locator('td').nth(0).textContent()).toBe(`${SOURCE_BUCKET}/${OBJECT}`);
      expect(await row.locator('td').nth(2).textContent()).toContain('100%');
      expect(await row.locator('td').nth(3).textContent()).toBe('COMPLETED');

      await row.locator('a').click();
      await waitForPlayback(page, 'hls');
      expect(await page.locator('#web-ui-link').getAttribute('href')).toBe(webUiRunUrl(UI, 'default', run.workflowId, run.runId));

      // The rendition table is job.json's renditions, row by row.
      const rows = await page.locator('#renditions tbody tr').evaluateAll((trs) =>
        trs.map((tr) => Array.from((tr as unknown as { cells: ArrayLike<{ textContent: string | null }> }).cells, (c) => c.textContent ?? '')),
      );
      expect(rows).toEqual(
        record.renditions.map((r) => [
          r.id,
          r.kind,
          r.width && r.height ? `${r.width}x${r.height}` : '',
          r.codecs,
          `${Math.round(r.averageBitrate / 1000)} kb/s`,
          `${Math.round(r.peakBitrate / 1000)} kb/s`,
          String(r.segments),
        ]),
      );
      expect(rows.filter((r) => r[1] === 'video').map((r) => r[2])).toEqual(['1280x720', '854x480', '640x360']);
      expect(await page.locator('#facts dd[data-fact="Version"]').textContent()).toBe(record.plan.version);
      expect(Number(await page.locator('#tracks').getAttribute('data-audio'))).toBeGreaterThanOrEqual(1);
      expect(await page.locator('#poster').isVisible()).toBe(true);

      // Hovering the timeline at 70 % shows the storyboard tile of that time.
      const vtt = await readFile(join(stack.dataDir, 'buckets', DEST_BUCKET, streamPrefix({ bucket: DEST_BUCKET }, OBJECT), storyboardVtt(record.plan.version)), 'utf8');
      const cues = cuesOf(vtt);
      expect(cues.length).toBeGreaterThanOrEqual(3);
      await page.waitForFunction(`window.preview.storyboardCues === ${cues.length}`);
      const box = (await page.locator('#timeline').boundingBox())!;
      await page.mouse.move(box.x + box.width * 0.7, box.y + box.height / 2);
      const tile = page.locator('#storyboard-tile');
      await tile.waitFor({ state: 'visible' });
      const duration = await page.evaluate<number>('document.getElementById("video").duration');
      const at = Number(await tile.getAttribute('data-time'));
      expect(at).toBeCloseTo(0.7 * duration, 1);
      const expected = cues.find((c) => at >= c.start && at < c.end)!;
      expect(await tile.getAttribute('data-xywh')).toBe(expected.xywh);
      const [x, y, w, h] = expected.xywh.split(',').map(Number);
      const style = await tile.evaluate((el) => {
        const s = (el as unknown as { style: Record<string, string> }).style;
        return { position: s.backgroundPosition, width: s.width, height: s.height, image: s.backgroundImage };
      });
      expect(style).toMatchObject({ position: `${-x!}px ${-y!}px`, width: `${w}px`, height: `${h}px` });
      expect(style.image).toMatch(/^url\("blob:/);
      const screenshot = process.env.PREVIEW_SCREENSHOT ? resolve(process.env.PREVIEW_SCREENSHOT) : join(await mkdtemp(join(tmpdir(), 'preview-shot-')), 'preview.png');
      await mkdir(dirname(screenshot), { recursive: true });
      await page.screenshot({ path: screenshot, fullPage: true });
      expect((await readFile(screenshot)).subarray(1, 4).toString()).toBe('PNG');
      if (!process.env.PREVIEW_SCREENSHOT) await rm(dirname(screenshot), { recursive: true, force: true });

      // The same stream through DASH.
      await page.locator('#play-dash').click();
      await waitForPlayback(page, 'dash');
      expect(await page.evaluate<string>('window.preview.error')).toBe('');
      expect(offOrigin).toEqual([]);
      expect(errors).toEqual([]);
    } finally {
      await close();
    }
  });
});

describe('a time-split run on the local stack', () => {
  it('publishes a preview master of the lowest rung first, then the full stream, which plays across the join in both players', async () => {
    expect(record.plan.jobs.map((j) => j.id)).toEqual(['audio', 'p001', 'c001', 'c002', REMUX_JOB]);
    expect(record.plan.jobs[1]!.videoIds).toEqual(['360p']);
    expect(firstMaster?.runOpen).toBe(true);
    expect(firstMaster!.body.match(/^#EXT-X-STREAM-INF:.*RESOLUTION=(\d+x\d+)/gm)?.map((l) => /RESOLUTION=(\S+?)(,|$)/.exec(l)![1])).toEqual(['640x360']);
    expect(record.outcome).toBe('succeeded');
    expect(record.timings.firstPlayableSec).toBeGreaterThan(0);
    expect(record.timings.completeSec).toBeGreaterThan(record.timings.firstPlayableSec!);

    const server: StaticServer = await startPlayerServer(join(stack.dataDir, 'buckets', DEST_BUCKET));
    try {
      for (const [engine, manifest] of [['hls', 'master.m3u8'], ['shaka', 'master.m3u8'], ['shaka', 'manifest.mpd']] as const) {
        // Pinned to the top rung: a chunk join is in every rung but the preview's, which has none.
        const r = await play(browser, server, { engine, manifest: `${OBJECT}/${manifest}`, top: true, targetSec: 1, seeks: [4] });
        expect(r.ok, JSON.stringify({ engine, manifest, reason: r.reason, errors: r.errors, console: r.console.slice(0, 5) })).toBe(true);
        expect(r.seeksDone.map((s) => s.at)).toEqual([4]);
        expect(r.videoHeight).toBe(720);
      }
      // The MP4 download, remuxed from both chunks after them, plays in Chromium's own <video> across the join.
      const mp4 = record.downloads?.find((d) => d.kind === 'mp4');
      expect(mp4?.name).toBe(`${OBJECT}/${record.plan.version}/download/720p.mp4`);
      const page = await browser.newPage();
      try {
        const r = await page.evaluate<{ currentTime: number; duration: number; height: number }>(`(async () => {
          const v = document.createElement('video');
          v.muted = true;
          v.src = ${JSON.stringify(`${server.origin}/media/${mp4!.name.split('/').map(encodeURIComponent).join('/')}`)};
          document.body.append(v);
          await v.play();
          v.currentTime = 5;
          await new Promise((done, fail) => {
            v.addEventListener('error', () => fail(new Error('media error ' + (v.error && v.error.code))));
            v.addEventListener('timeupdate', () => v.currentTime >= 5.5 && done());
          });
          return { currentTime: v.currentTime, duration: v.duration, height: v.videoHeight };
        })()`);
        expect(r.currentTime).toBeGreaterThanOrEqual(5.5);
        expect(r.duration).toBeCloseTo(record.plan.durationSec, 1);
        expect(r.height).toBe(720);
      } finally {
        await page.close();
      }
    } finally {
      await server.close();
    }
  });
});

describe('the preview page behind the job API', () => {
  it('asks for an API key, then lists and plays with it (media requests carry the key)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'preview-keys-'));
    const file = join(dir, 'api-keys.json');
    const { key } = createKey(file, 'preview-test');
    const app = await buildApiServer({
      jobs: temporalJobs(env.client, { webUiUrl: UI }),
      start: temporalJobStarter(env.client, stack.config),
      store: stack.store,
      config: stack.config,
      keys: new ApiKeyStore(file),
    });
    await app.listen({ host: '127.0.0.1', port: 0 });
    const origin = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
    try {
      const anonymous = await fetch(`${origin}/preview/media/${OBJECT}/master.m3u8`);
      expect(anonymous.status).toBe(401);
      const locked = await openPage(`${origin}/preview/`);
      await locked.page.locator('#login').waitFor({ state: 'visible' });
      expect(await locked.page.locator('#runs-view').isVisible()).toBe(false);
      await locked.close();

      const { page, offOrigin, close } = await openPage(`${origin}/preview/#key=${key}`);
      try {
        const row = page.locator(`#runs tbody tr[data-id="${run.id}"]`);
        await row.waitFor({ timeout: 20_000 });
        await row.locator('a').click();
        await waitForPlayback(page, 'hls');
        expect(await page.locator('#poster').getAttribute('src')).toMatch(/^blob:/);
        expect(page.url()).not.toContain(key); // the fragment is dropped once read
        expect(offOrigin).toEqual([]);
      } finally {
        await close();
      }
    } finally {
      await app.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});

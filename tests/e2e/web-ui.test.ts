// Headless Chromium opens the Temporal Web UI page that `oci-transcode run` prints for a finished
// run, and finds the run there, Completed. Proves the link a user is given really works.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { workflowIdFor } from '../../src/domain/events.js';
import { makeClip } from '../helpers/clips.js';
import { createStackEnv, WEB_UI_LINE, type StackEnv } from './stack/harness.js';

const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync'];

let stack: StackEnv;
let profile: string;
let browser: BrowserContext | undefined;

beforeAll(async () => {
  stack = await createStackEnv();
  profile = await mkdtemp(join(tmpdir(), 'chromium-profile-'));
});
afterAll(async () => {
  await browser?.close();
  await stack?.dispose();
  await rm(profile, { recursive: true, force: true });
});

describe('Temporal Web UI', () => {
  it('shows the finished run, Completed, at the page `run` prints', async () => {
    const result = await stack.cli(['run', await makeClip('landscape'), '--name', 'web ui/clip.mp4']);
    expect(result.code, result.stderr).toBe(0);
    const page = WEB_UI_LINE.exec(result.stdout)?.[1];
    expect(page).toBeDefined();

    // A fresh profile: nothing cached from any earlier visit can make the page look right.
    browser = await chromium.launchPersistentContext(profile, { executablePath: '/usr/bin/chromium', headless: true, args: ARGS });
    const tab = await browser.newPage();
    await tab.goto(page!);
    const workflowId = workflowIdFor({ namespace: 'local', bucket: 'media-in', object: 'web ui/clip.mp4' });
    await tab.getByText(workflowId, { exact: true }).first().waitFor({ timeout: 60_000 });
    const status = tab.getByText(/^completed$/i).first();
    await status.waitFor({ timeout: 30_000 });
    expect((await status.innerText()).toLowerCase()).toBe('completed');
    // The run id in the page is the one we linked to, not some other run of the same workflow.
    const runId = page!.split('/').pop()!;
    await expect(tab.getByText(runId, { exact: true }).first().isVisible()).resolves.toBe(true);
  });
});

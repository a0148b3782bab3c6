// Headless Debian chromium driven by playwright-core. Never downloads a browser: tests use the
// system one, which decodes H.264/AAC through Media Source Extensions (HEVC: no).
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  // Players start muted playback without a click.
  '--autoplay-policy=no-user-gesture-required',
];

/**
 * One browser per test file; each page gets a fresh context (playwright gives every launch its own
 * temporary profile, removed on close), so no cache or storage leaks between players.
 */
export async function launchBrowser(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`Chromium not found at ${CHROMIUM}: run scripts/setup.sh --browser (or set CHROMIUM_PATH)`);
  }
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: ARGS, timeout: 60_000 });
}

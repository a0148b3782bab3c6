// Short and odd sources (issue 12, item 7): anything the probe accepts transcodes or fails with exit 65,
// never a crash (exit 70) that the workflow would retry on fresh instances.
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { RenditionsFile } from '../../../src/domain/types.js';
import { makeClip } from '../../helpers/clips.js';
import { filesUnder, runCli, stageSource } from './harness.js';

const roots: string[] = [];
afterAll(async () => {
  for (const root of roots) await rm(root, { recursive: true, force: true });
});

async function transcoded(clip: string, name: string): Promise<{ run: Awaited<ReturnType<typeof runCli>>; files: string[]; renditions?: RenditionsFile }> {
  const staged = await stageSource(clip, name);
  roots.push(staged.root);
  const run = await runCli(['--source', staged.source, '--dest', staged.dest, '--publish']);
  const files = await filesUnder(staged.dest);
  const json = files.find((f) => f.endsWith('/renditions/all.json'));
  return { run, files, ...(json ? { renditions: JSON.parse(await readFile(json, 'utf8')) as RenditionsFile } : {}) };
}

describe('short and odd sources', () => {
  it('a 0.4 s source transcodes, thumbnails and storyboard included (it crashed with exit 70)', async () => {
    const { run, files, renditions } = await transcoded(await makeClip('landscape', { seconds: 0.4, width: 320, height: 180 }), 'blink.mp4');
    expect(run.code, run.stderr).toBe(0);
    expect(files.map((f) => f.split('/').pop())).toEqual(expect.arrayContaining(['storyboard.jpg', 'storyboard.vtt', 'poster.jpg', 'master.m3u8', 'manifest.mpd']));
    for (const r of renditions?.renditions ?? []) expect(r.durationSec).toBeGreaterThan(0.3);
    expect(renditions?.renditions.map((r) => r.kind).sort()).toEqual(['audio', 'video']);
  });

  it('a file whose audio and subtitle outlast its video is valid: each stream is judged by its own duration', async () => {
    const clip = await makeClip('outlasting-tracks', { seconds: 2, width: 320, height: 180 });
    const { run, renditions } = await transcoded(clip, 'outlast.mkv');
    expect(run.code, run.stderr).toBe(0);
    const byKind = Object.fromEntries((renditions?.renditions ?? []).map((r) => [r.kind, r.durationSec]));
    expect(byKind.video).toBeCloseTo(2, 1);
    expect(byKind.audio).toBeGreaterThan(2.95);
    expect(join(run.stderr)).not.toMatch(/ends early/);
  });
});

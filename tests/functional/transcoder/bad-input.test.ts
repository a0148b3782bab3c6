// Unusable sources: exit 65, an error event naming the problem, and nothing in the destination.
import { readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { makeBadInput, makeClip, type BadInputKind } from '../../helpers/clips.js';
import { runCli, stageSource, tool } from './harness.js';

const CASES: [BadInputKind, RegExp][] = [
  ['zero-bytes', /empty \(0 bytes\)/],
  ['random-bytes', /not a media file: no known container format/],
  ['text', /not a media file: it contains text/],
  ['truncated-mp4', /moov atom\) is missing, the file is truncated/],
  ['image', /still image \(png\)/],
  ['no-streams', /no decodable video or audio stream \(found: subtitle\)/],
];

const roots: string[] = [];
afterAll(async () => {
  for (const root of roots) await rm(root, { recursive: true, force: true });
});

describe('bad input', () => {
  it.each(CASES)('%s exits 65 with a specific message and writes nothing', async (kind, message) => {
    const staged = await stageSource(await makeBadInput(kind), `upload-${kind}.mp4`);
    roots.push(staged.root);
    const run = await runCli(['--source', staged.source, '--dest', staged.dest, '--publish']);
    expect(run.code, run.stderr).toBe(65);
    const last = run.events[run.events.length - 1];
    expect(last).toMatchObject({ event: 'error', code: 65, kind: 'bad-input' });
    expect(last?.event === 'error' ? last.message : '').toMatch(message);
    expect(run.stderr).toMatch(message);
    expect(await readdir(staged.dest).catch(() => [])).toEqual([]);
  });

  it('a truncated MP4 whose index survived (faststart) fails during the encode, still before any upload', async () => {
    const staged = await stageSource(await makeClip('landscape'), 'whole.mp4');
    roots.push(staged.root);
    const faststart = join(staged.root, 'faststart.mp4');
    expect((await tool('ffmpeg', ['-v', 'error', '-i', staged.source, '-c', 'copy', '-movflags', '+faststart', faststart])).code).toBe(0);
    const bytes = await readFile(faststart);
    const half = join(staged.root, 'media-in', 'half.mp4');
    await writeFile(half, bytes.subarray(0, bytes.length / 2));
    const run = await runCli(['--source', half, '--dest', staged.dest, '--publish']);
    expect(run.code, run.stderr).toBe(65);
    expect(run.events.at(-1)).toMatchObject({ event: 'error', kind: 'bad-input', message: expect.stringMatching(/ends early: its video decodes to 2\.\d+ s of the 4\.\d+ s/) as unknown });
    expect(await readdir(staged.dest).catch(() => [])).toEqual([]);
  });

  it('a missing source is bad input too (never retried), and a malformed plan a usage error', async () => {
    const staged = await stageSource(await makeBadInput('text'), 'x.mp4');
    roots.push(staged.root);
    const missing = await runCli(['--source', `${staged.root}/media-in/nope.mp4`, '--dest', staged.dest]);
    expect(missing.code).toBe(65);
    expect(missing.events.at(-1)).toMatchObject({ event: 'error', kind: 'bad-input', message: expect.stringMatching(/source not found/) as unknown });
    const badPlan = await runCli(['--source', staged.source, '--dest', staged.dest, '--plan', '{"preset":"default"}', '--job', 'all']);
    expect(badPlan.code).toBe(64);
    expect(badPlan.events.at(-1)).toMatchObject({ event: 'error', kind: 'crash', message: expect.stringMatching(/^--plan: /) as unknown });
    expect(await readdir(staged.dest).catch(() => [])).toEqual([]);
  });
});

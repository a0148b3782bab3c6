// Every audio track (issue 12, item 1): each language becomes its own rendition, listed in both masters,
// and ffmpeg decodes each one through them; the 5.1 English track also keeps a 5.1 rendition.
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RenditionsFile } from '../../../src/domain/types.js';
import { makeClip } from '../../helpers/clips.js';
import { ffprobe, filesUnder, runCli, stageSource, tool, type CliRun } from './harness.js';

let root: string;
let run: CliRun;
let files: string[];
let renditions: RenditionsFile;

beforeAll(async () => {
  const staged = await stageSource(await makeClip('two-languages', { seconds: 2, width: 320, height: 180 }), 'dubbed.mkv');
  root = staged.root;
  run = await runCli(['--source', staged.source, '--dest', staged.dest, '--publish']);
  files = await filesUnder(staged.dest);
  const json = files.find((f) => f.endsWith('/renditions/all.json'));
  renditions = JSON.parse(await readFile(json ?? '', 'utf8')) as RenditionsFile;
});
afterAll(() => rm(root, { recursive: true, force: true }));

const file = (suffix: string): string => files.find((f) => f.endsWith(suffix)) ?? `(no ${suffix})`;

describe('every audio track', () => {
  it('encodes each source language as its own stereo AAC rendition with its language, name and role, and the 5.1 one in 5.1 too', () => {
    expect(run.code, run.stderr).toBe(0);
    const audio = renditions.renditions.filter((r) => r.kind === 'audio').map((r) => [r.id, r.language, r.name, r.role, r.channels, r.codecs]);
    expect(audio).toEqual([
      ['audio', 'eng', 'English', 'main', 2, 'mp4a.40.2'],
      ['audio-fra', 'fra', 'fra', 'alternate', 2, 'mp4a.40.2'],
      ['audio-51', 'eng', 'English', 'main', 6, 'mp4a.40.2'],
    ]);
  });

  it('lists them in the HLS master (a stereo group, and a 5.1 group with French in stereo) and the MPD (one AdaptationSet each, lang and Role)', async () => {
    const master = await readFile(file('/master.m3u8'), 'utf8');
    expect(master.match(/^#EXT-X-MEDIA:TYPE=AUDIO.*$/gm)).toEqual([
      expect.stringMatching(/GROUP-ID="audio",LANGUAGE="eng",NAME="English",DEFAULT=YES,AUTOSELECT=YES,CHANNELS="2",URI="v-[0-9a-f]+\/audio\/playlist\.m3u8"/),
      expect.stringMatching(/GROUP-ID="audio",LANGUAGE="fra",NAME="fra",DEFAULT=NO,AUTOSELECT=YES,CHANNELS="2",URI="v-[0-9a-f]+\/audio-fra\/playlist\.m3u8"/),
      expect.stringMatching(/GROUP-ID="audio-51",LANGUAGE="eng",NAME="English",DEFAULT=YES,AUTOSELECT=YES,CHANNELS="6",URI="v-[0-9a-f]+\/audio-51\/playlist\.m3u8"/),
      expect.stringMatching(/GROUP-ID="audio-51",LANGUAGE="fra",NAME="fra",DEFAULT=NO,AUTOSELECT=YES,CHANNELS="2",URI="v-[0-9a-f]+\/audio-fra\/playlist\.m3u8"/),
    ]);
    // One rung (180p): its stereo variant, then its 5.1 one.
    expect(master.match(/^#EXT-X-STREAM-INF:.*AUDIO="([\w-]+)".*$/gm)?.map((l) => /AUDIO="([\w-]+)"/.exec(l)?.[1])).toEqual(['audio', 'audio-51']);
    const mpd = await readFile(file('/manifest.mpd'), 'utf8');
    expect([...mpd.matchAll(/<AdaptationSet [^>]*contentType="audio"[^>]*lang="(\w+)"[\s\S]*?<Role [^>]*value="(\w+)"[\s\S]*?<AudioChannelConfiguration [^>]*value="(\d)"/g)].map((m) => [m[1], m[2], m[3]]))
      .toEqual([['eng', 'main', '2'], ['fra', 'alternate', '2'], ['eng', 'main', '6']]);
  });

  it('decodes each track, through both masters, as the tone it was (440 Hz English in stereo and 5.1, 660 Hz French)', async () => {
    for (const manifest of [file('/master.m3u8'), file('/manifest.mpd')]) {
      const streams = ((await ffprobe(['-show_streams', manifest])) as { streams: { codec_type: string; channels?: number; tags?: { language?: string } }[] }).streams.filter((s) => s.codec_type === 'audio');
      // French is listed in both HLS groups: ffmpeg's HLS reader gives each listing a stream of its own.
      const french = manifest.endsWith('.m3u8') ? ['fra 2', 'fra 2'] : ['fra 2'];
      expect(streams.map((s) => `${s.tags?.language} ${s.channels}`).sort(), manifest).toEqual(['eng 2', 'eng 6', ...french]);
      for (const [n, s] of streams.entries()) {
        const hz = s.tags?.language === 'fra' ? 660 : 440;
        // Zero crossings over one second tell the tones apart (two per period).
        const raw = join(root, `track-${n}.raw`);
        const pcm = await tool('ffmpeg', ['-v', 'error', '-y', '-i', manifest, '-map', `0:a:${n}`, '-ss', '0.5', '-t', '1', '-ac', '1', '-ar', '48000', '-f', 's16le', raw]);
        expect(pcm.code, pcm.stderr).toBe(0);
        const bytes = await readFile(raw);
        const samples = new Int16Array(bytes.buffer, bytes.byteOffset, Math.floor(bytes.length / 2));
        let crossings = 0;
        for (let i = 1; i < samples.length; i++) if (((samples[i - 1] ?? 0) < 0) !== ((samples[i] ?? 0) < 0)) crossings++;
        expect(crossings / 2, `${manifest} track ${n} (${s.tags?.language} ${s.channels})`).toBeGreaterThan(hz * 0.97);
        expect(crossings / 2, `${manifest} track ${n}`).toBeLessThan(hz * 1.03);
      }
    }
  });
});

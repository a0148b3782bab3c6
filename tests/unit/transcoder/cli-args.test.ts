// The transcoder command's flags as the run takes them (issue 12): --audio-tracks and --no-surround reach the plan it makes.
import { describe, expect, it } from 'vitest';
import { toArgs } from '../../../src/cli/commands/transcode.js';
import { planLadder } from '../../../src/domain/ladder.js';
import type { AudioProbe, SourceProbe } from '../../../src/domain/types.js';
import { UsageError } from '../../../src/transcoder/errors.js';
import { planOptions } from '../../../src/transcoder/run.js';

const base = { source: 'in/film.mkv', dest: 'out' };

const tracks: AudioProbe[] = [
  { index: 1, codec: 'ac3', channels: 6, sampleRate: 48000, language: 'eng', default: true },
  { index: 2, codec: 'aac', channels: 2, sampleRate: 48000, language: 'fra' },
  { index: 3, codec: 'aac', channels: 2, sampleRate: 48000, language: 'deu' },
];
const probe: SourceProbe = { formatName: 'matroska,webm', durationSec: 10, sizeBytes: 1000, audio: tracks[0], audioTracks: tracks, audioStreamCount: 3 };

/** The audio renditions a run of these flags plans: [id, source stream, channels]. */
async function planned(flags: Record<string, unknown>): Promise<[string, number | undefined, number][]> {
  const plan = planLadder(probe, planOptions(await toArgs({ ...base, ...flags }), 'etag-1'));
  return [plan.audio, ...(plan.moreAudio ?? [])].flatMap((a) => (a ? [[a.id, a.sourceIndex, a.channels] as [string, number | undefined, number]] : []));
}

describe('transcode --audio-tracks', () => {
  it('keeps every track by default, and a 5.1 rendition of the 5.1 one', async () => {
    expect(await planned({})).toEqual([['audio', 1, 2], ['audio-fra', 2, 2], ['audio-deu', 3, 2], ['audio-51', 1, 6]]);
  });

  it('takes all, first, or a comma-separated list of languages', async () => {
    expect((await toArgs({ ...base, audioTracks: 'all' })).audioTracks).toBe('all');
    expect((await toArgs({ ...base, audioTracks: 'first' })).audioTracks).toBe('first');
    expect((await toArgs({ ...base, audioTracks: 'fra, deu' })).audioTracks).toEqual(['fra', 'deu']);
    expect(await planned({ audioTracks: 'first' })).toEqual([['audio', 1, 2], ['audio-51', 1, 6]]);
    expect(await planned({ audioTracks: 'deu,fra' })).toEqual([['audio', 2, 2], ['audio-deu', 3, 2]]);
  });

  it('rejects anything else with a usage error naming the flag', async () => {
    for (const bad of ['', 'english!', 'eng,,1x']) {
      await expect(toArgs({ ...base, audioTracks: bad })).rejects.toThrow(UsageError);
      await expect(toArgs({ ...base, audioTracks: bad })).rejects.toThrow(/--audio-tracks .*expected all, first or languages/);
    }
  });
});

describe('transcode --no-surround', () => {
  it('plans stereo renditions only', async () => {
    expect(await planned({ surround: false })).toEqual([['audio', 1, 2], ['audio-fra', 2, 2], ['audio-deu', 3, 2]]);
    expect(await planned({ surround: true })).toContainEqual(['audio-51', 1, 6]);
  });
});

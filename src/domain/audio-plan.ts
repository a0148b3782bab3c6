// Source probe -> audio renditions (pure, part of planLadder): which tracks are kept, each as AAC stereo with
// its language, name and role, and a 5.1 rendition of each 6+ channel track in its own group.
import type { AudioProbe, AudioRendition, AudioSelection, Plan, PresetName, SourceProbe } from './types.js';

function audioRendition(audio: AudioProbe, preset: PresetName, id: string): AudioRendition {
  const declared = audio.durationSec ? { durationSec: audio.durationSec } : {};
  if (preset === 'seed') return { id, bitrate: 128_000, channels: 1, sampleRate: 44_100, ...declared };
  const channels = Math.min(2, Math.max(1, audio.channels || 2));
  return { id, bitrate: channels === 1 ? 64_000 : 128_000, channels, sampleRate: 48_000, ...declared };
}

/**
 * The tracks kept, the source's default (else first) one first. A language list keeps the tracks tagged
 * with one of its languages, in source order; when none is, the default track is kept (a stream never
 * loses its sound to a setting).
 */
function selectAudio(probe: SourceProbe, selection: AudioSelection): AudioProbe[] {
  const main = probe.audio;
  if (!main) return [];
  const all = probe.audioTracks?.length ? probe.audioTracks : [main];
  if (selection === 'first') return [main];
  const wanted = selection === 'all' ? all : all.filter((a) => a.language && selection.some((l) => l.toLowerCase() === a.language?.toLowerCase()));
  if (wanted.length === 0) return [main];
  const first = wanted.find((a) => a.index === main.index) ?? wanted[0];
  return first ? [first, ...wanted.filter((a) => a !== first)] : [];
}

/** AAC-LC 5.1 (mp4a.40.2, which Chromium's MSE decodes; E-AC-3 it refuses): 64 kbit/s a full channel. */
const SURROUND = { channels: 6, bitrate: 384_000 };

/**
 * The 5.1 renditions, after every stereo one: a copy of the stereo rendition of each track with 6 or
 * more channels (7.1 is downmixed), same name, language and role, in the manifests' own surround group.
 */
function withSurround(stereo: AudioRendition[], tracks: AudioProbe[]): AudioRendition[] {
  const ids = new Set(stereo.map((a) => a.id));
  const surround = stereo.flatMap((a, n) => {
    if ((tracks[n]?.channels ?? 0) < SURROUND.channels) return [];
    let id = `${a.id}-51`;
    for (let k = 2; ids.has(id); k++) id = `${a.id}-51-${k}`;
    ids.add(id);
    return [{ ...a, id, ...SURROUND }];
  });
  return [...stereo, ...surround];
}

export function planAudio(probe: SourceProbe, preset: PresetName, selection: AudioSelection, surround: boolean): AudioRendition[] {
  const tracks = selectAudio(probe, preset === 'seed' ? 'first' : selection);
  const stereo = stereoAudio(probe, preset, tracks);
  return surround && preset !== 'seed' ? withSurround(stereo, tracks) : stereo;
}

function stereoAudio(probe: SourceProbe, preset: PresetName, tracks: AudioProbe[]): AudioRendition[] {
  if (tracks.length === 1 && !probe.audioTracks) {
    // One track, as every plan had before tracks were named: the same rendition, nothing added.
    const only = tracks[0];
    return only ? [audioRendition(only, preset, 'audio')] : [];
  }
  const ids = new Set<string>();
  const names = new Set<string>();
  return tracks.map((track, n) => {
    // The main track keeps the folder every stream had ("audio"); others are named by language.
    let id = n === 0 ? 'audio' : `audio-${(track.language ?? 'und').toLowerCase()}`;
    for (let k = 2; ids.has(id); k++) id = `audio-${(track.language ?? 'und').toLowerCase()}-${k}`;
    ids.add(id);
    let name = track.title ?? track.language ?? `Audio ${n + 1}`;
    for (let k = 2; names.has(name); k++) name = `${track.title ?? track.language ?? 'Audio'} (${k})`;
    names.add(name);
    return {
      ...audioRendition(track, preset, id),
      sourceIndex: track.index,
      ...(track.language ? { language: track.language } : {}),
      name,
      role: n === 0 ? 'main' : track.role ?? 'alternate',
    };
  });
}

/** Every audio rendition of a plan, the main one first. */
export function planAudioRenditions(plan: Pick<Plan, 'audio' | 'moreAudio'>): AudioRendition[] {
  return plan.audio ? [plan.audio, ...(plan.moreAudio ?? [])] : [];
}

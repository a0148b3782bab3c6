import { describe, expect, it } from 'vitest';
import { renderMasterPlaylist, renderMediaPlaylist, targetDuration, ManifestError } from '../../../../src/domain/manifests/index.js';
import { audioRendition, segmentsOf, videoRendition, VERSION } from './fixtures.js';
import { parseM3u8 } from './m3u8.js';

describe('renderMediaPlaylist', () => {
  it('writes a VOD fMP4 playlist with URIs relative to its own folder', () => {
    const r = videoRendition(720, {}, [4, 4.004, 2.5]);
    const text = renderMediaPlaylist(r, 'cmaf');
    const m = parseM3u8(text);
    expect(text.startsWith('#EXTM3U\n#EXT-X-VERSION:7\n')).toBe(true);
    expect(m.playlistType).toBe('VOD');
    expect(m.endList).toBe(true);
    expect(m.independentSegments).toBe(true);
    expect(m.mediaSequence).toBe(0);
    expect(m.targetDuration).toBe(5); // ceil(4.004)
    expect(m.segments.map((s) => s.uri)).toEqual(['seg_00001.m4s', 'seg_00002.m4s', 'seg_00003.m4s']);
    expect(m.segments[0]?.map?.uri).toBe('init.mp4');
    expect(m.segments.map((s) => s.duration)).toEqual([4, 4.004, 2.5]);
  });

  it('uses the exact timescale durations with six decimals', () => {
    const r = videoRendition(360, {}, [1001 / 30000 * 150]);
    expect(renderMediaPlaylist(r, 'cmaf')).toContain('#EXTINF:5.005000,\nseg_00001.m4s');
  });

  it('writes MPEG-TS playlists at version 3 without EXT-X-MAP', () => {
    const r = { ...videoRendition(360), initSegment: undefined, segments: segmentsOf(`${VERSION}/360p/`, [5, 5], 90_000, 1000, 'ts') };
    const text = renderMediaPlaylist(r, 'ts');
    expect(text).toContain('#EXT-X-VERSION:3\n');
    expect(text).not.toContain('EXT-X-MAP');
    expect(parseM3u8(text).segments.map((s) => s.uri)).toEqual(['seg_00001.ts', 'seg_00002.ts']);
  });

  it('escapes names and climbs out of the playlist folder when a segment lives elsewhere', () => {
    const r = videoRendition(360);
    r.playlist = 'v-1/360p/playlist.m3u8';
    r.initSegment = 'v-1/shared/init #1.mp4';
    r.segments = r.segments.map((s, i) => ({ ...s, uri: `v-1/360p/a?b%c ${i}.m4s` }));
    const text = renderMediaPlaylist(r, 'cmaf');
    expect(text).toContain('#EXT-X-MAP:URI="../shared/init%20%231.mp4"');
    expect(text).toContain('\na%3Fb%25c%200.m4s\n');
  });

  it('refuses metadata it cannot describe', () => {
    expect(() => renderMediaPlaylist({ ...videoRendition(360), segments: [] }, 'cmaf')).toThrow(/360p: no segments/);
    expect(() => renderMediaPlaylist({ ...videoRendition(360), initSegment: undefined }, 'cmaf')).toThrow(ManifestError);
    const zero = videoRendition(360);
    zero.segments[1] = { ...zero.segments[1]!, duration: 0, durationSec: 0 };
    expect(() => renderMediaPlaylist(zero, 'cmaf')).toThrow(/seg_00002.m4s has duration 0/);
  });
});

describe('targetDuration', () => {
  it('is the ceiling of the longest segment, ignoring float noise', () => {
    expect(targetDuration([4, 5.0000000001])).toBe(5);
    expect(targetDuration([5.005, 2])).toBe(6);
    expect(targetDuration([5.6])).toBe(6);
    expect(targetDuration([0.2])).toBe(1);
  });
});

describe('renderMasterPlaylist', () => {
  const ladder = [videoRendition(1080), videoRendition(720), videoRendition(480), videoRendition(360)];

  it('lists every variant with peak and average bandwidth including audio, and an audio group', () => {
    const audio = audioRendition({ language: 'en' });
    const text = renderMasterPlaylist([...ladder, audio]);
    const m = parseM3u8(text);
    expect(m.playlists).toHaveLength(4);
    const top = m.playlists?.find((p) => p.uri === `${VERSION}/1080p/playlist.m3u8`);
    expect(top?.attributes).toMatchObject({
      BANDWIDTH: 1080 * 5000 + 131_000,
      'AVERAGE-BANDWIDTH': String(1080 * 4000 + 128_000),
      RESOLUTION: { width: 1920, height: 1080 },
      'FRAME-RATE': 30,
      CODECS: 'avc1.64001f,mp4a.40.2',
      AUDIO: 'audio',
    });
    const group = m.mediaGroups?.AUDIO?.audio ?? {};
    expect(Object.values(group)).toEqual([expect.objectContaining({ uri: `${VERSION}/audio/playlist.m3u8`, default: true, autoselect: true, language: 'en' })]);
    expect(text).toContain('CHANNELS="2"');
    expect(text).toMatch(/FRAME-RATE=30\.000,/);
  });

  it('lists every audio track in one group: LANGUAGE, unique NAME, the main one DEFAULT, all AUTOSELECT, CHANNELS', () => {
    const tracks = [
      audioRendition({ language: 'eng', name: 'English', role: 'main' }),
      audioRendition({ id: 'audio-fra', language: 'fra', name: 'Français', role: 'alternate', playlist: `${VERSION}/audio-fra/playlist.m3u8`, peakBitrate: 140_000, averageBitrate: 129_000 }),
      audioRendition({ id: 'audio-eng-2', language: 'eng', name: 'Described', role: 'description', channels: 1, playlist: `${VERSION}/audio-eng-2/playlist.m3u8` }),
    ];
    const text = renderMasterPlaylist([videoRendition(720), ...tracks]);
    const m = parseM3u8(text);
    const group = m.mediaGroups?.AUDIO?.audio ?? {};
    expect(Object.keys(group)).toEqual(['English', 'Français', 'Described']);
    expect(group.English).toMatchObject({ language: 'eng', default: true, autoselect: true, uri: `${VERSION}/audio/playlist.m3u8` });
    expect(group['Français']).toMatchObject({ language: 'fra', default: false, autoselect: true, uri: `${VERSION}/audio-fra/playlist.m3u8` });
    expect(text).toContain('NAME="Described",DEFAULT=NO,AUTOSELECT=YES,CHARACTERISTICS="public.accessibility.describes-video",CHANNELS="1"');
    // The variant declares the costliest track of its group, and the audio codec once.
    expect(m.playlists?.[0]?.attributes).toMatchObject({ BANDWIDTH: 720 * 5000 + 140_000, 'AVERAGE-BANDWIDTH': String(720 * 4000 + 129_000), CODECS: 'avc1.64001f,mp4a.40.2', AUDIO: 'audio' });
    // Audio only: the main track is the variant, the others its group.
    const audioOnly = parseM3u8(renderMasterPlaylist(tracks.slice(0, 2)));
    expect(audioOnly.playlists?.map((p) => [p.uri, p.attributes.AUDIO])).toEqual([[`${VERSION}/audio/playlist.m3u8`, 'audio']]);
    expect(Object.keys(audioOnly.mediaGroups?.AUDIO?.audio ?? {})).toEqual(['English', 'Français']);
  });

  it('puts 5.1 renditions in a group of their own with a variant per rung, after the stereo ones', () => {
    const a = (id: string, o: Partial<Parameters<typeof audioRendition>[0]>) => audioRendition({ id, playlist: `${VERSION}/${id}/playlist.m3u8`, ...o });
    const tracks = [
      a('audio', { language: 'eng', name: 'English', role: 'main' }),
      a('audio-fra', { language: 'fra', name: 'Français', role: 'alternate' }),
      a('audio-51', { language: 'eng', name: 'English', role: 'main', channels: 6, peakBitrate: 390_000, averageBitrate: 384_000 }),
    ];
    const text = renderMasterPlaylist([videoRendition(720), videoRendition(360), ...tracks]);
    const m = parseM3u8(text);
    // Stereo group as before; the 5.1 group offers every language (French in stereo), English in 5.1.
    expect(Object.entries(m.mediaGroups?.AUDIO?.audio ?? {}).map(([name, r]) => [name, r.uri, r.default])).toEqual([
      ['English', `${VERSION}/audio/playlist.m3u8`, true],
      ['Français', `${VERSION}/audio-fra/playlist.m3u8`, false],
    ]);
    expect(Object.entries(m.mediaGroups?.AUDIO?.['audio-51'] ?? {}).map(([name, r]) => [name, r.uri, r.default])).toEqual([
      ['English', `${VERSION}/audio-51/playlist.m3u8`, true],
      ['Français', `${VERSION}/audio-fra/playlist.m3u8`, false],
    ]);
    expect(text).toContain('GROUP-ID="audio-51",LANGUAGE="eng",NAME="English",DEFAULT=YES,AUTOSELECT=YES,CHANNELS="6",URI=');
    // Stereo variants first (start variant among them), then one 5.1 variant per rung with the 5.1 peak.
    expect(m.playlists?.map((p) => [p.uri.split('/')[1], p.attributes.AUDIO, p.attributes.BANDWIDTH])).toEqual([
      ['360p', 'audio', 360 * 5000 + 131_000], // the start variant: 720p peaks above 3 Mbit/s
      ['720p', 'audio', 720 * 5000 + 131_000],
      ['720p', 'audio-51', 720 * 5000 + 390_000],
      ['360p', 'audio-51', 360 * 5000 + 390_000],
    ]);
    expect(m.playlists?.[2]?.attributes).toMatchObject({ 'AVERAGE-BANDWIDTH': String(720 * 4000 + 384_000), CODECS: 'avc1.64001f,mp4a.40.2' });
    // Audio only: a variant per group, each its main playlist.
    const audioOnly = parseM3u8(renderMasterPlaylist([tracks[0]!, tracks[2]!]));
    expect(audioOnly.playlists?.map((p) => [p.uri, p.attributes.AUDIO, p.attributes.BANDWIDTH])).toEqual([
      [`${VERSION}/audio/playlist.m3u8`, 'audio', 131_000],
      [`${VERSION}/audio-51/playlist.m3u8`, 'audio-51', 390_000],
    ]);
  });

  it('starts with the best variant under the start cap, then descends', () => {
    const order = parseM3u8(renderMasterPlaylist(ladder)).playlists?.map((p) => p.uri.split('/')[1]);
    // peaks: 1080p 5.4M, 720p 3.6M, 480p 2.4M, 360p 1.8M; the cap is 3M.
    expect(order).toEqual(['480p', '1080p', '720p', '360p']);
  });

  it('writes fractional frame rates with three decimals and no audio group for video-only', () => {
    const text = renderMasterPlaylist([videoRendition(720, { frameRate: 30000 / 1001 })]);
    expect(text).toContain('FRAME-RATE=29.970');
    expect(text).not.toContain('EXT-X-MEDIA');
    expect(text).toContain('CODECS="avc1.64001f"\n');
  });

  it('gives audio-only sources one variant that is the audio playlist', () => {
    const text = renderMasterPlaylist([audioRendition()]);
    const m = parseM3u8(text);
    expect(m.playlists).toEqual([expect.objectContaining({ uri: `${VERSION}/audio/playlist.m3u8` })]);
    expect(m.playlists?.[0]?.attributes).toMatchObject({ BANDWIDTH: 131_000, CODECS: 'mp4a.40.2' });
    expect(text).not.toContain('EXT-X-MEDIA');
  });

  it('keeps TS variants with audio muxed in as they are (no audio group)', () => {
    const muxed = videoRendition(360, { codecs: 'avc1.4d401e,mp4a.40.2', initSegment: undefined });
    const text = renderMasterPlaylist([muxed]);
    expect(text).toContain('#EXT-X-VERSION:3');
    expect(text).toContain('CODECS="avc1.4d401e,mp4a.40.2"\n');
    expect(text).not.toContain('AUDIO=');
  });

  it('escapes playlist names and rejects what a master cannot carry', () => {
    const odd = videoRendition(360, { playlist: 'v-1/3 60p#/playlist.m3u8' });
    expect(renderMasterPlaylist([odd])).toContain('\nv-1/3%2060p%23/playlist.m3u8\n');
    expect(() => renderMasterPlaylist([])).toThrow(/no renditions/);
    expect(() => renderMasterPlaylist([audioRendition(), audioRendition({ id: 'a2' })])).toThrow(/two audio renditions named "Audio"/);
    expect(() => renderMasterPlaylist([videoRendition(360, { width: undefined })])).toThrow(/360p: width missing/);
    expect(() => renderMasterPlaylist([audioRendition({ language: 'e"n' })])).not.toThrow();
    expect(() => renderMasterPlaylist([videoRendition(360), audioRendition({ language: 'e"n' })])).toThrow(/quoted-string/);
  });
});

// A small reader for the media playlists we write (RFC 8216 VOD subset), so verify can check that
// every URI a playlist references exists. Pure and dependency-free: it also runs in workflow code.

export class PlaylistError extends Error {
  override readonly name = 'PlaylistError';
}

export interface MediaPlaylist {
  version?: number;
  targetDuration?: number;
  mediaSequence?: number;
  playlistType?: string;
  endList: boolean;
  /** EXT-X-MAP URI, as written (relative, percent-encoded). */
  map?: string;
  segments: { uri: string; durationSec: number }[];
}

const number = (value: string, line: number, tag: string): number => {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n)) throw new PlaylistError(`line ${line}: ${tag} needs a number, got "${value}"`);
  return n;
};

export function parseMediaPlaylist(text: string): MediaPlaylist {
  const lines = text.split(/\r?\n/);
  if (lines[0]?.trim() !== '#EXTM3U') throw new PlaylistError('line 1: a playlist starts with #EXTM3U');
  const out: MediaPlaylist = { endList: false, segments: [] };
  let pending: number | undefined;
  lines.forEach((raw, i) => {
    const line = raw.trim();
    const at = i + 1;
    if (line === '' || i === 0) return;
    if (!line.startsWith('#')) {
      if (pending === undefined) throw new PlaylistError(`line ${at}: URI "${line}" has no #EXTINF before it`);
      out.segments.push({ uri: line, durationSec: pending });
      pending = undefined;
      return;
    }
    const colon = line.indexOf(':');
    const tag = colon < 0 ? line : line.slice(0, colon);
    const value = colon < 0 ? '' : line.slice(colon + 1);
    switch (tag) {
      case '#EXTINF':
        if (pending !== undefined) throw new PlaylistError(`line ${at}: #EXTINF follows another #EXTINF without a URI`);
        pending = number(value.split(',')[0] ?? '', at, tag);
        return;
      case '#EXT-X-VERSION':
        out.version = number(value, at, tag);
        return;
      case '#EXT-X-TARGETDURATION':
        out.targetDuration = number(value, at, tag);
        return;
      case '#EXT-X-MEDIA-SEQUENCE':
        out.mediaSequence = number(value, at, tag);
        return;
      case '#EXT-X-PLAYLIST-TYPE':
        out.playlistType = value;
        return;
      case '#EXT-X-ENDLIST':
        out.endList = true;
        return;
      case '#EXT-X-MAP': {
        const uri = /(?:^|,)URI="([^"]*)"/.exec(value)?.[1];
        if (uri === undefined) throw new PlaylistError(`line ${at}: #EXT-X-MAP without URI`);
        out.map = uri;
        return;
      }
      default:
        return; // other tags (and comments) do not change what verify checks
    }
  });
  if (pending !== undefined) throw new PlaylistError('the last #EXTINF has no URI');
  return out;
}

/** A playlist's relative, percent-encoded URI -> the stream-relative object name it points at. */
export function resolveUri(playlist: string, uri: string): string {
  if (/^[a-z][a-z0-9+.-]*:/i.test(uri) || uri.startsWith('/')) throw new PlaylistError(`URI "${uri}" is not relative to the playlist`);
  const parts = playlist.split('/').slice(0, -1);
  for (const part of uri.split('/')) {
    let name: string;
    try {
      name = decodeURIComponent(part);
    } catch {
      throw new PlaylistError(`URI "${uri}" has a malformed percent-encoding`);
    }
    if (name === '..') {
      if (parts.length === 0) throw new PlaylistError(`URI "${uri}" climbs above the stream prefix`);
      parts.pop();
    } else if (name !== '.') parts.push(name);
  }
  return parts.join('/');
}

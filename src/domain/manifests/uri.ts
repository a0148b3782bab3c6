// Relative references between objects of one stream, for playlists and the MPD.
// Every name here is relative to the stream prefix and uses '/' as separator.

/** Thrown for rendition metadata a manifest cannot be written from. */
export class ManifestError extends Error {
  override readonly name = 'ManifestError';
}

/** Percent-encodes each path component (spaces, '#', '?', '%', quotes, unicode) but keeps the '/'. */
export function escapePath(path: string): string {
  return path.split('/').map(encodeURIComponent).join('/');
}

/** `target` as a relative reference from a document stored at `fromFile` (both stream-relative). */
export function relativeUri(fromFile: string, target: string): string {
  const fromDir = fromFile.split('/').slice(0, -1);
  const to = target.split('/');
  let common = 0;
  while (common < fromDir.length && common < to.length - 1 && fromDir[common] === to[common]) common++;
  const up = fromDir.slice(common).map(() => '..');
  return escapePath([...up, ...to.slice(common)].join('/'));
}

/** A segment's duration in seconds, exact from the muxer's timescale when there is one. */
export function segmentSeconds(timescale: number, segment: { duration: number; durationSec: number }): number {
  return timescale > 0 && segment.duration > 0 ? segment.duration / timescale : segment.durationSec;
}

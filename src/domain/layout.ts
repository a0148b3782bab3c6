// Where every output object lives. One place decides names, so the transcoder, the workflow,
// the verifier and the starter (which must ignore our own writes) always agree.
import type { DestRef, SourceRef } from './types.js';

export const MASTER_PLAYLIST = 'master.m3u8';
export const DASH_MANIFEST = 'manifest.mpd';
export const JOB_RECORD = 'job.json';
export const THUMBNAIL_FOLDER = 'thumbnails/';

/** FNV-1a, 32 bit: a tiny deterministic hash usable inside workflow code (no crypto there). */
export function fnv1a(text: string): string {
  let hash = 0x811c9dc5;
  for (const byte of new TextEncoder().encode(text)) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash.toString(16).padStart(8, '0');
}

/**
 * Media of one upload version live in their own folder under the stream prefix, so a newer upload
 * of the same name never mixes segments with an older run, and masters switch versions atomically.
 */
export function versionFolder(etag: string | undefined): string {
  return `v-${fnv1a(etag ?? 'unversioned')}`;
}

export function normalizePrefix(prefix: string | undefined): string {
  if (!prefix) return '';
  return prefix.endsWith('/') ? prefix : `${prefix}/`;
}

/**
 * Where a source's outputs go unless a request names a destination. With one source bucket, under the
 * destination prefix as the original pipeline did; with several, each source bucket gets a folder of its
 * own there, so `a/x.mp4` and `b/x.mp4` never share a stream (and never delete each other's versions).
 */
export function defaultDest(config: { destBucket: string; destPrefix: string; sourceBuckets: readonly string[] }, sourceBucket: string): DestRef {
  const prefix = normalizePrefix(config.destPrefix);
  return { bucket: config.destBucket, prefix: config.sourceBuckets.length > 1 ? `${prefix}${sourceBucket}/` : prefix };
}

/** The folder of one source's stream: `<prefix><object>/`, as the original pipeline did. */
export function streamPrefix(dest: DestRef, object: string): string {
  return `${normalizePrefix(dest.prefix)}${object}/`;
}

/** The original's poster location: `<prefix>thumbnails/<object>_thumb.png`, bucket-relative. */
export function thumbnailPng(dest: DestRef, object: string): string {
  return `${normalizePrefix(dest.prefix)}${THUMBNAIL_FOLDER}${object}_thumb.png`;
}

// The names below are relative to the stream prefix.
export const mediaFolder = (version: string, renditionId: string): string => `${version}/${renditionId}/`;
export const mediaPlaylist = (version: string, renditionId: string): string => `${mediaFolder(version, renditionId)}playlist.m3u8`;
export const renditionsFile = (version: string, jobId: string): string => `${version}/renditions/${jobId}.json`;
/** The PNG poster before publishing copies it to thumbnailPng(); verified like any other output. */
export const posterPng = (version: string): string => `${version}/poster.png`;
export const posterJpeg = (version: string): string => `${version}/poster.jpg`;
export const storyboardImage = (version: string): string => `${version}/storyboard.jpg`;
export const storyboardVtt = (version: string): string => `${version}/storyboard.vtt`;
/** The plan a published version was made from (publish writes it): what a later sidecar re-publishes with. */
export const planFile = (version: string): string => `${version}/plan.json`;
/** Text tracks added after publishing (a sidecar uploaded later, workflows/captions.ts), one file each. */
export const captionsFolder = (version: string): string => `${version}/captions/`;
/** Downloads (an MP4 of one rung with the main audio, an M4A of the main audio), immutable like the segments. */
export const downloadFile = (version: string, renditionId: string, ext: 'mp4' | 'm4a'): string => `${version}/download/${renditionId}.${ext}`;

/** Everything one source produces, for cleanup and for the starter's own-output check. */
export function outputsOf(dest: DestRef, source: Pick<SourceRef, 'object'>): { streamPrefix: string; thumbnail: string } {
  return { streamPrefix: streamPrefix(dest, source.object), thumbnail: thumbnailPng(dest, source.object) };
}

/** Object Storage's limit on object names, in UTF-8 bytes. */
export const MAX_OBJECT_NAME_BYTES = 1024;

/** A name's length as Object Storage counts it. */
export const utf8Bytes = (text: string): number => new TextEncoder().encode(text).length;
/**
 * Bytes the longest name under a stream prefix adds after `<prefix><object>/`: the version folder
 * (`v-xxxxxxxx/`, 11) and a leaf such as `renditions/<job>.json` or `<rendition>/seg_00001.m4s` (<= 37).
 */
export const OUTPUT_SUFFIX_RESERVE = 48;

/**
 * Why a source name cannot be transcoded into `dest` (its outputs would break Object Storage's name
 * limit), or undefined. Checked before any work, so the upload fails in seconds, not after encoding.
 */
export function outputNameProblem(dest: DestRef, object: string): string | undefined {
  const longest = Math.max(utf8Bytes(streamPrefix(dest, object)) + OUTPUT_SUFFIX_RESERVE, utf8Bytes(thumbnailPng(dest, object)));
  if (longest <= MAX_OBJECT_NAME_BYTES) return undefined;
  const room = MAX_OBJECT_NAME_BYTES - OUTPUT_SUFFIX_RESERVE - utf8Bytes(normalizePrefix(dest.prefix)) - 1;
  return `the object name is ${utf8Bytes(object)} bytes: its outputs would be named up to ${longest} bytes, above the ${MAX_OBJECT_NAME_BYTES}-byte object name limit (names of at most ${room} bytes fit${dest.prefix ? ` under the destination prefix ${JSON.stringify(normalizePrefix(dest.prefix))}` : ''})`;
}

// ---- how outputs are served ---------------------------------------------------------------------

const CONTENT_TYPES: Record<string, string> = {
  m4s: 'video/iso.segment',
  mp4: 'video/mp4',
  m4a: 'audio/mp4',
  ts: 'video/mp2t',
  m3u8: 'application/vnd.apple.mpegurl',
  mpd: 'application/dash+xml',
  json: 'application/json',
  png: 'image/png',
  jpg: 'image/jpeg',
  vtt: 'text/vtt',
};

/**
 * The one cache policy: everything under a version folder is immutable (a new upload gets a new folder,
 * and nothing there is readable before the masters name it); the names that switch versions (masters,
 * job.json, the public poster) are revalidated on every read.
 */
export function outputHeaders(name: string, mutable: boolean): { contentType: string; cacheControl: string } {
  const ext = /\.([A-Za-z0-9]+)$/.exec(name)?.[1]?.toLowerCase() ?? '';
  return {
    contentType: CONTENT_TYPES[ext] ?? 'application/octet-stream',
    cacheControl: mutable ? 'no-cache' : 'public, max-age=31536000, immutable',
  };
}

// Reads an HLS master and every playlist it references from disk (m3u8-parser), resolving each
// URI to a file so a test can prove the files exist. Independent of the product's own writer.
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, resolve, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

interface ByteRange {
  offset: number;
  length: number;
}
interface ParsedSegment {
  uri: string;
  duration: number;
  byterange?: ByteRange;
  map?: { uri: string; byterange?: ByteRange };
}
interface ParsedManifest {
  playlists?: { uri: string; attributes: Record<string, unknown> }[];
  mediaGroups?: { AUDIO?: Record<string, Record<string, { uri?: string; default?: boolean }>> };
  iFramePlaylists?: { uri: string }[];
  segments: ParsedSegment[];
  endList?: boolean;
  playlistType?: string;
  independentSegments?: boolean;
  targetDuration?: number;
  version?: number;
}
// m3u8-parser ships no type declarations; this is the part of its output we read.
const { Parser } = createRequire(import.meta.url)('m3u8-parser') as {
  Parser: new () => { push(text: string): void; end(): void; manifest: ParsedManifest };
};

export interface FileRef {
  /** Absolute path on disk. */
  path: string;
  byterange?: ByteRange;
}

export interface HlsMediaPlaylist {
  /** Absolute path of the media playlist. */
  path: string;
  /** STREAM-INF attributes (variants) or EXT-X-MEDIA group and name (audio renditions). */
  attributes: Record<string, unknown>;
  playlistType?: string;
  endList: boolean;
  independentSegments: boolean;
  targetDuration?: number;
  /** Distinct EXT-X-MAP init segments. */
  inits: FileRef[];
  segments: (FileRef & { durationSec: number })[];
}

export interface HlsStream {
  masterPath: string;
  independentSegments: boolean;
  /** One per EXT-X-STREAM-INF, in master order. */
  variants: HlsMediaPlaylist[];
  /** One per EXT-X-MEDIA TYPE=AUDIO with a URI. */
  audio: HlsMediaPlaylist[];
  /** Every URI in the master that is not a plain variant or audio rendition (I-frame playlists). */
  other: string[];
}

async function parse(path: string): Promise<ParsedManifest> {
  const text = await readFile(path, 'utf8');
  if (!text.startsWith('#EXTM3U')) throw new Error(`${path}: not an M3U8 playlist (no #EXTM3U)`);
  const parser = new Parser();
  parser.push(text);
  parser.end();
  return parser.manifest;
}

/**
 * Resolves a URI found in the file `from` (against `base`, by default that file's own location) to a
 * file under `root`; absolute URLs and escapes are errors: published streams must be relocatable.
 */
export function resolveUri(uri: string, from: string, root: string, base: URL = pathToFileURL(from)): string {
  if (/^[a-z][a-z0-9+.-]*:/i.test(uri) || uri.startsWith('/')) throw new Error(`${from}: URI ${uri} is not relative`);
  const path = fileURLToPath(new URL(uri, base));
  if (!path.startsWith(root + sep)) throw new Error(`${from}: URI ${uri} escapes the stream folder ${root}`);
  return path;
}

async function readMedia(path: string, attributes: Record<string, unknown>, root: string): Promise<HlsMediaPlaylist> {
  const m = await parse(path);
  if (m.playlists?.length) throw new Error(`${path}: expected a media playlist, found a master`);
  const inits = new Map<string, FileRef>();
  const segments = m.segments.map((s) => {
    if (s.map) {
      const init = resolveUri(s.map.uri, path, root);
      inits.set(init, { path: init, byterange: s.map.byterange });
    }
    return { path: resolveUri(s.uri, path, root), byterange: s.byterange, durationSec: s.duration };
  });
  return {
    path,
    attributes,
    playlistType: m.playlistType,
    endList: Boolean(m.endList),
    independentSegments: Boolean(m.independentSegments),
    targetDuration: m.targetDuration,
    inits: [...inits.values()],
    segments,
  };
}

/** Reads master.m3u8 and every media playlist it names. `root` bounds where URIs may point. */
export async function readHls(masterPath: string, streamRoot = dirname(masterPath)): Promise<HlsStream> {
  const root = resolve(streamRoot);
  const master = await parse(masterPath);
  if (!master.playlists?.length) throw new Error(`${masterPath}: no EXT-X-STREAM-INF variants`);
  const variants: HlsMediaPlaylist[] = [];
  for (const p of master.playlists) variants.push(await readMedia(resolveUri(p.uri, masterPath, root), p.attributes, root));
  const audio: HlsMediaPlaylist[] = [];
  for (const [group, names] of Object.entries(master.mediaGroups?.AUDIO ?? {})) {
    for (const [name, r] of Object.entries(names)) {
      if (r.uri) audio.push(await readMedia(resolveUri(r.uri, masterPath, root), { 'GROUP-ID': group, NAME: name }, root));
    }
  }
  return {
    masterPath,
    independentSegments: Boolean(master.independentSegments),
    variants,
    audio,
    other: (master.iFramePlaylists ?? []).map((p) => resolveUri(p.uri, masterPath, root)),
  };
}

/** Every media file an HLS stream references (playlists excluded), de-duplicated. */
export function hlsMediaFiles(s: HlsStream): FileRef[] {
  const all = new Map<string, FileRef>();
  for (const p of [...s.variants, ...s.audio]) for (const f of [...p.inits, ...p.segments]) all.set(`${f.path}@${f.byterange?.offset ?? ''}`, f);
  return [...all.values()];
}

// An independent HLS parser (video.js's m3u8-parser) to read back what the writer produced.
import { createRequire } from 'node:module';

export interface ParsedManifest {
  targetDuration?: number;
  mediaSequence?: number;
  endList?: boolean;
  playlistType?: string;
  independentSegments?: boolean;
  segments: { uri: string; duration: number; map?: { uri: string } }[];
  playlists?: { uri: string; attributes: Record<string, unknown> }[];
  mediaGroups?: { AUDIO?: Record<string, Record<string, { uri?: string; default?: boolean; autoselect?: boolean; language?: string }>> };
}

const { Parser } = createRequire(import.meta.url)('m3u8-parser') as {
  Parser: new () => { push(text: string): void; end(): void; manifest: ParsedManifest };
};

export function parseM3u8(text: string): ParsedManifest {
  const parser = new Parser();
  parser.push(text);
  parser.end();
  return parser.manifest;
}

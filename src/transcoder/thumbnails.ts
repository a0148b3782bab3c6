// Poster and storyboard geometry, and the storyboard's WebVTT. Pure: the pictures themselves are cut
// by the encode's own filter branches (ffmpeg.ts), from the same decode as the renditions.

/** The original's poster box (1280x720), turned for portrait sources; never an upscale. */
export function posterSize(width: number, height: number): { width: number; height: number } {
  const portrait = height > width;
  const [boxW, boxH] = portrait ? [720, 1280] : [1280, 720];
  const scale = Math.min(1, boxW / width, boxH / height);
  const even = (n: number): number => Math.max(2, Math.floor(n / 2) * 2);
  return { width: even(width * scale), height: even(height * scale) };
}

/** The frame at 10 s as the original took it, or the first frame when the source is not longer. */
export function posterFrame(durationSec: number, fps: number): number {
  return durationSec > 10 + 1 / fps ? Math.round(10 * fps) : 0;
}

export interface StoryboardLayout {
  intervalSec: number;
  tileWidth: number;
  tileHeight: number;
  columns: number;
  rows: number;
  /** Tiles the WebVTT describes (the grid may hold one spare cell). */
  count: number;
}

const TILE_LONG_SIDE = 160;
const MAX_TILES = 100;
const MAX_COLUMNS = 10;

/** One tile every 2 s for short sources, more sparsely for long ones: at most 100 tiles in one sheet. */
export function storyboardLayout(durationSec: number, width: number, height: number): StoryboardLayout {
  const intervalSec = Math.max(2, Math.ceil(durationSec / MAX_TILES));
  const scale = Math.min(1, TILE_LONG_SIDE / Math.max(width, height));
  const even = (n: number): number => Math.max(2, Math.round(n / 2) * 2);
  // ffmpeg's fps filter emits the frame nearest each multiple of the interval: round, not ceil.
  const count = Math.max(1, Math.round(durationSec / intervalSec));
  const columns = Math.min(MAX_COLUMNS, count + 1);
  // A spare cell absorbs a rounding extra frame, which would otherwise start a second sheet.
  const rows = Math.ceil((count + 1) / columns);
  return { intervalSec, tileWidth: even(width * scale), tileHeight: even(height * scale), columns, rows, count };
}

const timestamp = (seconds: number): string => {
  const ms = Math.round(seconds * 1000);
  const pad = (n: number, w = 2): string => String(n).padStart(w, '0');
  return `${pad(Math.floor(ms / 3_600_000))}:${pad(Math.floor(ms / 60_000) % 60)}:${pad(Math.floor(ms / 1000) % 60)}.${pad(ms % 1000, 3)}`;
};

/** WebVTT cues pointing at sprite tiles with media fragments (`sheet.jpg#xywh=x,y,w,h`). */
export function storyboardVttText(layout: StoryboardLayout, durationSec: number, imageUri: string): string {
  const lines = ['WEBVTT', ''];
  for (let i = 0; i < layout.count; i++) {
    const start = i * layout.intervalSec;
    const end = i === layout.count - 1 ? durationSec : Math.min(durationSec, (i + 1) * layout.intervalSec);
    if (end <= start) break;
    const x = (i % layout.columns) * layout.tileWidth;
    const y = Math.floor(i / layout.columns) * layout.tileHeight;
    lines.push(`${timestamp(start)} --> ${timestamp(end)}`, `${imageUri}#xywh=${x},${y},${layout.tileWidth},${layout.tileHeight}`, '');
  }
  return lines.join('\n');
}

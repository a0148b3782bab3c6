// The original pipeline's two ffmpeg invocations, as argument arrays, exactly as
// shared/reference/platform-facts.md ("Baseline for benchmarks") records them. Benchmark baseline
// only: product code never builds ffmpeg arguments like this (it upscales and encodes twice).

const VIDEO_LADDER = [
  '-map', 'v:0', '-s:0', '1920x1080', '-b:v:0', '5M', '-maxrate', '5M', '-minrate', '5M', '-bufsize', '10M',
  '-map', 'v:0', '-s:1', '1280x720', '-b:v:1', '3M', '-maxrate', '3M', '-minrate', '3M', '-bufsize', '3M',
  '-map', 'v:0', '-s:2', '640x360', '-b:v:2', '1M', '-maxrate', '1M', '-minrate', '1M', '-bufsize', '1M',
];
const AUDIO_AND_GOP = ['-c:a', 'aac', '-b:a', '128k', '-ac', '1', '-ar', '44100', '-keyint_min', '48', '-g', '48', '-c:v', 'libx264', '-sc_threshold', '0'];

/** The original's HLS run (TS segments, VOD playlists, master.m3u8), to be run in an empty folder. */
export function originalHlsArgs(input: string, hasAudio: boolean): string[] {
  return [
    '-i', input,
    ...VIDEO_LADDER,
    '-map', 'a:0?', '-map', 'a:0?', '-map', 'a:0?',
    ...AUDIO_AND_GOP,
    '-f', 'hls', '-hls_time', '5', '-hls_playlist_type', 'vod',
    '-hls_segment_filename', 'stream_%v_%03d.ts',
    '-master_pl_name', 'master.m3u8',
    '-var_stream_map', hasAudio ? 'v:0,a:0 v:1,a:1 v:2,a:2' : 'v:0 v:1 v:2',
    'stream_%v.m3u8',
  ];
}

/** The original's DASH run (template + timeline), to be run in an empty folder. */
export function originalDashArgs(input: string): string[] {
  return [
    '-i', input,
    ...VIDEO_LADDER,
    '-map', 'a:0?',
    ...AUDIO_AND_GOP,
    '-f', 'dash', '-use_template', '1', '-use_timeline', '1', '-seg_duration', '5',
    '-adaptation_sets', 'id=0,streams=v id=1,streams=a',
    'dash.mpd',
  ];
}

/** Where the original's top (1080p) rendition lands in each run's folder. */
export const ORIGINAL_TOP = { hls: 'stream_0.m3u8', dash: 'dash.mpd' } as const;

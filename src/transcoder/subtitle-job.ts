// The plan's text tracks, converted by the job that carries audio (domain/subtitles subtitleJobId): each
// embedded text stream and each sidecar becomes WebVTT (ffmpeg), cut into HLS segments plus one whole
// file for DASH. A track that cannot be converted (a broken sidecar, a stream ffmpeg refuses) is reported
// in renditions.json as skipped, never a failure of the run: the video and audio stand without it.
import { writeFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { parseWebVtt, renderSubtitlePlaylist, segmentWebVtt } from '../domain/subtitles.js';
import type { Plan, TextOutput, TextSkipped, TextTrack } from '../domain/types.js';
import { embeddedToWebVtt, sidecarToWebVtt } from '../media/webvtt.js';
import type { OutputFile } from './outputs.js';

export interface TextJobOutputs {
  outputs: TextOutput[];
  skipped: TextSkipped[];
  /** Segments and whole files, to upload with the other media. */
  files: OutputFile[];
  playlists: { name: string; body: string }[];
}

const skip = (t: TextTrack, reason: string): TextSkipped => ({
  ...(t.sourceIndex !== undefined ? { sourceIndex: t.sourceIndex } : {}),
  ...(t.sidecar ? { sidecar: t.sidecar.object } : {}),
  codec: t.codec,
  ...(t.language ? { language: t.language } : {}),
  reason,
});

/** One track's WebVTT text: the source's stream, or the sidecar's bytes read by the caller. */
async function webVttOf(t: TextTrack, input: string, sidecars: ReadonlyMap<string, Buffer>): Promise<string> {
  if (t.sidecar) {
    const body = sidecars.get(t.sidecar.object);
    if (!body) throw new Error(`the sidecar ${t.sidecar.object} could not be read`);
    return sidecarToWebVtt(body, t.codec === 'srt' ? 'srt' : 'vtt');
  }
  if (t.sourceIndex === undefined) throw new Error('the track names neither a source stream nor a sidecar');
  return embeddedToWebVtt(input, t.sourceIndex);
}

/** Converts one track and writes its files under `dir`; the shared step of the transcoder and the captions activity. */
export async function convertTextTrack(t: TextTrack, o: { text: string; plan: Pick<Plan, 'version' | 'segmentSeconds' | 'durationSec'>; dir: string }): Promise<{ output: TextOutput; files: OutputFile[]; playlist: { name: string; body: string } }> {
  const cut = segmentWebVtt(o.text, { version: o.plan.version, id: t.id, segmentSeconds: o.plan.segmentSeconds, durationSec: o.plan.durationSec });
  const folder = join(o.dir, t.id);
  await mkdir(folder, { recursive: true });
  const files: OutputFile[] = [];
  for (const f of cut.files) {
    const path = join(folder, f.name.split('/').pop() ?? 'x.vtt');
    await writeFile(path, f.body);
    files.push({ path, name: f.name });
  }
  const output: TextOutput = { ...t, ...cut.output };
  return { output, files, playlist: { name: output.playlist, body: renderSubtitlePlaylist(output) } };
}

export async function convertTextTracks(o: { input: string; plan: Plan; dir: string; sidecars: ReadonlyMap<string, Buffer>; log(line: string): void }): Promise<TextJobOutputs> {
  const result: TextJobOutputs = { outputs: [], skipped: [], files: [], playlists: [] };
  for (const t of o.plan.subtitles ?? []) {
    let text: string;
    try {
      text = await webVttOf(t, o.input, o.sidecars);
    } catch (error) {
      const why = error instanceof Error ? error.message : String(error);
      o.log(`text track ${t.id}: not converted: ${why}`);
      result.skipped.push(skip(t, `could not be converted to WebVTT: ${why.slice(0, 300)}`));
      continue;
    }
    try {
      // ffmpeg reads a file that is not SubRip at all as a track without cues: nothing to show.
      if (parseWebVtt(text).cues.length === 0) {
        result.skipped.push(skip(t, 'no cues: the track is empty, or the file is not SubRip/WebVTT (UTF-8)'));
        continue;
      }
      const done = await convertTextTrack(t, { text, plan: o.plan, dir: join(o.dir, 'text') });
      result.outputs.push(done.output);
      result.files.push(...done.files);
      result.playlists.push(done.playlist);
    } catch (error) {
      result.skipped.push(skip(t, `ffmpeg's WebVTT could not be segmented: ${error instanceof Error ? error.message : String(error)}`));
    }
  }
  return result;
}

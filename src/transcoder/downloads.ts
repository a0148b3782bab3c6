// Downloads: an MP4 of one rung with the main audio and an M4A of the main audio, remuxed (-c copy, no
// second encode) from the CMAF outputs the job just uploaded, with the moov box moved before the media
// (+faststart) so a browser plays while it downloads. Made by the job plan.downloads names (domain/
// downloads.ts), after every check of its outputs passed, and uploaded with its media, before
// renditions.json and long before the masters. Each result is checked: moov before mdat, duration read back.
import { open, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { downloadFile } from '../domain/layout.js';
import type { DownloadFile, Plan, RenditionMeta } from '../domain/types.js';
import { probeMedia } from '../media/ffprobe.js';
import type { ObjectStore } from '../ports.js';
import { fedInput, renditionPieces, runFed, storedPieces, type Piece } from './ffmpeg-pipes.js';
import type { OutputFile } from './outputs.js';

/** The top-level box types of an MP4 file, in order (sizes only are read, never the payloads). */
export async function topLevelBoxes(path: string): Promise<string[]> {
  const file = await open(path, 'r');
  try {
    const { size } = await file.stat();
    const types: string[] = [];
    const header = Buffer.alloc(16);
    for (let at = 0; at + 8 <= size && types.length < 64;) {
      await file.read(header, 0, 16, at);
      let length = header.readUInt32BE(0);
      if (length === 1) length = Number(header.readBigUInt64BE(8));
      else if (length === 0) length = size - at;
      types.push(header.toString('latin1', 4, 8));
      if (length < 8) break;
      at += length;
    }
    return types;
  } finally {
    await file.close();
  }
}

export interface DownloadContext {
  plan: Plan;
  jobId: string;
  renditions: RenditionMeta[];
  /** The job's files still on disk (init segments among them). */
  media: OutputFile[];
  /** Init segments in the store too (the remux job, which encoded none of them). */
  stored?: boolean;
  dir: string;
  at: { store: ObjectStore; bucket: string; prefix: string };
  signal?: AbortSignal;
}

const pieces = (r: RenditionMeta, c: DownloadContext): Piece[] => (c.stored ? storedPieces(r, c.at) : renditionPieces(r, c.media, c.at));

async function remux(inputs: Piece[][], maps: string[], format: 'mp4' | 'ipod', out: string, signal?: AbortSignal): Promise<{ bytes: number; durationSec: number }> {
  const args = [...inputs.flatMap((_, i) => ['-i', fedInput(i)]), ...maps.flatMap((m) => ['-map', m]), '-c', 'copy', '-map_metadata', '-1', '-movflags', '+faststart', '-f', format, '-y', out];
  await runFed(['-loglevel', 'error', ...args], inputs, signal);
  const boxes = await topLevelBoxes(out);
  if (!(boxes.indexOf('moov') >= 0 && boxes.indexOf('moov') < boxes.indexOf('mdat'))) throw new Error(`download ${out}: moov is not before mdat (${boxes.join(', ')})`);
  const probed = (await probeMedia(out)) as { format?: { duration?: string } };
  const durationSec = Number(probed.format?.duration);
  if (!(durationSec > 0)) throw new Error(`download ${out}: no duration`);
  return { bytes: (await stat(out)).size, durationSec };
}

/** The downloads this job makes (none unless plan.downloads names it), as files to upload and records. */
export async function makeDownloads(c: DownloadContext): Promise<{ files: DownloadFile[]; media: OutputFile[] }> {
  const d = c.plan.downloads;
  const audio = c.renditions.find((r) => r.id === c.plan.audio?.id);
  const files: DownloadFile[] = [];
  const media: OutputFile[] = [];
  if (!d || !audio || (d.m4aJob !== c.jobId && d.mp4Job !== c.jobId)) return { files, media };
  const made = async (kind: 'mp4' | 'm4a', id: string, run: (out: string) => Promise<{ bytes: number; durationSec: number }>, videoId?: string): Promise<void> => {
    const name = downloadFile(c.plan.version, id, kind);
    const out = join(c.dir, `download-${id}.${kind}`);
    const facts = await run(out);
    files.push({ kind, name, ...facts, ...(videoId ? { videoId } : {}), audioId: audio.id });
    media.push({ path: out, name });
  };
  if (d.m4aJob === c.jobId) await made('m4a', audio.id, (out) => remux([pieces(audio, c)], ['0:a:0'], 'ipod', out, c.signal));
  const video = c.renditions.find((r) => r.id === d.videoId);
  if (d.mp4Job === c.jobId && video) {
    await made('mp4', video.id, (out) => remux([pieces(video, c), pieces(audio, c)], ['0:v:0', '1:a:0'], 'mp4', out, c.signal), video.id);
  }
  return { files, media };
}

// Runs the real transcoder command and inspects what it wrote with ffmpeg/ffprobe and small,
// independent readers of HLS and DASH (not the product's own writers or parsers).
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, writeFile, readdir, copyFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { XMLParser } from 'fast-xml-parser';
import type { TranscoderEvent } from '../../../src/domain/types.js';

const BIN = resolve('bin/oci-transcode.js');

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
  events: TranscoderEvent[];
  elapsedMs: number;
}

/** The CLI as a container runs it: a child process, argument array, JSON lines on stdout. */
export function runCli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliRun> {
  const started = Date.now();
  return new Promise((done) => {
    execFile(process.execPath, [BIN, 'transcode', ...args], { env: { ...process.env, ...env }, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
      const events = stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as TranscoderEvent);
      done({ code, stdout, stderr, events, elapsedMs: Date.now() - started });
    });
  });
}

export function tool(cmd: 'ffmpeg' | 'ffprobe', args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    execFile(cmd, args, { maxBuffer: 256 * 1024 * 1024 }, (error, stdout, stderr) => {
      done({ code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, stdout, stderr });
    });
  });
}

export async function ffprobe(args: string[]): Promise<Record<string, unknown>> {
  const r = await tool('ffprobe', ['-v', 'error', '-of', 'json', ...args]);
  if (r.code !== 0) throw new Error(`ffprobe ${args.join(' ')}: ${r.stderr}`);
  return JSON.parse(r.stdout) as Record<string, unknown>;
}

/** A bucket folder holding a copy of the clip: the transcoder must never touch the original. */
export async function stageSource(clip: string, name: string): Promise<{ root: string; source: string; dest: string }> {
  const root = await mkdtemp(join(tmpdir(), 'transcoder-fn-'));
  await mkdir(join(root, 'media-in'));
  const source = join(root, 'media-in', name);
  await copyFile(clip, source);
  return { root, source, dest: join(root, 'media-out') };
}

export async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name)).sort();
}

let joinCount = 0;

/** Files concatenated as a player appends them (init + segments), into a new file in `dir`. */
export async function joinFiles(paths: string[], dir: string): Promise<string> {
  const joined = join(dir, `joined-${++joinCount}.mp4`);
  await writeFile(joined, Buffer.concat(await Promise.all(paths.map((p) => readFile(p)))));
  return joined;
}

/** Is the first video packet of init+segment a keyframe? Probed on the bytes a player would join. */
export async function segmentStartsOnKeyframe(init: string, segment: string, scratch: string): Promise<boolean> {
  const joined = await joinFiles([init, segment], scratch);
  const json = (await ffprobe(['-select_streams', 'v:0', '-show_entries', 'packet=flags', '-read_intervals', '%+#1', joined])) as { packets?: { flags: string }[] };
  return json.packets?.[0]?.flags.startsWith('K') ?? false;
}

/** Every file an HLS master references, transitively (master -> media playlists -> map + segments). */
export async function hlsReferences(master: string): Promise<string[]> {
  const refs: string[] = [];
  const uris = (text: string): string[] => [
    ...text.split('\n').filter((l) => l.trim() && !l.startsWith('#')).map((l) => l.trim()),
    ...[...text.matchAll(/URI="([^"]+)"/g)].map((m) => m[1] ?? ''),
  ];
  for (const playlistUri of uris(await readFile(master, 'utf8'))) {
    const playlist = resolve(dirname(master), decodeURIComponent(playlistUri));
    refs.push(playlist);
    for (const uri of uris(await readFile(playlist, 'utf8'))) refs.push(resolve(dirname(playlist), decodeURIComponent(uri)));
  }
  return refs;
}

type XmlNode = Record<string, unknown>;
const list = <T>(v: T | T[] | undefined): T[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

/** Every file an MPD references (SegmentTemplate with $Number$ and a SegmentTimeline). */
export async function dashReferences(mpd: string): Promise<{ files: string[]; representations: { id: string; segments: { t: number; d: number }[] }[] }> {
  const doc = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '' }).parse(await readFile(mpd, 'utf8')) as { MPD: { Period: XmlNode } };
  const files: string[] = [];
  const representations: { id: string; segments: { t: number; d: number }[] }[] = [];
  for (const set of list(doc.MPD.Period.AdaptationSet as XmlNode | XmlNode[])) {
    for (const rep of list(set.Representation as XmlNode | XmlNode[])) {
      const template = rep.SegmentTemplate as XmlNode | undefined;
      if (!template) throw new Error(`representation ${String(rep.id)} has no SegmentTemplate`);
      files.push(resolve(dirname(mpd), String(template.initialization)));
      const segments: { t: number; d: number }[] = [];
      let t = 0;
      for (const s of list((template.SegmentTimeline as XmlNode).S as XmlNode | XmlNode[])) {
        if (s.t !== undefined) t = Number(s.t);
        for (let i = 0; i <= Number(s.r ?? 0); i++) {
          segments.push({ t, d: Number(s.d) });
          t += Number(s.d);
        }
      }
      const first = Number(template.startNumber ?? 1);
      segments.forEach((_, i) => {
        const name = String(template.media).replace(/\$Number%0(\d+)d\$/, (_m, w: string) => String(first + i).padStart(Number(w), '0'));
        files.push(resolve(dirname(mpd), name));
      });
      representations.push({ id: String(rep.id), segments });
    }
  }
  return { files, representations };
}

// `oci-transcode transcode`: what runs inside each container (and as a child process locally).
// stdout carries JSON lines only (progress, then one result or error); human logs go to stderr.
// Exit codes: 0 done, 65 unusable input (never retried), 75 transient I/O (retried), else a crash.
import type { Command } from 'commander';
import { ConfigError, loadConfig } from '../../config.js';
import { audioSelectionTextSchema, EXIT, PRESETS, SEGMENT_FORMATS, STREAM_FORMATS, VIDEO_CODECS, type AudioSelection, type PresetName, type SegmentFormat } from '../../domain/contract.js';
import { classifyError, UsageError } from '../../transcoder/errors.js';
import { loadPlan } from '../../transcoder/plan-schema.js';
import { createEventSink } from '../../transcoder/progress.js';
import { transcode, type TranscodeArgs } from '../../transcoder/run.js';

interface Options {
  source: string;
  dest: string;
  preset?: string;
  plan?: string;
  job?: string;
  publish?: boolean;
  formats?: string;
  segmentFormat?: string;
  audioTracks?: string;
  surround?: boolean;
  codecs?: string;
  workDir?: string;
}

function choice<T extends string>(flag: string, value: string, allowed: readonly T[]): T {
  if (!(allowed as readonly string[]).includes(value)) throw new UsageError(`${flag} ${value}: expected one of ${allowed.join(', ')}`);
  return value as T;
}

function audioTracks(value: string): AudioSelection {
  const parsed = audioSelectionTextSchema.safeParse(value);
  if (!parsed.success) throw new UsageError(`--audio-tracks ${value}: expected all, first or languages such as eng,fra (${parsed.error.issues.map((i) => i.message).join('; ')})`);
  return parsed.data;
}

/** The command's options as the run takes them; a bad value is a UsageError naming its flag. */
export async function toArgs(o: Options): Promise<TranscodeArgs> {
  const formats = o.formats?.split(',').map((f) => choice('--formats', f.trim(), STREAM_FORMATS));
  const codecs = o.codecs?.split(',').map((c) => choice('--codecs', c.trim(), VIDEO_CODECS));
  if (codecs && !codecs.includes('h264')) throw new UsageError(`--codecs ${o.codecs}: must include h264 (HEVC and AV1 rungs come beside it)`);
  return {
    source: o.source,
    dest: o.dest,
    ...(o.preset ? { preset: choice<PresetName>('--preset', o.preset, PRESETS) } : {}),
    ...(o.plan ? { plan: await loadPlan(o.plan) } : {}),
    ...(o.job ? { jobId: o.job } : {}),
    publish: o.publish === true,
    ...(formats ? { formats: formats } : {}),
    ...(o.segmentFormat ? { segmentFormat: choice<SegmentFormat>('--segment-format', o.segmentFormat, SEGMENT_FORMATS) } : {}),
    ...(o.audioTracks !== undefined ? { audioTracks: audioTracks(o.audioTracks) } : {}),
    // Commander's --no-surround: true unless given.
    ...(o.surround === false ? { surround: false } : {}),
    ...(codecs ? { videoCodecs: codecs } : {}),
    ...(o.workDir ? { workDir: o.workDir } : {}),
  };
}

function limits(): ReturnType<typeof loadConfig>['limits'] {
  try {
    return loadConfig(process.env).limits;
  } catch (error) {
    if (error instanceof ConfigError) throw new UsageError(error.message);
    throw error;
  }
}

export function registerTranscode(program: Command): void {
  program
    .command('transcode')
    .description('Transcode one source into HLS + DASH renditions and thumbnails (one job of a plan with --plan/--job)')
    .requiredOption('--source <uri>', 'source object: a local path or oci://<namespace>/<bucket>/<object>')
    .requiredOption('--dest <uri>', 'destination root: a local bucket folder or oci://<namespace>/<bucket>[/<prefix>]')
    .option('--preset <name>', 'ladder preset: default or seed (the original pipeline)')
    .option('--plan <file|json>', "a plan made by the workflow (skips planning); JSON text or a file's path")
    .option('--job <id>', 'run only this job of --plan')
    .option('--publish', 'also write the thumbnail copy and the master playlist and MPD (last)')
    .option('--formats <list>', 'hls,dash (default both)')
    .option('--segment-format <fmt>', 'cmaf (fMP4, shared by HLS and DASH) or ts (legacy HLS only)')
    .option('--audio-tracks <which>', 'source audio tracks kept when planning: all (default), first, or languages such as eng,fra')
    .option('--no-surround', 'no 5.1 rendition for 5.1 tracks (default: one besides the stereo one)')
    .option('--codecs <list>', 'video codecs without --plan: h264 (default), h264,hevc, h264,av1 or h264,hevc,av1')
    .option('--work-dir <dir>', 'scratch folder (default: the system temp folder)')
    .action(async (options: Options) => {
      const started = Date.now();
      const events = createEventSink((line) => process.stdout.write(line));
      const abort = new AbortController();
      // A stopping container: kill ffmpeg, skip what is left, and exit even if a store call hangs.
      const stop = (): void => {
        abort.abort(new Error('stopped by a signal'));
        setTimeout(() => process.exit(143), 10_000).unref();
      };
      process.once('SIGTERM', stop);
      process.once('SIGINT', stop);
      try {
        const args = await toArgs(options);
        const result = await transcode(args, {
          env: process.env,
          limits: limits(),
          events,
          log: (message) => process.stderr.write(`${message}\n`),
          signal: abort.signal,
        });
        events.emit({
          event: 'result',
          ok: true,
          renditionsFile: result.renditionsFiles.join(','),
          durationSec: Number(result.durationSec.toFixed(3)),
          elapsedSec: Number(((Date.now() - started) / 1000).toFixed(2)),
          peakScratchBytes: result.peakScratchBytes,
        });
        process.exitCode = EXIT.OK;
      } catch (error) {
        const event = classifyError(error);
        events.emit(event);
        process.stderr.write(`error (${event.kind}, exit ${event.code}): ${event.message}\n`);
        if (event.kind === 'crash' && error instanceof Error && error.stack) process.stderr.write(`${error.stack}\n`);
        process.exitCode = event.code;
      } finally {
        process.off('SIGTERM', stop);
        process.off('SIGINT', stop);
      }
    });
}

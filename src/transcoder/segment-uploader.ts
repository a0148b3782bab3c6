// Segments leave the scratch disk while the encode runs: the muxer writes each one under a temporary name
// and renames it when complete (hls_flags temp_file), so a file under its final name is finished. Each is
// read once for its exact timing (fMP4 boxes), uploaded into the version folder and deleted locally; what
// stays on disk is a bounded window (the segments being written and those queued for upload). When the
// window nears the scratch limit the encoder is paused (SIGSTOP) until uploads drain it. Nothing is visible
// to players before the masters are written, and a failed job deletes what it uploaded.
import { readdir, readFile, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { SegmentFormat } from '../domain/types.js';
import type { ObjectStore } from '../ports.js';
import { pLimit, type LimitFunction } from '../retry.js';
import { readInit, readSegment, shiftSegment, type SegmentTiming, type TrackDefaults } from './fmp4.js';
import { uploadOne } from './upload.js';

/** A finished segment under its final name (the muxer's temporary names end in .tmp). */
const FINISHED_SEGMENT = /^seg_\d+\.(m4s|ts)$/;
/** The muxer names each variant's init segment after its index (init_0.mp4, ...). */
const INIT_SEGMENT = /^init(_\d+)?\.mp4$/;

export interface SegmentFact {
  bytes: number;
  /** fMP4 only: timing read from the segment's own boxes before it left the disk. */
  timing?: SegmentTiming;
}

export interface WatchedVariant {
  id: string;
  kind: 'video' | 'audio';
  dir: string;
  /** Stream-relative folder of its objects (layout.mediaFolder). */
  folder: string;
  segmentFormat: SegmentFormat;
  /** A chunk job's variant: its segments move to their place on the global timeline before anything reads them. */
  shift?: { startFrame: number; fps: number; sequenceOffset: number };
}

/** Ticks of `timescale` at frame `frame` of a `fps` timeline; a chunk start that falls between ticks is a planning bug. */
export function frameTicks(frame: number, fps: number, timescale: number): number {
  const exact = (frame * timescale) / fps;
  const ticks = Math.round(exact);
  if (Math.abs(exact - ticks) > 1e-3) throw new Error(`frame ${frame} at ${fps} fps is not a whole number of 1/${timescale} s ticks (${exact})`);
  return ticks;
}

export interface Pausable {
  pause(): void;
  resume(): void;
}

export interface SegmentUploaderOptions {
  store: ObjectStore;
  bucket: string;
  /** Bucket-relative stream prefix. */
  prefix: string;
  /** Everything under it counts against the scratch limit. */
  workDir: string;
  scratchBytes: number;
  log(message: string): void;
  concurrency?: number;
  tickMs?: number;
}

interface Variant extends WatchedVariant {
  facts: Map<string, SegmentFact>;
  seen: Set<string>;
  init?: TrackDefaults;
  /** MPEG-TS: the first segment stays on disk (with the work dir) for the codec probe. */
  keep?: string;
}

/** Total bytes of the files under a folder. */
async function usage(dir: string): Promise<number> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
  const sizes = await Promise.all(entries.filter((e) => e.isFile()).map((e) => stat(join(e.parentPath, e.name)).then((s) => s.size, () => 0)));
  return sizes.reduce((a, b) => a + b, 0);
}

export class SegmentUploader {
  /** Object names uploaded so far, for deleting them when the job fails. */
  readonly uploaded: string[] = [];
  peakScratchBytes = 0;
  private readonly variants: Variant[] = [];
  private readonly limit: LimitFunction;
  private readonly uploads = new Set<Promise<void>>();
  private encoder: Pausable | undefined;
  private paused = false;
  private timer: NodeJS.Timeout | undefined;
  private ticking: Promise<void> | undefined;
  private failure: Error | undefined;
  private abandoned = false;
  private readonly failed = new AbortController();

  constructor(private readonly o: SegmentUploaderOptions) {
    this.limit = pLimit(o.concurrency ?? 4);
  }

  /** Aborted when an upload fails for good: the encode stops instead of filling the disk. */
  get signal(): AbortSignal {
    return this.failed.signal;
  }

  watch(variant: WatchedVariant): void {
    this.variants.push({ ...variant, facts: new Map(), seen: new Set() });
  }

  /** The running encoder, paused while the scratch window is full. */
  attach(encoder: Pausable): void {
    this.encoder = encoder;
  }

  start(): void {
    this.timer ??= setInterval(() => {
      this.tick().catch((error: unknown) => this.fail(error));
    }, this.o.tickMs ?? 250);
  }

  /** After the encoder exited: uploads what is left and returns each variant's segment facts by file name. */
  async finish(): Promise<Map<string, Map<string, SegmentFact>>> {
    this.stopTicking();
    await this.ticking;
    await this.tick(true);
    await Promise.all(this.uploads);
    if (this.failure) throw this.failure;
    return new Map(this.variants.map((v) => [v.dir, v.facts]));
  }

  /** A failed job: stop, let uploads in flight settle, delete every object this job uploaded. */
  async abandon(): Promise<void> {
    this.stopTicking();
    await this.ticking;
    this.abandoned = true; // uploads still queued now return at once
    await Promise.all(this.uploads);
    await Promise.allSettled(this.uploaded.map((name) => this.o.store.delete(this.o.bucket, name)));
  }

  /** Where the first MPEG-TS segment of a variant stayed for the codec probe. */
  keptSegment(dir: string): string | undefined {
    const v = this.variants.find((x) => x.dir === dir);
    return v?.keep ? join(v.dir, v.keep) : undefined;
  }

  private stopTicking(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    if (this.paused) this.setPaused(false);
  }

  private tick(final = false): Promise<void> {
    this.ticking ??= this.scan(final).finally(() => (this.ticking = undefined));
    return this.ticking;
  }

  private async scan(final: boolean): Promise<void> {
    for (const v of this.variants) {
      const files = await readdir(v.dir).catch(() => []);
      const names = files.filter((n) => FINISHED_SEGMENT.test(n) && !v.seen.has(n)).sort();
      if (names.length === 0) continue;
      // fMP4 timing needs the init segment, which the muxer completes with the first media segment.
      if (v.segmentFormat === 'cmaf' && !v.init) {
        try {
          const init = files.find((n) => INIT_SEGMENT.test(n));
          if (!init) throw new Error(`rendition ${v.id}: the muxer wrote no init segment`);
          v.init = readInit(await readFile(join(v.dir, init)));
        } catch (error) {
          if (final) throw error;
          continue;
        }
      }
      for (const name of names) {
        v.seen.add(name);
        this.enqueue(v, name);
      }
    }
    const used = await usage(this.o.workDir);
    this.peakScratchBytes = Math.max(this.peakScratchBytes, used);
    // Pause near the limit; resume once uploads halved it, or when nothing queued could free space (the
    // segments being written are all that is left: pausing would never end).
    const waiting = this.limit.activeCount + this.limit.pendingCount;
    if (!final && !this.paused && used >= 0.8 * this.o.scratchBytes && waiting > 0) this.setPaused(true);
    else if (this.paused && (used <= 0.5 * this.o.scratchBytes || waiting === 0)) this.setPaused(false);
  }

  private setPaused(paused: boolean): void {
    if (!this.encoder) return;
    this.paused = paused;
    if (paused) this.encoder.pause();
    else this.encoder.resume();
    this.o.log(paused ? `scratch window full (limit ${this.o.scratchBytes} bytes): encoder paused while segments upload` : 'encoder resumed');
  }

  private enqueue(v: Variant, name: string): void {
    const upload = this.limit(() => (this.failure || this.abandoned ? Promise.resolve() : this.upload(v, name))).catch((error: unknown) => this.fail(error));
    this.uploads.add(upload);
    void upload.finally(() => this.uploads.delete(upload));
  }

  private fail(error: unknown): void {
    this.failure ??= error instanceof Error ? error : new Error(String(error));
    this.failed.abort(this.failure);
  }

  private async upload(v: Variant, name: string): Promise<void> {
    const path = join(v.dir, name);
    const objectName = `${this.o.prefix}${v.folder}${name}`;
    let fact: SegmentFact;
    if (v.segmentFormat === 'cmaf') {
      const body = await readFile(path);
      const shift = v.shift;
      if (shift) shiftSegment(body, { trackTimescale: v.init!.timescale, sequenceOffset: shift.sequenceOffset, offsetTicks: (ts) => frameTicks(shift.startFrame, shift.fps, ts) });
      const timing = readSegment(body, v.init!);
      if (v.kind === 'video' && !timing.startsWithSync) throw new Error(`rendition ${v.id}: ${name} does not start with a keyframe`);
      await uploadOne(this.o.store, this.o.bucket, { name: objectName, body });
      fact = { bytes: body.length, timing };
    } else {
      const { size } = await stat(path);
      await uploadOne(this.o.store, this.o.bucket, { name: objectName, path });
      fact = { bytes: size };
      v.keep ??= name;
    }
    v.facts.set(name, fact);
    this.uploaded.push(objectName);
    if (v.keep !== name) await unlink(path);
  }
}

// VMAF for the benchmarks: Debian's ffmpeg 5.1 has no libvmaf, PyPI's imageio-ffmpeg 0.8.1 wheel ships an
// ffmpeg 9.0.2 that has it. The wheel is fetched once with pip (a package registry) and the binary kept
// under .data/bench; OCI_TRANSCODE_BENCH_VMAF_FFMPEG names another ffmpeg with libvmaf instead.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdir, readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { BENCH_DIR } from './sources.js';

const run = promisify(execFile);
const WHEEL = 'imageio-ffmpeg==0.8.1';
const MEMBER = 'imageio_ffmpeg/binaries/ffmpeg-linux-x86_64-v9.0.2';

/** An ffmpeg with libvmaf, or undefined (with the reason logged) when none can be had. */
export async function vmafFfmpeg(log: (line: string) => void): Promise<string | undefined> {
  const given = process.env.OCI_TRANSCODE_BENCH_VMAF_FFMPEG;
  if (given) return given;
  const dir = join(BENCH_DIR, 'vmaf');
  const bin = join(dir, MEMBER);
  try {
    if (!existsSync(bin)) {
      await mkdir(dir, { recursive: true });
      log(`fetching ${WHEEL} for its ffmpeg with libvmaf…`);
      await run('python3', ['-m', 'pip', 'download', WHEEL, '--no-deps', '--only-binary', ':all:', '-d', dir, '-q']);
      const wheel = (await readdir(dir)).find((f) => f.endsWith('.whl'));
      if (!wheel) throw new Error('pip left no wheel');
      await run('python3', ['-c', 'import sys, zipfile; zipfile.ZipFile(sys.argv[1]).extract(sys.argv[2], sys.argv[3])', join(dir, wheel), MEMBER, dir]);
      await chmod(bin, 0o755);
    }
    const { stdout } = await run(bin, ['-hide_banner', '-filters']);
    if (!/\blibvmaf\b/.test(stdout)) throw new Error(`${bin} has no libvmaf filter`);
    return bin;
  } catch (error) {
    log(`no VMAF (SSIM only): ${String(error).slice(0, 300)}`);
    return undefined;
  }
}

let logs = 0;

/** Mean VMAF of `durSec` of an output from `startSec`, against the source scaled to the output's size. */
export async function vmafOf(ffmpeg: string, o: { output: string; source: string; width: number; height: number; startSec: number; durSec: number }): Promise<number> {
  const at = ['-ss', o.startSec.toFixed(3), '-t', o.durSec.toFixed(3)];
  // A file, not /dev/stdout: libvmaf cannot open a socket (node's pipe to a child) as a file.
  const log = join(BENCH_DIR, 'vmaf', `scores-${process.pid}-${++logs}.csv`);
  const graph = `[0:v]setpts=PTS-STARTPTS,format=yuv420p[main];[1:v]setpts=PTS-STARTPTS,scale=${o.width}:${o.height}:flags=bicubic,format=yuv420p[ref];[main][ref]libvmaf=log_fmt=csv:log_path=${log}:n_threads=2`;
  try {
    await run(ffmpeg, ['-v', 'error', '-nostdin', ...at, '-i', o.output, ...at, '-i', o.source, '-lavfi', graph, '-f', 'null', '-'], { maxBuffer: 64 * 1024 * 1024 });
    const [head, ...rows] = (await readFile(log, 'utf8')).trim().split('\n');
    const column = (head ?? '').split(',').indexOf('vmaf');
    const scores = rows.map((r) => Number(r.split(',')[column])).filter((n) => Number.isFinite(n));
    if (column < 0 || scores.length === 0) throw new Error(`libvmaf wrote no scores for ${o.output}`);
    return scores.reduce((a, b) => a + b, 0) / scores.length;
  } finally {
    await rm(log, { force: true });
  }
}

// No shell anywhere in process spawning: every spawn/execFile/fork in the product (and in the stand-in
// container runtime) passes an argument array and no shell option, and nothing imports exec/execSync.
// A control file full of the forbidden forms proves the scanner can fail.
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { scanSpawns } from './spawn-scan.js';

const ROOTS = ['src', 'bin', 'scripts', 'tests/oci-stand-in', 'tests/helpers'];

async function sourcesIn(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries.filter((e) => e.isFile() && /\.(ts|mts|mjs|js)$/.test(e.name) && !e.name.endsWith('.d.ts')).map((e) => join(e.parentPath, e.name));
}

describe('process spawning', () => {
  it('never involves a shell in our code', async () => {
    const all = (await Promise.all(ROOTS.map(sourcesIn))).flat();
    const spawning: string[] = [];
    for (const file of all) {
      const text = await readFile(file, 'utf8');
      expect(text, file).not.toMatch(/shell\s*:\s*true/);
      if (/child_process/.test(text)) spawning.push(file);
    }
    // The scanner must actually look at the places that spawn.
    expect(spawning).toEqual(expect.arrayContaining(['src/adapters/local/job-runner.ts', 'src/adapters/local/job-shim.mjs', 'src/stack/dev-server.ts', 'src/media/ffprobe.ts', 'tests/oci-stand-in/containers.ts']));
    expect(scanSpawns(spawning)).toEqual([]);
  }, 60_000);

  it('fluent-ffmpeg, which runs ffmpeg for the transcoder, spawns with an argument array and no shell', async () => {
    const lib = await readFile('node_modules/fluent-ffmpeg/lib/processor.js', 'utf8');
    expect(lib).toMatch(/spawn\(command, args, options\)/);
    expect(lib).not.toMatch(/shell\s*:/);
    expect(lib).not.toMatch(/\bexec(Sync)?\(/);
  });

  it('catches every forbidden form (control)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'spawn-scan-'));
    try {
      const bad = join(dir, 'bad.ts');
      await writeFile(bad, [
        "import { exec, execFile, spawn } from 'node:child_process';",
        "import * as cp from 'child_process';",
        "import { promisify } from 'node:util';",
        'const run = promisify(execFile);',
        'export function go(name: string, opts: { shell: boolean }): void {',
        "  exec(`ffmpeg -i ${name}`);",
        "  spawn('ffmpeg', ['-i', name], { shell: true });",
        "  execFile('ffmpeg', `-i ${name}`);",
        "  cp.spawn('ls', ['-l'], opts);",
        "  void run('ffprobe', name);",
        "  spawn('ok', ['-v'], { shell: false });",
        '}',
      ].join('\n'));
      const problems = scanSpawns([bad]).map((f) => `${f.line}: ${f.problem}`);
      expect(problems).toEqual([
        '1: imports exec from child_process: it always runs a shell',
        '6: calls exec: it always runs a shell',
        '7: spawn: shell option true',
        '8: execFile: arguments must be an array, not string',
        '9: spawn: options may carry shell (boolean)',
        '10: execFile: arguments must be an array, not string',
      ]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 60_000);
});

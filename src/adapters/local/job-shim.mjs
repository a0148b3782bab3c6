// The local stand-in for a container's init: runs one transcoder command, detached from the worker
// (so the job survives a worker crash, as a Container Instance would), keeps its combined output in
// <id>.log and leaves its exit code in <id>.exit when it ends.
// Plain JavaScript so it starts in milliseconds without a TypeScript loader.
// Usage: node job-shim.mjs <jobsDir> <id> -- <command> [args...]
import { spawn } from 'node:child_process';
import { openSync, renameSync, writeFileSync, writeSync } from 'node:fs';
import { constants } from 'node:os';
import { join } from 'node:path';

const [jobsDir, id, separator, command, ...args] = process.argv.slice(2);
if (!jobsDir || !id || separator !== '--' || !command) {
  process.stderr.write('usage: job-shim.mjs <jobsDir> <id> -- <command> [args...]\n');
  process.exit(2);
}
const file = (ext) => join(jobsDir, `${id}.${ext}`);

/** Readers never see half a file: write beside, then rename. */
function writeAtomic(path, text) {
  // A temp name of our own: the runner that started us writes the same pid file at the same moment.
  const temp = `${path}.${process.pid}.tmp`;
  writeFileSync(temp, text);
  renameSync(temp, path);
}

writeAtomic(file('pid'), String(process.pid));
const log = openSync(file('log'), 'a');
let finished = false;

function finish(code) {
  if (finished) return;
  finished = true;
  writeAtomic(file('exit'), String(code));
  process.exit(0);
}

// The child stays in our process group, so deleting the job (a group kill) stops it and its ffmpeg.
const child = spawn(command, args, { stdio: ['ignore', log, log] });
child.on('error', (error) => {
  writeSync(log, `job-shim: cannot start ${command}: ${error.message}\n`);
  finish(127);
});
child.on('exit', (code, signal) => finish(code ?? 128 + (constants.signals[signal] ?? 0)));

// Stop requests aimed at the shim alone reach the command too; the shim then records how it ended.
for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP']) {
  process.on(signal, () => child.kill(signal));
}

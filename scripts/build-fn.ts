// `npm run build:fn`: the starter function as one self-contained file, dist/starter-fn/func.js (esbuild,
// node20, CommonJS, every dependency bundled so the function image needs no npm install), with its
// func.yaml (`runtime: docker`), the Dockerfile fn builds for it, and a minimal package.json. Deploy with
// `fn deploy` from that folder (docs/deploy-oci.md).
import { existsSync } from 'node:fs';
import { copyFile, mkdir, rm, stat, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = fileURLToPath(new URL('../', import.meta.url));
export const FN_OUT_DIR = `${root}dist/starter-fn/`;

export interface FnBuild {
  dir: string;
  bytes: number;
  /** The largest inputs, for keeping an eye on the bundle. */
  largest: { path: string; bytes: number }[];
}

export async function buildFunction(outDir = FN_OUT_DIR): Promise<FnBuild> {
  await rm(outDir, { recursive: true, force: true });
  await mkdir(outDir, { recursive: true });
  const result = await build({
    entryPoints: [`${root}src/starter-fn/func.ts`],
    outfile: `${outDir}func.js`,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    minify: true,
    legalComments: 'linked',
    metafile: true,
    logLevel: 'error',
    // Optional native helpers some dependencies try at run time; absent, they fall back to JS.
    external: ['bufferutil', 'utf-8-validate', 'encoding'],
  });
  await copyFile(`${root}src/starter-fn/func.yaml`, `${outDir}func.yaml`);
  await copyFile(`${root}src/starter-fn/Dockerfile`, `${outDir}Dockerfile`);
  // The Dockerfile copies the licence notices too; esbuild writes the file only when there are some.
  if (!existsSync(`${outDir}func.js.LEGAL.txt`)) await writeFile(`${outDir}func.js.LEGAL.txt`, 'No bundled licence comments.\n');
  const pkg = { name: 'oci-transcode-starter', version: '0.1.0', private: true, main: 'func.js', description: 'oci-transcode starter function (bundled)', license: 'Apache-2.0' };
  await writeFile(`${outDir}package.json`, `${JSON.stringify(pkg, null, 2)}\n`);
  const largest = Object.entries(result.metafile.outputs[`${outDir}func.js`.replace(root, '')]?.inputs ?? {})
    .map(([path, info]) => ({ path, bytes: info.bytesInOutput }))
    .sort((a, b) => b.bytes - a.bytes)
    .slice(0, 8);
  return { dir: outDir, bytes: (await stat(`${outDir}func.js`)).size, largest };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const { dir, bytes, largest } = await buildFunction();
  console.log(`starter function: ${dir}func.js ${(bytes / 1024 / 1024).toFixed(2)} MiB (+ func.yaml, Dockerfile, package.json)`);
  for (const input of largest) console.log(`  ${(input.bytes / 1024).toFixed(0).padStart(6)} KiB  ${input.path}`);
}

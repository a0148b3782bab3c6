// `npm run images:build [-- --rebuild-base]`: the three images, built from the same Dockerfiles as for
// OCIR, on the local base image (their NODE_IMAGE build argument). The starter function's image is built
// the way `fn deploy` builds a `runtime: docker` function: its own Dockerfile, in the bundle's folder,
// with fn's proxy build arguments. Layers the transcoder and worker share are built once.
import { fileURLToPath } from 'node:url';
import { buildFunction, FN_OUT_DIR } from '../build-fn.js';
import { BASE_IMAGE, ensureBaseImage, type BaseResult } from './base-image.js';
import { buildCaSecret, buildImage, engine, inspectImage } from './engine.js';

const root = fileURLToPath(new URL('../../', import.meta.url));

export const TEST_IMAGES = {
  transcoder: 'localhost/oci-transcode:test',
  worker: 'localhost/oci-transcode-worker:test',
  starter: 'localhost/oci-transcode-starter:test',
} as const;

export type ImageName = keyof typeof TEST_IMAGES;

export interface ImageBuild {
  name: ImageName;
  tag: string;
  ms: number;
  size: number;
}

export interface BuildReport {
  base: BaseResult;
  images: ImageBuild[];
}

/** The arguments `fn deploy` adds to every build (fnproject/cli common.buildDockerCommand), by name only. */
export const FN_BUILD_ARGS = ['HTTP_PROXY', 'HTTPS_PROXY'];

export async function buildImages(options: { rebuildBase?: boolean; fnDir?: string; log?: (line: string) => void } = {}): Promise<BuildReport> {
  const log = options.log ?? ((line: string) => console.error(`[images] ${line}`));
  const base = await ensureBaseImage({ rebuild: options.rebuildBase, log });
  log(`${BASE_IMAGE}: ${base.built ? 'made' : 'cached'} in ${(base.ms / 1000).toFixed(1)} s`);
  const images: ImageBuild[] = [];
  const before = new Map<ImageName, string | undefined>();
  for (const name of Object.keys(TEST_IMAGES) as ImageName[]) before.set(name, (await inspectImage(TEST_IMAGES[name]))?.id);
  const record = async (name: ImageName, ms: number) => {
    const made = await inspectImage(TEST_IMAGES[name]);
    const size = made?.size ?? 0;
    // The build it replaces would linger untagged: drop it (its layers shared with the new one stay).
    const old = before.get(name);
    if (old && old !== made?.id) await engine(['image', 'rm', old]).catch(() => undefined);
    images.push({ name, tag: TEST_IMAGES[name], ms, size });
    log(`${TEST_IMAGES[name]}: built in ${(ms / 1000).toFixed(1)} s, ${(size / 1e6).toFixed(0)} MB`);
  };
  for (const name of ['transcoder', 'worker'] as const) {
    const { ms } = await buildImage({
      tag: TEST_IMAGES[name],
      dockerfile: `${name}-image/Dockerfile`,
      context: root,
      buildArgs: { NODE_IMAGE: BASE_IMAGE },
      secrets: buildCaSecret(),
    });
    await record(name, ms);
  }
  const fnDir = options.fnDir ?? FN_OUT_DIR;
  const bundled = Date.now();
  await buildFunction(fnDir);
  await buildImage({
    tag: TEST_IMAGES.starter,
    dockerfile: 'Dockerfile',
    context: fnDir,
    buildArgs: { NODE_IMAGE: BASE_IMAGE },
    passBuildArgs: FN_BUILD_ARGS,
  });
  log(`starter function: bundled and built in ${fnDir}`);
  await record('starter', Date.now() - bundled);
  return { base, images };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const report = await buildImages({ rebuildBase: process.argv.includes('--rebuild-base') });
  for (const image of [{ tag: report.base.image, ms: report.base.ms, size: report.base.size }, ...report.images]) {
    console.log(`${image.tag.padEnd(48)} ${(image.ms / 1000).toFixed(1).padStart(6)} s ${(image.size / 1e6).toFixed(0).padStart(6)} MB`);
  }
}

// Images the stand-in can "pull", mapped to what their containers run here. The transcoder image runs
// the repository's CLI exactly as transcoder-image/Dockerfile's ENTRYPOINT ["oci-transcode"] does;
// podmanImage() runs a locally built image for real (tests/images/).
import { fileURLToPath } from 'node:url';
import { findEngine, RUN_FLAGS } from '../../scripts/images/engine.js';
import type { ImageSpec } from './containers.js';

const repo = fileURLToPath(new URL('../../', import.meta.url));

export const TRANSCODER_IMAGE = 'fra.ocir.io/standin/oci-transcode:test';
export const ECHO_IMAGE = 'fra.ocir.io/standin/echo-job:test';

export function transcoderImage(): ImageSpec {
  return { entrypoint: [process.execPath, `${repo}bin/oci-transcode.js`], cwd: repo, env: { NODE_ENV: 'production' } };
}

export function echoImage(): ImageSpec {
  return { entrypoint: [process.execPath, fileURLToPath(new URL('./fixtures/echo-job.mjs', import.meta.url))] };
}

export const standInImages = (): Record<string, ImageSpec> => ({ [TRANSCODER_IMAGE]: transcoderImage(), [ECHO_IMAGE]: echoImage() });

/**
 * A real image run by podman: the machine's run flags, the host's network (so a container reaches the
 * stand-in on 127.0.0.1, as an instance reaches OCI's services through its subnet), and any extra flags.
 */
export function podmanImage(image: string, extraFlags: string[] = []): ImageSpec {
  const engine = findEngine();
  if (!engine) throw new Error('podmanImage: no podman on PATH');
  return { entrypoint: [], podman: { engine, image, flags: [...RUN_FLAGS, '--network', 'host', ...extraFlags] } };
}

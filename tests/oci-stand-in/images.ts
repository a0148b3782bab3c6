// Images the stand-in can "pull", mapped to what their containers run here. The transcoder image runs
// the repository's CLI exactly as transcoder-image/Dockerfile's ENTRYPOINT ["oci-transcode"] does.
import { fileURLToPath } from 'node:url';
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

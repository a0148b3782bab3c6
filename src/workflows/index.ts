// The Worker's workflowsPath entry: every workflow type this worker runs.
export { transcode } from './transcode.js';
export { janitor } from './janitor.js';
export { captions } from './captions.js';

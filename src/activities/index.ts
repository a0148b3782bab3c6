// The activities, bound to their ports: createActivities(deps) is what a Worker registers.
// Workflows import only the types from here (see eslint.config.mjs).
import type { ActivityDeps } from './deps.js';
import { createCaptionsActivities } from './captions.js';
import { createHeadSource, createInspect, createJudgeUpload } from './inspect.js';
import { createJanitorActivities } from './janitor.js';
import { createJobActivities } from './jobs.js';
import { createNotifyActivities } from './notify.js';
import { notifySenders } from '../notify/index.js';
import { createPublishActivities } from './publish.js';
import { createVerify } from './verify.js';

export type { ActivityDeps } from './deps.js';
export type * from './types.js';
export type { JanitorInput } from './janitor.js';
export type { AddSidecarResult, RepublishInput, RepublishResult } from './captions.js';
export type { NotifyInput, NotifyResult } from './notify.js';
export type { RunSummary } from '../notify/payload.js';

export function createActivities(deps: ActivityDeps) {
  return {
    inspect: createInspect(deps),
    headSource: createHeadSource(deps),
    judgeUpload: createJudgeUpload(deps),
    ...createJobActivities(deps),
    verify: createVerify(deps),
    ...createPublishActivities(deps),
    ...createCaptionsActivities(deps),
    ...createJanitorActivities(deps),
    ...createNotifyActivities(deps.notify ?? notifySenders(deps.config, {})),
  };
}

export type Activities = ReturnType<typeof createActivities>;

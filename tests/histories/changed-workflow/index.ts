// A control for the replay test: a `transcode` that skips the stage search attribute and memo and
// goes straight to inspect. Replaying real histories against it must report non-determinism, which
// proves the replay test can fail.
import { proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../../../src/activities/index.js';
import type { TranscodeRequest } from '../../../src/domain/types.js';

const { inspect } = proxyActivities<Pick<Activities, 'inspect'>>({ startToCloseTimeout: '1 min' });

export async function transcode(request: TranscodeRequest): Promise<void> {
  await inspect(request);
}

// The `captions` workflow: a sidecar text file (`<video>.<lang>[.forced|.sdh].<srt|vtt>`) uploaded after its
// video was published. It converts the sidecar to WebVTT beside the published renditions and re-publishes
// the masters (HLS SUBTITLES group, DASH text AdaptationSet) through the one publish path: no re-encode.
// One run per sidecar upload (the starter's workflow id names its eTag). A sidecar that arrives while its
// video is still being transcoded waits here (addSidecar retries) until that run has published.
import { proxyActivities } from '@temporalio/workflow';
import type { Activities, AddSidecarResult } from '../activities/index.js';
import type { CaptionsRequest } from '../domain/subtitles.js';

const { addSidecar } = proxyActivities<Pick<Activities, 'addSidecar'>>({
  startToCloseTimeout: '5 min',
  // "Not published yet" is retried for as long as a long source's run may take.
  scheduleToCloseTimeout: '12 h',
  heartbeatTimeout: '30s',
  retry: { initialInterval: '5s', backoffCoefficient: 2, maximumInterval: '5 min', nonRetryableErrorTypes: ['InvalidRequest', 'BadInput'] },
});

const { republishCaptions } = proxyActivities<Pick<Activities, 'republishCaptions'>>({
  startToCloseTimeout: '5 min',
  heartbeatTimeout: '30s',
  retry: { initialInterval: '2s', backoffCoefficient: 2, maximumInterval: '30s', maximumAttempts: 5, nonRetryableErrorTypes: ['VerifyFailed', 'ManifestError'] },
});

export interface CaptionsResult {
  outcome: 'published' | 'superseded' | Exclude<AddSidecarResult['status'], 'added'>;
  sidecar: string;
  reason?: string;
  track?: string;
  hls?: string;
  dash?: string;
  text?: string[];
}

export async function captions(request: CaptionsRequest): Promise<CaptionsResult> {
  const sidecar = `${request.sidecar.bucket}/${request.sidecar.object}`;
  const added = await addSidecar(request);
  if (added.status !== 'added') return { outcome: added.status, sidecar, reason: added.reason };
  const published = await republishCaptions({ video: added.video, dest: added.dest, version: added.version });
  return {
    outcome: published.status, sidecar, track: added.track, text: published.text,
    ...(published.hls ? { hls: published.hls } : {}), ...(published.dash ? { dash: published.dash } : {}),
  };
}

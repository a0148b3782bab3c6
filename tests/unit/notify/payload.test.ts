// The notification document: built from a run summary, validated by its own schema, the same bytes for
// the same summary (so a retry re-sends it), one event id per run and outcome, oci:// URIs for every
// output, and an error cut to fit OCI Notifications' message limit.
import { describe, expect, it } from 'vitest';
import { buildNotification, eventIdFor, MAX_ERROR_CHARS, notificationSchema, notificationTitle, runSummarySchema, type RunSummary } from '../../../src/notify/payload.js';

const completed: RunSummary = {
  workflowId: 'transcode/ns/media-in/talks/talk 1.mp4',
  runId: '0195f3c2-7b3c-7000-8000-000000000001',
  outcome: 'completed',
  source: { namespace: 'ns', bucket: 'media-in', object: 'talks/talk 1.mp4', etag: 'etag-1' },
  dest: { bucket: 'media-out', prefix: 'vod/' },
  version: 'v-1a2b3c4d',
  outputs: {
    hls: 'vod/talks/talk 1.mp4/master.m3u8',
    dash: 'vod/talks/talk 1.mp4/manifest.mpd',
    thumbnail: 'vod/thumbnails/talks/talk 1.mp4_thumb.png',
    poster: 'vod/talks/talk 1.mp4/v-1a2b3c4d/poster.jpg',
    storyboard: { vtt: 'vod/talks/talk 1.mp4/v-1a2b3c4d/storyboard.vtt', image: 'vod/talks/talk 1.mp4/v-1a2b3c4d/storyboard.jpg' },
    record: 'vod/talks/talk 1.mp4/job.json',
  },
  renditions: [
    { id: '720p', kind: 'video', codecs: 'avc1.64001f', width: 1280, height: 720, averageBitrate: 2_800_000, peakBitrate: 3_400_000 },
    { id: 'audio', kind: 'audio', codecs: 'mp4a.40.2', averageBitrate: 128_000, peakBitrate: 131_000 },
  ],
  durationSec: 12.5,
  timings: { startedAt: '2026-01-02T03:04:05.000Z', finishedAt: '2026-01-02T03:05:00.000Z', totalSec: 55, stages: { inspecting: 1, transcoding: 50 } },
};

describe('buildNotification', () => {
  it('builds a schema-1 document the schema accepts, with oci:// URIs for every output', () => {
    const n = buildNotification(completed);
    expect(notificationSchema.parse(n)).toEqual(n);
    expect(n).toMatchObject({
      schema: 1,
      type: 'transcode.completed',
      outcome: 'completed',
      occurredAt: '2026-01-02T03:05:00.000Z',
      run: { workflowId: completed.workflowId, runId: completed.runId },
      source: { namespace: 'ns', bucket: 'media-in', object: 'talks/talk 1.mp4', etag: 'etag-1', uri: 'oci://ns/media-in/talks/talk 1.mp4' },
      outputs: {
        masters: { hls: 'oci://ns/media-out/vod/talks/talk 1.mp4/master.m3u8', dash: 'oci://ns/media-out/vod/talks/talk 1.mp4/manifest.mpd' },
        thumbnails: {
          poster: 'oci://ns/media-out/vod/thumbnails/talks/talk 1.mp4_thumb.png',
          posterJpeg: 'oci://ns/media-out/vod/talks/talk 1.mp4/v-1a2b3c4d/poster.jpg',
          storyboard: { vtt: 'oci://ns/media-out/vod/talks/talk 1.mp4/v-1a2b3c4d/storyboard.vtt', image: 'oci://ns/media-out/vod/talks/talk 1.mp4/v-1a2b3c4d/storyboard.jpg' },
        },
        downloads: [],
        record: 'oci://ns/media-out/vod/talks/talk 1.mp4/job.json',
      },
      durationSec: 12.5,
      timings: completed.timings,
    });
    expect(n.renditions.map((r) => [r.id, r.playlist, r.peakBitrate])).toEqual([
      ['720p', 'oci://ns/media-out/vod/talks/talk 1.mp4/v-1a2b3c4d/720p/playlist.m3u8', 3_400_000],
      ['audio', 'oci://ns/media-out/vod/talks/talk 1.mp4/v-1a2b3c4d/audio/playlist.m3u8', 131_000],
    ]);
    expect(n).not.toHaveProperty('error');
  });

  it('gives the same bytes for the same summary, and one stable event id per run and outcome', () => {
    expect(JSON.stringify(buildNotification(structuredClone(completed)))).toBe(JSON.stringify(buildNotification(completed)));
    const id = buildNotification(completed).id;
    expect(id).toMatch(/^evt_[0-9a-f]{32}$/);
    expect(id).toBe(eventIdFor(completed, 'completed'));
    expect(buildNotification({ ...completed, outcome: 'failed' }).id).not.toBe(id);
    expect(buildNotification({ ...completed, runId: 'another-run' }).id).not.toBe(id);
    expect(buildNotification({ ...completed, durationSec: 99 }).id).toBe(id); // the id names the event, not its contents
  });

  it('carries a failure without outputs, cutting a long error to fit a 64 KB message', () => {
    const failed = buildNotification({
      workflowId: 'w',
      runId: 'r',
      outcome: 'failed',
      source: { namespace: 'ns', bucket: 'media-in', object: 'bad.mp4' },
      error: `not a media file: ${'x'.repeat(10_000)}`,
    });
    expect(notificationSchema.parse(failed)).toEqual(failed);
    expect(failed.error).toHaveLength(MAX_ERROR_CHARS);
    expect(failed.error!.endsWith('…')).toBe(true);
    expect(failed.outputs).toEqual({ masters: {}, thumbnails: {}, downloads: [] });
    expect(failed.renditions).toEqual([]);
    expect(failed).not.toHaveProperty('occurredAt');
    expect(failed.source).not.toHaveProperty('etag');
  });

  it('names the newer upload of a superseded run', () => {
    const n = buildNotification({ ...completed, outcome: 'superseded', supersededBy: 'etag-2', outputs: undefined, renditions: undefined });
    expect(n).toMatchObject({ type: 'transcode.superseded', supersededBy: 'etag-2', outputs: { masters: {} } });
    expect(notificationTitle(n)).toBe('oci-transcode superseded: media-in/talks/talk 1.mp4');
  });

  it('the summary schema refuses what the workflow should never send', () => {
    expect(runSummarySchema.safeParse({ ...completed, outcome: 'succeeded' }).success).toBe(false);
    expect(runSummarySchema.safeParse({ ...completed, source: { bucket: 'b', object: 'o' } }).success).toBe(false);
  });
});

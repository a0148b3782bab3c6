import { MockActivityEnvironment } from '@temporalio/testing';
import { describe, expect, it } from 'vitest';
import { createJobActivities, errorLines, transcoderArgs } from '../../../src/activities/jobs.js';
import { resolveSettings, validateRequest } from '../../../src/activities/settings.js';
import { loadConfig } from '../../../src/config.js';
import type { Plan } from '../../../src/domain/types.js';
import type { JobRunner, ObjectStore } from '../../../src/ports.js';

describe('errorLines', () => {
  it("prefers the transcoder's own JSON error events", () => {
    const tail = [
      '{"event":"progress","stage":"encode","percent":10}',
      'ffmpeg: some warning',
      '{"event":"error","code":65,"kind":"bad-input","message":"no decodable video or audio stream"}',
    ].join('\n');
    expect(errorLines(tail)).toEqual(['no decodable video or audio stream']);
  });

  it('finds an error event that shares a line with stderr text', () => {
    expect(errorLines('[ffmpeg] warning{"event":"error","code":75,"kind":"transient","message":"upload failed"}\nbye')).toEqual(['upload failed']);
  });

  it('falls back to the last human lines, without progress lines', () => {
    const tail = ['{"event":"progress","percent":1}', ...Array.from({ length: 30 }, (_, i) => `stderr ${i}`), ''].join('\n');
    const lines = errorLines(tail);
    expect(lines).toHaveLength(20);
    expect(lines[0]).toBe('stderr 10');
    expect(lines.at(-1)).toBe('stderr 29');
  });

  it('survives lines that look like JSON but are not, and truncates huge lines', () => {
    expect(errorLines(`{"event":"error",cut\n${'z'.repeat(2000)}`)).toEqual(['{"event":"error",cut', `${'z'.repeat(500)}…`]);
    expect(errorLines('')).toEqual([]);
  });
});

describe('transcoderArgs', () => {
  const plan = { version: 'v-00000001', jobs: [{ id: 'all', videoIds: ['360p'], audio: true, thumbnails: true }] } as unknown as Plan;

  it('passes oci:// URIs, the plan as JSON and the job id, without any shell quoting', () => {
    const args = transcoderArgs(
      { source: { namespace: 'ns', bucket: 'in', object: 'my clip (1).mp4', etag: 'e' }, dest: { bucket: 'out', prefix: 'vod' }, plan, jobId: 'all' },
      'ns',
    );
    expect(args).toEqual(['transcode', '--source', 'oci://ns/in/my clip (1).mp4', '--dest', 'oci://ns/out/vod/', '--plan', JSON.stringify(plan), '--job', 'all']);
  });

  it('writes to the bucket root when there is no prefix', () => {
    const args = transcoderArgs({ source: { namespace: 'ns', bucket: 'in', object: 'a.mp4', etag: 'e' }, dest: { bucket: 'out' }, plan, jobId: 'all' }, 'ns');
    expect(args[4]).toBe('oci://ns/out/');
  });
});

describe('request settings', () => {
  const config = loadConfig({ OCI_TRANSCODE_DEST_BUCKET: 'cfg-out', OCI_TRANSCODE_DEST_PREFIX: 'cfg/', OCI_TRANSCODE_PRESET: 'seed' });
  const source = { namespace: 'ns', bucket: 'in', object: 'a.mp4' };

  it('fills every default from the config', () => {
    expect(resolveSettings(validateRequest({ source }), config)).toMatchObject({
      dest: { bucket: 'cfg-out', prefix: 'cfg/' },
      preset: 'seed',
      formats: ['hls', 'dash'],
      parallelism: 'single',
      job: { maxAttempts: 3, pollSec: 2, backoffSec: 10 },
    });
  });

  it('lets the request override, and a request dest without prefix means the bucket root', () => {
    const s = resolveSettings(validateRequest({ source, dest: { bucket: 'x' }, preset: 'default', formats: ['hls'], parallelism: 'per-rendition' }), config);
    expect(s).toMatchObject({ dest: { bucket: 'x', prefix: '' }, preset: 'default', formats: ['hls'], parallelism: 'per-rendition' });
  });

  it('rejects a bad request non-retryably, naming each bad field', () => {
    expect(() => validateRequest({ source: { namespace: 'ns', bucket: '', object: 'dir/' }, formats: ['webm'] })).toThrowError(
      /Invalid transcode request: source\.bucket: .*; source\.object: is a folder marker, not a file; formats\.0: /,
    );
    try {
      validateRequest({});
    } catch (error) {
      expect(error).toMatchObject({ type: 'InvalidRequest', nonRetryable: true });
    }
  });
});

describe('awaitJob', () => {
  it('heartbeats from a timer while one poll is slow, so a poll never outlasts the heartbeat timeout', async () => {
    let polls = 0;
    const jobs: JobRunner = {
      start: () => Promise.reject(new Error('unused')),
      // The first poll spends 3.5 s (SDK retries, a slow service): longer than the 3 s heartbeat timeout.
      state: async () => (++polls === 1 ? new Promise((r) => setTimeout(() => r({ phase: 'running' }), 3500)) : { phase: 'succeeded', exitCode: 0 }),
      logTail: () => Promise.resolve('{"event":"progress","stage":"encode","percent":40}\n'),
      delete: () => Promise.resolve(),
    };
    const { awaitJob } = createJobActivities({ jobs, store: {} as ObjectStore, config: loadConfig({}) });
    const env = new MockActivityEnvironment({ heartbeatTimeoutMs: 3000 });
    const beats: number[] = [];
    env.on('heartbeat', () => beats.push(Date.now()));
    const started = Date.now();
    const outcome = await env.run(awaitJob, { handle: { id: 'job-1' }, jobId: 'all', attempt: 1, pollSec: 0.1 });
    expect(outcome).toEqual({ phase: 'succeeded', exitCode: 0, errorLines: [] });
    const during = beats.filter((t) => t - started < 3500);
    expect(during.length).toBeGreaterThanOrEqual(3);
    const gaps = during.slice(1).map((t, i) => t - during[i]!);
    expect(Math.max(...gaps)).toBeLessThan(1500);
  });
});

describe('mode defaults', () => {
  it('polls a local job every 2 s and an OCI job every 20 s unless told otherwise', () => {
    expect(loadConfig({}).job.pollSec).toBe(2);
    expect(loadConfig({ OCI_TRANSCODE_MODE: 'oci' }).job.pollSec).toBe(20);
    expect(loadConfig({ OCI_TRANSCODE_MODE: 'oci', OCI_TRANSCODE_JOB_POLL_SEC: '5' }).job.pollSec).toBe(5);
  });

  it("bounds a job start by the runner's own budget", () => {
    const request = validateRequest({ source: { namespace: 'ns', bucket: 'in', object: 'a.mp4' } });
    expect(resolveSettings(request, loadConfig({}), { startBudgetSec: 1990.2 }).job.startTimeoutSec).toBe(1991);
    expect(resolveSettings(request, loadConfig({})).job.startTimeoutSec).toBe(180);
    // The 5.1 setting travels with the run (a run recorded without it plans no 5.1 renditions).
    expect([resolveSettings(request, loadConfig({})).surround, resolveSettings(request, loadConfig({ OCI_TRANSCODE_SURROUND: 'false' })).surround]).toEqual([true, false]);
  });
});

import { describe, expect, it } from 'vitest';
import { errorLines, transcoderArgs } from '../../../src/activities/jobs.js';
import { resolveSettings, validateRequest } from '../../../src/activities/settings.js';
import { loadConfig } from '../../../src/config.js';
import type { Plan } from '../../../src/domain/types.js';

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

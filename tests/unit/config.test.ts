import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.js';
import { toolEnv } from '../../src/media/ffprobe.js';

describe('loadConfig', () => {
  it('gives the documented defaults for an empty environment', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({ mode: 'local', taskQueue: 'transcode', sourceBuckets: ['media-in'], destBucket: 'media-out' });
    expect(config.formats).toEqual(['hls', 'dash']);
  });

  it('names the variable of every bad value', () => {
    expect(() => loadConfig({ OCI_TRANSCODE_PRESET: 'fast', OCI_TRANSCODE_JOB_MAX_ATTEMPTS: '0' })).toThrow(
      /OCI_TRANSCODE_PRESET[\s\S]*OCI_TRANSCODE_JOB_MAX_ATTEMPTS/,
    );
  });

  it('keeps all audio tracks by default, or the first, or a language list, and names a bad one', () => {
    expect(loadConfig({}).audioTracks).toBe('all');
    expect(loadConfig({ OCI_TRANSCODE_AUDIO_TRACKS: 'first' }).audioTracks).toBe('first');
    expect(loadConfig({ OCI_TRANSCODE_AUDIO_TRACKS: 'eng, fra' }).audioTracks).toEqual(['eng', 'fra']);
    expect(() => loadConfig({ OCI_TRANSCODE_AUDIO_TRACKS: 'english!' })).toThrow(/OCI_TRANSCODE_AUDIO_TRACKS/);
    expect(() => loadConfig({ OCI_TRANSCODE_AUDIO_TRACKS: ',' })).toThrow(/OCI_TRANSCODE_AUDIO_TRACKS/);
  });

  it('keeps a 5.1 rendition of 5.1 tracks unless OCI_TRANSCODE_SURROUND is false, and names a bad value', () => {
    expect(loadConfig({}).surround).toBe(true);
    expect(loadConfig({ OCI_TRANSCODE_SURROUND: 'false' }).surround).toBe(false);
    expect(() => loadConfig({ OCI_TRANSCODE_SURROUND: 'stereo' })).toThrow(/OCI_TRANSCODE_SURROUND/);
  });

  it('makes downloads of the top rung and measures loudness by default; each setting names its variable', () => {
    const c = loadConfig({});
    expect(c.downloads).toBe('top');
    expect(c.loudness).toEqual({ mode: 'measure', targetLufs: -23, truePeakDbtp: -1 });
    expect(loadConfig({ OCI_TRANSCODE_DOWNLOADS: 'off', OCI_TRANSCODE_LOUDNESS: 'normalize', OCI_TRANSCODE_LOUDNESS_TARGET: '-16', OCI_TRANSCODE_LOUDNESS_TRUE_PEAK: '-2' }))
      .toMatchObject({ downloads: 'off', loudness: { mode: 'normalize', targetLufs: -16, truePeakDbtp: -2 } });
    expect(() => loadConfig({ OCI_TRANSCODE_DOWNLOADS: '../720p' })).toThrow(/OCI_TRANSCODE_DOWNLOADS: must be top, off or a rung id/);
    expect(() => loadConfig({ OCI_TRANSCODE_LOUDNESS: 'loud' })).toThrow(/OCI_TRANSCODE_LOUDNESS:/);
    expect(() => loadConfig({ OCI_TRANSCODE_LOUDNESS_TARGET: '-3' })).toThrow(/OCI_TRANSCODE_LOUDNESS_TARGET/);
    expect(() => loadConfig({ OCI_TRANSCODE_LOUDNESS_TRUE_PEAK: '1' })).toThrow(/OCI_TRANSCODE_LOUDNESS_TRUE_PEAK/);
  });

  it('bounds the reconciler by default, and names the variable of a bad bound', () => {
    expect(loadConfig({}).reconcile).toEqual({ maxObjects: 2000, maxStarts: 20, graceSec: 600 });
    expect(loadConfig({ OCI_TRANSCODE_RECONCILE_MAX_OBJECTS: '0', OCI_TRANSCODE_RECONCILE_GRACE_SEC: '0' }).reconcile).toMatchObject({ maxObjects: 0, graceSec: 0 });
    expect(() => loadConfig({ OCI_TRANSCODE_RECONCILE_MAX_STARTS: '0' })).toThrow(/OCI_TRANSCODE_RECONCILE_MAX_STARTS/);
    expect(() => loadConfig({ OCI_TRANSCODE_RECONCILE_MAX_OBJECTS: '-1' })).toThrow(/OCI_TRANSCODE_RECONCILE_MAX_OBJECTS/);
    expect(() => loadConfig({ OCI_TRANSCODE_RECONCILE_GRACE_SEC: 'soon' })).toThrow(/OCI_TRANSCODE_RECONCILE_GRACE_SEC/);
  });

  it('refuses a local source bucket as destination without a prefix, where a.mp4 and a.mp4/ would clash', () => {
    const env = { OCI_TRANSCODE_SOURCE_BUCKETS: 'media', OCI_TRANSCODE_DEST_BUCKET: 'media' };
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(/OCI_TRANSCODE_DEST_PREFIX/);
    expect(loadConfig({ ...env, OCI_TRANSCODE_DEST_PREFIX: 'streams/' }).destPrefix).toBe('streams/');
    expect(loadConfig({ ...env, OCI_TRANSCODE_MODE: 'oci' }).destBucket).toBe('media');
  });
});

describe('toolEnv', () => {
  it('passes what ffprobe needs and never a secret', () => {
    const env = toolEnv({ PATH: '/usr/bin', HOME: '/root', TEMPORAL_API_KEY: 'canary-secret', OCI_TRANSCODE_OCI_PRIVATE_KEY: 'pem' });
    expect(env).toEqual({ PATH: '/usr/bin', HOME: '/root' });
  });
});

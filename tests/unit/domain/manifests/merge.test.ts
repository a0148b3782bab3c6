import { describe, expect, it } from 'vitest';
import { mergeRenditions } from '../../../../src/domain/manifests/index.js';
import { audioRendition, renditionsFile, videoRendition } from './fixtures.js';

describe('mergeRenditions', () => {
  it('orders video by height descending, then audio, across jobs', () => {
    const merged = mergeRenditions([
      renditionsFile('job-360p', [videoRendition(360)]),
      renditionsFile('job-audio', [audioRendition()]),
      renditionsFile('job-1080p', [videoRendition(1080)]),
      renditionsFile('job-720p', [videoRendition(720)]),
    ]);
    expect(merged.map((r) => r.id)).toEqual(['1080p', '720p', '360p', 'audio']);
  });

  it('rejects duplicates, mixed versions and mixed segment formats with clear errors', () => {
    expect(() => mergeRenditions([])).toThrow(/no renditions.json/);
    expect(() => mergeRenditions([renditionsFile('a', [videoRendition(360)]), renditionsFile('b', [videoRendition(360)])])).toThrow(
      'rendition 360p written by both job a and job b',
    );
    expect(() => mergeRenditions([renditionsFile('a', []), renditionsFile('a', [])])).toThrow(/job a given twice/);
    expect(() => mergeRenditions([renditionsFile('a', []), renditionsFile('b', [], { version: 'v-00000000' })])).toThrow(
      /job b wrote version v-00000000, job a wrote v-1a2b3c4d/,
    );
    expect(() => mergeRenditions([renditionsFile('a', []), renditionsFile('b', [], { segmentFormat: 'ts' })])).toThrow(/job b wrote ts segments/);
    expect(() => mergeRenditions([{ ...renditionsFile('a', []), schema: 2 as unknown as 1 }])).toThrow(/unsupported schema 2/);
  });
});

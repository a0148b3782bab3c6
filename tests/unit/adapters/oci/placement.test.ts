import { describe, expect, it } from 'vitest';
import { freeformTags, JOB_KEY_TAG, jobKeyTag, launchSizeProblems, placementOrder, placementsOf, retryToken } from '../../../../src/adapters/oci/placement.js';

const config = {
  availabilityDomains: ['AD-1', 'AD-2'],
  shapes: [
    { shape: 'CI.Standard.E4.Flex', ocpus: 2, memoryInGBs: 8 },
    { shape: 'CI.Standard.E3.Flex', ocpus: 2, memoryInGBs: 16 },
  ],
};

describe('placements', () => {
  it('tries the preferred shape in every domain before the next shape', () => {
    expect(placementsOf(config).map((p) => `${p.availabilityDomain}/${p.shape.shape}`)).toEqual([
      'AD-1/CI.Standard.E4.Flex',
      'AD-2/CI.Standard.E4.Flex',
      'AD-1/CI.Standard.E3.Flex',
      'AD-2/CI.Standard.E3.Flex',
    ]);
  });

  it('puts recently refused placements last, oldest refusal first, and forgets them after five minutes', () => {
    const [a, b, c, d] = placementsOf(config) as [never, never, never, never];
    const now = 1_000_000;
    const refused = new Map([[a, now - 1000], [b, now - 5000], [c, now - 6 * 60_000]]);
    expect(placementOrder([a, b, c, d], refused, now)).toEqual([c, d, b, a]);
  });

  it('derives a stable 64-character retry token per job attempt and placement', () => {
    const [p1, p2] = placementsOf(config) as [never, never];
    const token = retryToken('wf/run/job/1', p1);
    expect(token).toMatch(/^[0-9a-f]{64}$/);
    expect(retryToken('wf/run/job/1', p1)).toBe(token);
    expect(retryToken('wf/run/job/1', p2)).not.toBe(token);
    expect(retryToken('wf/run/job/2', p1)).not.toBe(token);
  });

  it('makes freeform tags the service accepts and adds the job key', () => {
    const tags = freeformTags({ 'workflow.id': 'wf 1', attempt: '2', '': 'dropped', long: 'x'.repeat(300) }, 'key-1');
    expect(tags).toEqual({
      'workflow-id': 'wf 1',
      attempt: '2',
      long: 'x'.repeat(256),
      'oci-transcode': 'transcoder',
      [JOB_KEY_TAG]: jobKeyTag('key-1'),
    });
  });

  it('names arguments or environment over 64 KB', () => {
    expect(launchSizeProblems(['a'], { A: 'b' })).toEqual([]);
    expect(launchSizeProblems(['a'.repeat(65 * 1024)], { K: 'v'.repeat(65 * 1024) })).toEqual([
      'container arguments total 66560 bytes (limit 65536)',
      'container environment totals 66561 bytes (limit 65536)',
    ]);
  });
});

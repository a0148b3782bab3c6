import { describe, expect, it } from 'vitest';
import { formatEntry } from '../../../src/stack/log-format.js';

const at = BigInt(Date.UTC(2025, 0, 2, 3, 4, 5)) * 1_000_000n;

describe('formatEntry', () => {
  it('puts one entry on one line with the fields an operator reads, without the repeated ones', () => {
    const line = formatEntry({
      level: 'WARN', message: 'Workflow failed', timestampNanos: at,
      meta: { sdkComponent: 'worker', taskQueue: 'transcode', namespace: 'default', runId: 'r', workflowId: 'transcode/local/media-in/a b.mp4',
        error: new Error('not a media file: it contains text\n    at stack frame'), attempt: 2 },
    });
    expect(line).toBe('03:04:05 [warn] Workflow failed workflowId="transcode/local/media-in/a b.mp4" error="not a media file: it contains text" attempt=2');
    expect(line).not.toContain('\n');
  });

  it('keeps long values and objects to a bounded length', () => {
    const line = formatEntry({ level: 'INFO', message: 'm', timestampNanos: at, meta: { plan: { jobs: 'x'.repeat(500) } } });
    expect(line.length).toBeLessThan(260);
    expect(line.endsWith('…')).toBe(true);
  });
});

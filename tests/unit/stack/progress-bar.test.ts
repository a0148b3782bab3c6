import { describe, expect, it } from 'vitest';
import { bar, ProgressLine, renderProgress } from '../../../src/stack/progress-bar.js';
import type { Progress } from '../../../src/workflows/definitions.js';

const progress = (over: Partial<Progress> = {}): Progress => ({ stage: 'transcoding', percent: 50, jobs: [], ...over });

describe('renderProgress', () => {
  it('fills the bar in proportion and clamps out-of-range percents', () => {
    expect(bar(50, 10)).toBe('[#####-----]');
    expect(bar(0, 4)).toBe('[----]');
    expect(bar(150, 4)).toBe('[####]');
    expect(bar(Number.NaN, 4)).toBe('[----]');
  });

  it('shows the stage, the whole-run percent and each job with its state', () => {
    const line = renderProgress(
      progress({
        percent: 62.7,
        jobs: [
          { id: 'main', attempt: 1, state: 'running', percent: 71.2 },
          { id: '360p', attempt: 2, state: 'starting', percent: 0 },
        ],
      }),
      10,
    );
    expect(line).toBe('transcoding [######----]  62%  jobs: main running 71%, 360p starting (attempt 2)');
  });
});

function sink(isTTY: boolean): { out: string[]; write(t: string): void; isTTY: boolean; columns: number } {
  const out: string[] = [];
  return { out, write: (t) => out.push(t), isTTY, columns: 200 };
}

describe('ProgressLine', () => {
  it('redraws in place on a terminal, skipping identical frames', () => {
    const s = sink(true);
    const line = new ProgressLine(s);
    line.update(progress({ percent: 10 }));
    line.update(progress({ percent: 10 }));
    line.update(progress({ percent: 20 }));
    line.done();
    expect(s.out).toHaveLength(3);
    expect(s.out[0]!.startsWith('\r\u001b[Ktranscoding')).toBe(true);
    expect(s.out[2]).toBe('\n');
  });

  it('prints plain lines only on a stage change or a 10-point step when not a terminal', () => {
    const s = sink(false);
    const line = new ProgressLine(s);
    for (const percent of [1, 2, 5, 9, 11, 12]) line.update(progress({ percent }));
    line.update(progress({ stage: 'verifying', percent: 12 }));
    line.done();
    expect(s.out.map((l) => l.split(' ')[0])).toEqual(['transcoding', 'transcoding', 'verifying']);
    expect(s.out.every((l) => l.endsWith('\n') && !l.includes('\r'))).toBe(true);
  });
});

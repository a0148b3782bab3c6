// One-line progress display of a run, from the workflow's `progress` query. Rendering is pure;
// the writer redraws in place on a terminal and prints plain lines (on change only) elsewhere,
// so logs and CI output stay readable.
import type { JobProgress, Progress } from '../workflows/definitions.js';

export function bar(percent: number, width: number): string {
  const clamped = Math.max(0, Math.min(100, Number.isFinite(percent) ? percent : 0));
  const filled = Math.round((clamped / 100) * width);
  return `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}]`;
}

function job(j: JobProgress): string {
  const attempt = j.attempt > 1 ? ` (attempt ${j.attempt})` : '';
  const percent = j.state === 'running' ? ` ${Math.floor(j.percent)}%` : '';
  return `${j.id} ${j.state}${percent}${attempt}`;
}

export function renderProgress(p: Progress, width = 24): string {
  const percent = Math.floor(Math.max(0, Math.min(100, p.percent)));
  const jobs = p.jobs.length > 0 ? `  jobs: ${p.jobs.map(job).join(', ')}` : '';
  return `${p.stage.padEnd(11)} ${bar(p.percent, width)} ${String(percent).padStart(3)}%${jobs}`;
}

export interface LineSink {
  write(text: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

export class ProgressLine {
  private last = '';
  private lastPlainKey = '';
  private drawn = false;

  constructor(private readonly out: LineSink) {}

  update(p: Progress): void {
    const line = renderProgress(p);
    if (this.out.isTTY) {
      if (line === this.last) return;
      const columns = this.out.columns ?? 100;
      // Clear and redraw in place; cut to the terminal width so the line never wraps.
      this.out.write(`\r\x1b[K${line.slice(0, Math.max(20, columns - 1))}`);
      this.drawn = true;
    } else {
      // Plain output: one line per stage change or 10-point step, not one per poll.
      const key = `${p.stage}:${Math.floor(p.percent / 10)}:${p.jobs.map((j) => `${j.state}${j.attempt}`).join()}`;
      if (key === this.lastPlainKey) return;
      this.lastPlainKey = key;
      this.out.write(`${line}\n`);
    }
    this.last = line;
  }

  /** Ends the in-place line so the next output starts on a fresh one; a later update draws the line anew. */
  done(): void {
    if (this.drawn) this.out.write('\n');
    this.drawn = false;
    this.last = '';
    this.lastPlainKey = '';
  }
}

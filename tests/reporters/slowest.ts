// Prints the slowest test files at the end of a run, so a suite creeping towards CI's budget shows
// where its time goes (npm test keeps under 15 minutes on 2 cores).
import type { Reporter, TestModule } from 'vitest/node';

const SHOWN = 10;

export default class SlowestFiles implements Reporter {
  onTestRunEnd(modules: readonly TestModule[]): void {
    const timed = modules
      .map((m) => ({ file: m.moduleId.replace(`${process.cwd()}/`, ''), project: m.project.name, ms: m.diagnostic().duration }))
      .sort((a, b) => b.ms - a.ms);
    if (timed.length === 0) return;
    const total = timed.reduce((sum, t) => sum + t.ms, 0);
    const lines = timed.slice(0, SHOWN).map((t) => `  ${(t.ms / 1000).toFixed(1).padStart(7)} s  ${t.project.padEnd(14)} ${t.file}`);
    console.log(`\nslowest test files (of ${timed.length}, ${(total / 1000).toFixed(0)} s summed over workers):\n${lines.join('\n')}`);
  }
}

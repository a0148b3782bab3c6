import type { Command } from 'commander';

// Placeholder until the transcoder lands (issue 2).
export function registerTranscode(_program: Command): void {}

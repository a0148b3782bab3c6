import type { Command } from 'commander';

// Placeholder until the local stack lands (issue 3).
export function registerStack(_program: Command): void {}

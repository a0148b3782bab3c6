// The pure parts of following a run through a stack that may stop: which errors mean "no server",
// when a state file still names the same stack, the one-line hint, and the progress line redrawn
// after a message.
import { describe, expect, it } from 'vitest';
import { followLaterHint, shellWord } from '../../../src/cli/commands/run.js';
import { sameStack, unreachable } from '../../../src/stack/link.js';
import { ProgressLine } from '../../../src/stack/progress-bar.js';
import { processStart, type StackState } from '../../../src/stack/state.js';

/** gRPC status codes (grpc/status.h). */
const status = { DEADLINE_EXCEEDED: 4, NOT_FOUND: 5, INVALID_ARGUMENT: 3, UNAVAILABLE: 14 };
const grpcError = (code: number): Error => Object.assign(new Error(`${code} grpc`), { code });

describe('unreachable', () => {
  it('is true for UNAVAILABLE and DEADLINE_EXCEEDED, also as the cause of a wrapper', () => {
    expect(unreachable(grpcError(status.UNAVAILABLE))).toBe(true);
    expect(unreachable(grpcError(status.DEADLINE_EXCEEDED))).toBe(true);
    expect(unreachable(new Error('Failed to describe workflow', { cause: grpcError(status.UNAVAILABLE) }))).toBe(true);
  });

  it('is false for answers: not found, invalid argument, plain errors', () => {
    expect(unreachable(grpcError(status.NOT_FOUND))).toBe(false);
    expect(unreachable(new Error('Failed to query workflow', { cause: grpcError(status.INVALID_ARGUMENT) }))).toBe(false);
    expect(unreachable(new Error('boom'))).toBe(false);
    expect(unreachable('a string')).toBe(false);
  });
});

describe('sameStack', () => {
  const state = (over: Partial<StackState> = {}): StackState => ({
    schema: 1, pid: process.pid, pidStart: processStart(process.pid), ready: true, address: '127.0.0.1:7233', port: 7233, uiPort: 8233,
    uiUrl: 'http://127.0.0.1:8233', namespace: 'default', taskQueue: 'transcode', dataDir: '/tmp/x', startedAt: new Date(0).toISOString(), ...over,
  });

  it('holds while the file names the same live process, whatever else it updates', () => {
    expect(sameStack(state(), state({ ready: false, uiUrl: 'http://127.0.0.1:9999' }))).toBe(true);
  });

  it('fails when the file is gone, names another process, or a recycled pid', () => {
    expect(sameStack(state(), undefined)).toBe(false);
    expect(sameStack(state(), state({ pid: process.ppid, pidStart: processStart(process.ppid) }))).toBe(false);
    expect(sameStack(state({ pidStart: '1' }), state({ pidStart: '1' }))).toBe(false);
  });
});

describe('followLaterHint', () => {
  it('is one line naming the commands that start the stack and show the run', () => {
    const hint = followLaterHint('the local stack (pid 12) stopped and none came back on /d within 120 s', 'transcode/local/media-in/clip.mp4');
    expect(hint).not.toContain('\n');
    expect(hint).toContain('`npx oci-transcode dev`');
    expect(hint).toContain('`npx oci-transcode status transcode/local/media-in/clip.mp4`');
  });

  it('quotes a workflow id the shell would split or expand', () => {
    expect(shellWord('transcode/local/media-in/a-b_c.mp4')).toBe('transcode/local/media-in/a-b_c.mp4');
    expect(shellWord('transcode/local/media-in/my clip $1.mp4')).toBe(`'transcode/local/media-in/my clip $1.mp4'`);
    expect(shellWord(`it's.mp4`)).toBe(`'it'\\''s.mp4'`);
  });
});

describe('ProgressLine after a message', () => {
  it('draws the same line again once done() made room for a message', () => {
    const out: string[] = [];
    const line = new ProgressLine({ write: (t: string) => out.push(t), isTTY: false });
    const p = { stage: 'transcoding' as const, percent: 40, jobs: [] };
    line.update(p);
    line.done();
    line.update(p);
    expect(out).toHaveLength(2);
  });
});

import { describe, expect, it } from 'vitest';
import { classifyError, BadInputError, UsageError } from '../../../src/transcoder/errors.js';
import { parseLatestProgress } from '../../../src/domain/contract.js';
import { createEventSink } from '../../../src/transcoder/progress.js';
import { PlanError } from '../../../src/domain/ladder.js';
import { TransientError } from '../../../src/ports.js';

describe('parseLatestProgress', () => {
  it('finds the latest event in a tail mixing stdout and stderr, ignoring a line cut at the start', () => {
    const tail = [
      'ress","stage":"encode","percent":99}', // cut mid-line by the tail window
      '{"event":"progress","stage":"encode","percent":40.5,"fps":61,"speed":2.1}',
      'job all: encoded in 4.2 s',
      '{"event":"progress","stage":"upload","percent":93}',
      '[hls @ 0x55] some ffmpeg warning {not json}',
      '',
    ].join('\n');
    expect(parseLatestProgress(tail)).toEqual({ event: 'progress', stage: 'upload', percent: 93 });
  });

  it('prefers a later result or error, and copes with CR line ends and interleaved prefixes', () => {
    expect(parseLatestProgress('{"event":"progress","stage":"encode","percent":10}\r\n{"event":"result","ok":true,"renditionsFile":"a.json","durationSec":4,"elapsedSec":5}\r\n')).toMatchObject({ event: 'result', renditionsFile: 'a.json' });
    expect(parseLatestProgress('2025-01-01T00:00:00Z stdout {"event":"error","code":65,"kind":"bad-input","message":"empty"}')).toMatchObject({ event: 'error', code: 65 });
  });

  it('returns undefined when there is no event, or only broken ones', () => {
    expect(parseLatestProgress('')).toBeUndefined();
    expect(parseLatestProgress('ffmpeg version 5.1\n{"event":"progress","stage":"enc')).toBeUndefined();
    expect(parseLatestProgress('{"event":"other"}\n{"foo":1}')).toBeUndefined();
  });
});

describe('createEventSink', () => {
  it('throttles progress to one line per interval per stage, always passing stage changes and results', () => {
    const lines: string[] = [];
    let now = 0;
    const sink = createEventSink((l) => lines.push(l), 1000, () => now);
    sink.progress('encode', { percent: 1 });
    now = 500;
    sink.progress('encode', { percent: 2 });
    now = 1000;
    sink.progress('encode', { percent: 3.14159, fps: 29.97, speed: 1.234, outTimeSec: 1.23456 });
    now = 1100;
    sink.progress('upload', { percent: 95 });
    sink.emit({ event: 'result', ok: true, renditionsFile: 'x', durationSec: 1, elapsedSec: 2 });
    expect(lines.every((l) => l.endsWith('\n'))).toBe(true);
    expect(lines.map((l) => JSON.parse(l) as unknown)).toEqual([
      { event: 'progress', stage: 'encode', percent: 1 },
      { event: 'progress', stage: 'encode', percent: 3.1, fps: 30, speed: 1.23, outTimeSec: 1.23 },
      { event: 'progress', stage: 'upload', percent: 95 },
      { event: 'result', ok: true, renditionsFile: 'x', durationSec: 1, elapsedSec: 2 },
    ]);
  });
});

describe('classifyError', () => {
  it('maps failures to the exit codes of the contract', () => {
    expect(classifyError(new BadInputError('empty'))).toEqual({ event: 'error', code: 65, kind: 'bad-input', message: 'empty' });
    expect(classifyError(new PlanError('nothing'))).toMatchObject({ code: 65, kind: 'bad-input' });
    expect(classifyError(new TransientError('503'))).toMatchObject({ code: 75, kind: 'transient' });
    expect(classifyError(new UsageError('--plan'))).toMatchObject({ code: 64, kind: 'crash' });
    expect(classifyError(new Error('boom'))).toMatchObject({ code: 70, kind: 'crash' });
    expect(classifyError('weird')).toMatchObject({ code: 70, message: 'weird' });
  });
});

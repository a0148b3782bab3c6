// Test-only stand-in registered as `transcode`: it has the real workflow's supersede contract and
// nothing else. It waits for `done` or a supersede signal with another etag; on the latter it
// continues as new with that etag, which it records in its memo first thing (as the real one must).
import { condition, continueAsNew, defineSignal, setHandler, upsertMemo, workflowInfo } from '@temporalio/workflow';
import type { TranscodeRequest } from '../../../src/domain/types.js';
import { supersedeSignal, type TranscodeMemo } from '../../../src/workflows/definitions.js';

export const doneSignal = defineSignal('done');

export interface StandInResult {
  etag: string;
  /** Every supersede etag this run received, in order. */
  signals: string[];
}

export async function transcode(request: TranscodeRequest): Promise<StandInResult> {
  const etag = request.source.etag ?? '';
  const memo = (workflowInfo().memo ?? {}) as Partial<TranscodeMemo>;
  if (memo.etag !== etag) upsertMemo({ etag });
  const signals: string[] = [];
  let newer: string | undefined;
  let done = false;
  setHandler(supersedeSignal, ({ etag: signalled }) => {
    signals.push(signalled);
    if (signalled !== etag) newer = signalled;
  });
  setHandler(doneSignal, () => {
    done = true;
  });
  await condition(() => done || newer !== undefined);
  if (newer !== undefined) {
    await continueAsNew<typeof transcode>({ ...request, source: { ...request.source, etag: newer } });
  }
  return { etag, signals };
}

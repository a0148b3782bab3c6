// What the run knows of the uploads of its object, and the `upload` update that the starter sends for each
// delivered event (Update-with-start, one update id per eTag). Events arrive at least once and in no order,
// so an event's eTag proves nothing about which upload is newer: the run asks the source itself (HEAD).
//   - the eTag the run works on: 'started' for the update that started the run, else 'duplicate';
//   - the object's current eTag, different from the run's: 'superseding' (the run stops, cleans up and
//     continues as new with it);
//   - anything else (an older upload, a vanished object): 'stale', and nothing of the run changes. If the
//     object moved on meanwhile, the run follows the object, not the event.
// eTags the lineage of runs already answered or left behind are rejected by the validator, before any
// history is written: a late redelivery costs no workflow task.
import { ApplicationFailure, condition, setHandler, workflowInfo } from '@temporalio/workflow';
import type { UploadAnswer, UploadNotice } from './definitions.js';
import { uploadUpdate } from './definitions.js';

/** What a run hands the next one when it continues as new, so redeliveries stay answered. */
export interface Lineage {
  /** eTags a run of this object answered (kept across continue-as-new). */
  answered: string[];
  /** eTags older runs worked on and gave up for a newer upload. */
  retired: string[];
}

const KEEP = 50;
const recent = (values: Iterable<string>): string[] => [...values].slice(-KEEP);

export class Uploads {
  /** The upload the run works on; undefined until the run has looked at the source. */
  current: string | undefined;
  /** Set when the run ends without working on any upload (vanished source, already published). */
  settled: Omit<UploadAnswer, 'runId' | 'token'> | undefined;
  /** A newer upload the run gives way to. */
  supersededBy: string | undefined;
  private readonly answered: Set<string>;
  private readonly retired: Set<string>;
  private startClaimed: boolean;

  constructor(
    /** The eTag the run was started for (the starter's event, or the previous run's successor). */
    private readonly startEtag: string | undefined,
    lineage: Lineage | undefined,
    private readonly hooks: {
      /** The object's eTag now (undefined once deleted). */
      headEtag(): Promise<string | undefined>;
      /** Stop the work and continue as new with this upload. */
      supersede(etag: string, why: string): void;
    },
  ) {
    this.answered = new Set(lineage?.answered ?? []);
    this.retired = new Set(lineage?.retired ?? []);
    // A run that continues as new works on an upload its predecessor answered already ('superseding').
    this.startClaimed = startEtag !== undefined && this.answered.has(startEtag);
  }

  /** The lineage for the next run, which works on `next`. */
  lineage(next: string): Lineage {
    const retired = new Set(this.retired);
    if (this.current !== undefined && this.current !== next) retired.add(this.current);
    return { answered: recent(this.answered), retired: recent(retired) };
  }

  /** Registers the update handler; answers wait until the run has looked at its source. */
  listen(): void {
    setHandler(uploadUpdate, (notice) => this.answer(notice), {
      validator: (notice: UploadNotice) => {
        const etag = (notice as Partial<UploadNotice> | undefined)?.etag;
        if (typeof etag !== 'string' || etag === '') throw ApplicationFailure.nonRetryable('upload notice without an eTag', 'InvalidRequest');
        if (this.retired.has(etag)) throw ApplicationFailure.nonRetryable(`eTag ${etag} is an older upload: a newer one replaced it`, 'Stale');
        if (this.answered.has(etag)) throw ApplicationFailure.nonRetryable(`eTag ${etag} was announced before`, 'Duplicate');
      },
    });
  }

  private async answer(notice: UploadNotice): Promise<UploadAnswer> {
    const { etag } = notice;
    this.answered.add(etag);
    await condition(() => this.current !== undefined || this.settled !== undefined);
    const base = { runId: workflowInfo().runId, ...(notice.token ? { token: notice.token } : {}) };
    if (this.current === undefined) {
      // The run ended without working on any upload: the object is gone, or its upload is published.
      const settled = this.settled!;
      const same = settled.etag === undefined ? etag === this.startEtag : etag === settled.etag;
      if (same) return { ...base, ...settled };
      const why = settled.etag ? `the object is now eTag ${settled.etag}` : settled.reason;
      return { ...base, etag, outcome: 'stale', reason: `eTag ${etag} is not the current upload: ${why}` };
    }
    if (etag === this.current) {
      const first = !this.startClaimed && etag === this.startEtag;
      this.startClaimed ||= first;
      return { ...base, etag, outcome: first ? 'started' : 'duplicate', reason: first ? 'this run transcodes it' : `run ${base.runId} already transcodes eTag ${etag}` };
    }
    if (etag === this.supersededBy) return { ...base, etag, outcome: 'superseding', reason: 'the run already gives way to it' };
    const now = await this.hooks.headEtag();
    if (now === etag) {
      this.hooks.supersede(etag, 'upload event');
      return { ...base, etag, outcome: 'superseding', reason: `a newer upload than eTag ${this.current}: the run stops and continues with it` };
    }
    // The event's upload is not the object's any more. The source may still have moved on past ours.
    if (now !== undefined && now !== this.current && now !== this.supersededBy) this.hooks.supersede(now, 'the source changed');
    this.retired.add(etag);
    const why = now === undefined ? 'the object no longer exists' : `the object is now eTag ${now}`;
    return { ...base, etag, outcome: 'stale', reason: `eTag ${etag} is not the current upload: ${why}` };
  }
}

// verify: every job's renditions.json, media playlist and segment exists, is non-empty and matches
// the plan and the probe. domain/verify.ts decides; this activity only gathers the facts.
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { streamPrefix } from '../domain/layout.js';
import { isChunked } from '../domain/chunks.js';
import { renditionsFile } from '../domain/layout.js';
import { ManifestError, renderMediaPlaylist } from '../domain/manifests/index.js';
import { STITCHED_JOB, stitchChunks, stitchedPlan } from '../domain/stitch.js';
import type { Plan, RenditionsFile } from '../domain/types.js';
import { verifyOutputs, type ListedObject, type Problem, type VerifyInput } from '../domain/verify.js';
import { readRenditionsFiles, RenditionsMissingError } from '../publish/publish.js';
import type { ActivityDeps } from './deps.js';
import { listAll, readText } from '../store-io.js';
import type { OutputsInput, VerifyResult } from './types.js';

export function createVerify(deps: ActivityDeps) {
  return async function verify(input: OutputsInput): Promise<VerifyResult> {
    const { store } = deps;
    const { dest, plan, source } = input;
    const prefix = streamPrefix(dest, source.object);
    const listing = (await listAll(store, dest.bucket, `${prefix}${plan.version}/`)).map((o) => ({ ...o, name: o.name.slice(prefix.length) }));
    // A missing or malformed file is a problem verifyOutputs reports with the others.
    const read = await readRenditionsFiles(store, { dest, sourceObject: source.object, plan }, { allowMissing: true }).catch((error: unknown) => {
      if (error instanceof RenditionsMissingError) throw ApplicationFailure.nonRetryable(`Outputs failed verification: ${error.message}`, 'VerifyFailed');
      throw error;
    });
    if (isChunked(plan)) {
      // A time-split run is checked as publishing will write it: chunks joined, media playlists rendered.
      const stitched = stitchedView(plan, read, listing);
      const problems = verifyOutputs(stitched);
      return verdict(problems, stitched.files, listing.length);
    }
    const files = read;
    const playlists: Record<string, string> = {};
    for (const r of files.flatMap((f) => f.renditions)) {
      const text = await readText(store, dest.bucket, prefix + r.playlist);
      if (text !== undefined) playlists[r.playlist] = text;
    }
    return verdict(verifyOutputs({ plan, files, listing, playlists }), files, listing.length);
  };
}

/** The chunks joined (a bad join fails verification with its own message), as verifyOutputs' input. */
function stitchedView(plan: Plan, read: RenditionsFile[], listing: ListedObject[]): VerifyInput {
  let files: RenditionsFile[];
  try {
    files = stitchChunks(plan, read);
  } catch (error) {
    if (error instanceof ManifestError) throw ApplicationFailure.nonRetryable(`Outputs failed verification: ${error.message}`, 'VerifyFailed');
    throw error;
  }
  const joined = files.filter((f) => f.jobId === STITCHED_JOB).flatMap((f) => f.renditions);
  const playlists = Object.fromEntries(joined.map((r) => [r.playlist, renderMediaPlaylist(r, plan.segmentFormat)]));
  // What publishing writes from these very files: the stitched view and the media playlists.
  const written = [renditionsFile(plan.version, STITCHED_JOB), ...Object.keys(playlists)].map((name) => ({ name, size: 1 }));
  return { plan: stitchedPlan(plan), files, listing: [...listing, ...written], playlists };
}

function verdict(problems: Problem[], files: RenditionsFile[], objects: number): VerifyResult {
  if (problems.length > 0) {
    const lines = problems.map((p) => p.message);
    throw ApplicationFailure.nonRetryable(
      `Outputs failed verification (${problems.length} problem${problems.length > 1 ? 's' : ''}):\n- ${lines.slice(0, 30).join('\n- ')}`,
      'VerifyFailed',
      problems.slice(0, 200),
    );
  }
  const renditions = files.reduce((n, f) => n + f.renditions.length, 0);
  const segments = files.reduce((n, f) => n + f.renditions.reduce((m, r) => m + r.segments.length, 0), 0);
  Context.current().log.info('outputs verified', { stage: 'verifying', renditions, segments, objects });
  return { renditions, segments };
}

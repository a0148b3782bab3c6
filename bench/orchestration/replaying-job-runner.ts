// The "no-op" JobRunner of the orchestration benchmark: a job finishes the moment it starts, its
// outputs copied from a real run of the real transcoder on the same clip (the template), with the
// version folder renamed. Every other part is real: inspect probes each source, verify checks
// every playlist and segment, publish writes the masters. So the benchmark measures orchestration
// and storage, with no encoding, and a wrong output would still fail the run.
import { createHash } from 'node:crypto';
import { text } from 'node:stream/consumers';
import { streamPrefix } from '../../src/domain/layout.js';
import type { Plan } from '../../src/domain/types.js';
import type { JobHandle, JobLaunch, JobRunner, JobState, ObjectStore } from '../../src/ports.js';

export interface Template {
  bucket: string;
  /** Bucket-relative stream prefix of the template run, e.g. "template.mp4/". */
  streamPrefix: string;
  version: string;
}

const TEXT = /\.(m3u8|mpd|json|vtt)$/;

function flag(args: string[], name: string): string {
  const i = args.indexOf(name);
  if (i < 0 || i + 1 >= args.length) throw new Error(`job arguments lack ${name}`);
  return args[i + 1]!;
}

/** oci://<namespace>/<bucket>/<rest> -> bucket and rest. */
function parseUri(uri: string): { bucket: string; rest: string } {
  const m = /^oci:\/\/[^/]+\/([^/]+)\/(.*)$/.exec(uri);
  if (!m) throw new Error(`not an oci:// uri: ${uri}`);
  return { bucket: m[1]!, rest: m[2]! };
}

export function createReplayingJobRunner(store: ObjectStore, template: Template): JobRunner & { copied: () => number } {
  const done = new Map<string, Promise<JobState>>();
  let copied = 0;

  async function copyOutputs(launch: JobLaunch): Promise<JobState> {
    const plan = JSON.parse(flag(launch.args, '--plan')) as Plan;
    const dest = parseUri(flag(launch.args, '--dest'));
    const source = parseUri(flag(launch.args, '--source'));
    const from = `${template.streamPrefix}${template.version}/`;
    const to = `${streamPrefix({ bucket: dest.bucket, prefix: dest.rest }, source.rest)}${plan.version}/`;
    for (let start: string | undefined; ;) {
      const page = await store.list(template.bucket, from, start ? { start } : {});
      for (const object of page.objects) {
        const name = to + object.name.slice(from.length).replaceAll(template.version, plan.version);
        const body = await store.get(template.bucket, object.name);
        if (TEXT.test(object.name)) await store.put(dest.bucket, name, (await text(body)).replaceAll(template.version, plan.version));
        else await store.put(dest.bucket, name, body);
        copied++;
      }
      if (!page.next) break;
      start = page.next;
    }
    return { phase: 'succeeded', exitCode: 0 };
  }

  const idOf = (key: string): string => `noop-${createHash('sha256').update(key).digest('hex').slice(0, 16)}`;

  return {
    start(launch: JobLaunch): Promise<JobHandle> {
      const id = idOf(launch.idempotencyKey);
      // Like the real runners, one start per idempotency key.
      if (!done.has(id)) done.set(id, copyOutputs(launch).catch((error: unknown) => ({ phase: 'failed', exitCode: 70, message: String(error) })));
      return done.get(id)!.then(() => ({ id, placement: 'noop' }));
    },
    async state(handle: JobHandle): Promise<JobState> {
      return (await done.get(handle.id)) ?? { phase: 'gone', message: 'no such job' };
    },
    async logTail(handle: JobHandle): Promise<string> {
      const state = await done.get(handle.id);
      return state?.phase === 'succeeded' ? '{"event":"progress","stage":"encode","percent":100}\n' : (state?.message ?? '');
    },
    delete(handle: JobHandle): Promise<void> {
      done.delete(handle.id);
      return Promise.resolve();
    },
    list: () => Promise.resolve([]),
    copied: () => copied,
  };
}

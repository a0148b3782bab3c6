// Job ids of the API: a run of the `transcode` workflow, as one opaque, URL-safe token. Workflow ids hold
// slashes and any character of an object name, which proxies mangle in a path; so a job id is the
// base64url of the workflow id, then `.` and the run id. Without the run part it names the latest run
// of that workflow id (the current upload of that object).
export interface JobRef {
  workflowId: string;
  runId?: string;
}

/** Temporal run ids are UUIDs; anything else is refused here, not by the server. */
const RUN_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function jobId(ref: JobRef): string {
  const w = Buffer.from(ref.workflowId, 'utf8').toString('base64url');
  return ref.runId ? `${w}.${ref.runId}` : w;
}

/** The run a job id names, or undefined when it is not one of ours. */
export function parseJobId(id: string): JobRef | undefined {
  const [w = '', runId, extra] = id.split('.');
  if (extra !== undefined || !/^[A-Za-z0-9_-]+$/.test(w)) return undefined;
  const workflowId = Buffer.from(w, 'base64url').toString('utf8');
  if (!workflowId || Buffer.from(workflowId, 'utf8').toString('base64url') !== w) return undefined;
  if (runId === undefined) return { workflowId };
  return RUN_ID.test(runId) ? { workflowId, runId } : undefined;
}

// The tags every transcoder job carries (OCI freeform tags; the local runner's registry), read back by
// cleanup and the janitor to find a job's run. One definition for the writer (startJob) and the readers.
export const JOB_TAGS = { app: 'app', workflowId: 'workflowId', runId: 'runId', jobId: 'jobId', attempt: 'attempt', namespace: 'namespace' } as const;

/** The `app` tag value of pipeline jobs; the janitor lists only those. */
export const APP_TAG = 'oci-transcode';

/** OCI cuts freeform tag values at 256 characters: a workflow id tag that long may be a prefix only. */
export const TAG_VALUE_MAX = 256;

// The pipeline's own metrics, beside the Temporal SDK's (both exported by the worker's Prometheus
// endpoint, OCI_TRANSCODE_METRICS_ADDRESS). Counted by activities and replay-safely by workflows.
export const METRICS = {
  jobsStarted: { name: 'oci_transcode_jobs_started', unit: 'jobs', description: 'transcoder jobs (container instances, processes) started' },
  jobsFailed: { name: 'oci_transcode_jobs_failed', unit: 'jobs', description: 'job attempts that ended without success' },
  jobsRetried: { name: 'oci_transcode_jobs_retried', unit: 'jobs', description: 'job attempts started again on a fresh instance after a failure' },
  runsSuperseded: { name: 'oci_transcode_runs_superseded', unit: 'runs', description: 'runs that gave way to a newer upload of their object' },
  orphansSwept: { name: 'oci_transcode_orphans_swept', unit: 'jobs', description: 'jobs of closed or unknown runs deleted by the janitor' },
  instanceSeconds: { name: 'oci_transcode_instance_seconds', unit: 's', description: 'seconds transcoder jobs existed, from start to deletion (what compute bills)' },
} as const;

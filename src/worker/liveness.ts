// Liveness heartbeats: while an activity that has a heartbeat timeout runs, the worker heartbeats for
// it. A worker killed mid-activity (SIGKILL, OOM, a lost node) then costs the run one heartbeat timeout
// before Temporal retries the activity elsewhere, instead of the whole start-to-close timeout (minutes).
// Activities that heartbeat their own progress (awaitJob) are left alone: their details are resume
// points, and an empty liveness heartbeat would overwrite them.
import type { Context } from '@temporalio/activity';
import type { ActivityInboundCallsInterceptor, ActivityInterceptorsFactory } from '@temporalio/worker';

/** Activities that call heartbeat() themselves, with details they resume from. */
export const SELF_HEARTBEATING = new Set(['awaitJob']);

class LivenessInterceptor implements ActivityInboundCallsInterceptor {
  constructor(private readonly ctx: Context) {}

  async execute(input: Parameters<NonNullable<ActivityInboundCallsInterceptor['execute']>>[0], next: Parameters<NonNullable<ActivityInboundCallsInterceptor['execute']>>[1]): Promise<unknown> {
    const { heartbeatTimeoutMs, activityType } = this.ctx.info;
    if (!heartbeatTimeoutMs || SELF_HEARTBEATING.has(activityType)) return next(input);
    // The SDK throttles what it sends to ~0.8 x the timeout; beating more often only keeps that fresh.
    const every = Math.max(100, Math.min(5_000, Math.floor(heartbeatTimeoutMs / 4)));
    this.ctx.heartbeat();
    const timer = setInterval(() => this.ctx.heartbeat(), every);
    try {
      return await next(input);
    } finally {
      clearInterval(timer);
    }
  }
}

export const livenessHeartbeats: ActivityInterceptorsFactory = (ctx) => ({ inbound: new LivenessInterceptor(ctx) });

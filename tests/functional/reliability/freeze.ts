// Freeze points: an adapter method that, called from a chosen activity of a chosen run, stops there (still
// heartbeating, like a worker busy in that step) until released or cancelled. A test then kills the worker
// or cancels the run at exactly that point, deterministically, instead of racing a timer.
// Each rule fires once; later calls (the retried activity) pass through.
import { Context } from '@temporalio/activity';

export interface FreezeRule {
  /** A label for markers and assertions, e.g. 'verifying'. */
  name: string;
  /** Method of the adapter object to intercept, e.g. 'list', 'put', 'start', 'state'. */
  method: string;
  /** Only inside this activity type... */
  activity: string;
  /** ...of this workflow id (any when absent). */
  workflowId?: string;
  /** Only when the call's second argument (an object name) ends with this. */
  nameEndsWith?: string;
  /** Freeze after the real call returned (its effect happened, its answer is not delivered yet). */
  after?: boolean;
  /** With `after`: only when the result has this phase (JobRunner.state). */
  resultPhase?: string;
}

export interface Frozen {
  rule: FreezeRule;
  workflowId: string;
  activity: string;
  attempt: number;
}

export interface FreezeControl {
  /** Resolves with each freeze as it happens, by rule name. */
  reached(name: string): Promise<Frozen>;
  /** Lets a frozen call continue. */
  release(name: string): void;
}

type Method = (...args: unknown[]) => Promise<unknown>;

export function installFreezes(target: object, rules: FreezeRule[], onFrozen?: (frozen: Frozen) => void): FreezeControl {
  const fired = new Set<string>();
  const reached = new Map<string, { promise: Promise<Frozen>; resolve: (f: Frozen) => void }>();
  const releases = new Map<string, { promise: Promise<void>; resolve: () => void }>();
  const slot = <T>(map: Map<string, { promise: Promise<T>; resolve: (v: T) => void }>, name: string) => {
    let entry = map.get(name);
    if (!entry) {
      let resolve!: (v: T) => void;
      const promise = new Promise<T>((r) => (resolve = r));
      map.set(name, (entry = { promise, resolve }));
    }
    return entry;
  };

  async function freeze(rule: FreezeRule, ctx: Context): Promise<void> {
    const frozen: Frozen = { rule, workflowId: ctx.info.workflowExecution?.workflowId ?? '', activity: ctx.info.activityType, attempt: ctx.info.attempt };
    onFrozen?.(frozen);
    slot(reached, rule.name).resolve(frozen);
    // Alive and busy: keep heartbeating (with the activity's own details), so only a dead worker times out.
    const beat = setInterval(() => ctx.heartbeat(ctx.info.heartbeatDetails), 1_000);
    try {
      await Promise.race([slot(releases, rule.name).promise, ctx.cancelled]);
    } finally {
      clearInterval(beat);
    }
  }

  const methods = new Set(rules.map((r) => r.method));
  for (const method of methods) {
    const real = (target as Record<string, Method>)[method];
    if (typeof real !== 'function') throw new Error(`freeze: no method ${method}`);
    (target as Record<string, Method>)[method] = async (...args: unknown[]) => {
      let ctx: Context | undefined;
      try {
        ctx = Context.current();
      } catch {
        ctx = undefined; // not called from an activity
      }
      const rule = ctx && rules.find((r) =>
        r.method === method && !fired.has(r.name) && r.activity === ctx.info.activityType &&
        (r.workflowId === undefined || r.workflowId === ctx.info.workflowExecution?.workflowId) &&
        (r.nameEndsWith === undefined || String(args[1]).endsWith(r.nameEndsWith)));
      if (!rule || !ctx) return real.apply(target, args);
      if (!rule.after) {
        fired.add(rule.name);
        await freeze(rule, ctx);
        return real.apply(target, args);
      }
      const result = await real.apply(target, args);
      if (rule.resultPhase !== undefined && (result as { phase?: string } | undefined)?.phase !== rule.resultPhase) return result;
      fired.add(rule.name);
      await freeze(rule, ctx);
      return result;
    };
  }
  return {
    reached: (name) => slot(reached, name).promise,
    release: (name) => slot(releases, name).resolve(),
  };
}

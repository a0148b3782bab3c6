// Fault injection, configured per test: error answers for matching operations (a number of times, or
// until cleared), slow or capacity-starved creates, instances that fail after they were accepted,
// crashing containers, and the service's own timing: how long CREATING lasts, how long a DELETED record
// stays readable, how far listings lag behind.
export type Service = 'objectstorage' | 'containerinstances' | 'secrets' | 'notifications';

export interface FaultRule {
  service?: Service;
  /** Operation name as the API reference spells it, e.g. PutObject, UploadPart, CreateContainerInstance. */
  operation?: string;
  /** Only creates in this availability domain. */
  availabilityDomain?: string;
  /** How many matching requests fail; Infinity until cleared. */
  times: number;
  status: number;
  code: string;
  message: string;
}

export interface FaultMatch {
  service: Service;
  operation: string;
  availabilityDomain?: string;
}

/** Status of a rule whose request is executed but whose answer is dropped. */
export const LOST = -1;

export interface CrashPlan {
  remaining: number;
  afterMs: number;
  exitCode: number;
}

/** An accepted create whose work request fails later: the instance goes FAILED instead of ACTIVE. */
export interface AsyncFailure {
  availabilityDomain?: string;
  times: number;
  /** The instance's lifecycleDetails and the work request error's message. */
  message: string;
  code: string;
}

const TIMING = { createDelayMs: 0, creatingMs: 100, deletedVisibleMs: 1000, listLagMs: 0 };

export class Faults {
  private rules: FaultRule[] = [];
  private asyncFailures: AsyncFailure[] = [];
  private delays = new Map<string, number>();
  /** Latency added to each CreateContainerInstance answer. */
  createDelayMs = TIMING.createDelayMs;
  /** How long a new instance stays CREATING before its container starts (seconds on OCI). */
  creatingMs = TIMING.creatingMs;
  /** How long a DELETED instance stays readable before Get answers 404 and List forgets it. */
  deletedVisibleMs = TIMING.deletedVisibleMs;
  /** ListContainerInstances shows the instances and states of this long ago (eventual consistency). */
  listLagMs = TIMING.listLagMs;
  crash: CrashPlan = { remaining: 0, afterMs: 0, exitCode: 137 };
  injected = 0;

  add(rule: FaultRule): this {
    this.rules.push({ ...rule });
    return this;
  }

  /** The next `times` matching requests answer 429 TooManyRequests. */
  throttle(times: number, where: Partial<FaultMatch> = {}): this {
    return this.add({ ...where, times, status: 429, code: 'TooManyRequests', message: 'Too many requests for the tenancy' });
  }

  /** Object Storage answers 503 (or the given status) `times` times. */
  storageErrors(times: number, options: { operation?: string; status?: number } = {}): this {
    const status = options.status ?? 503;
    return this.add({
      service: 'objectstorage',
      operation: options.operation,
      times,
      status,
      code: status === 503 ? 'ServiceUnavailable' : 'InternalServerError',
      message: status === 503 ? 'Service is temporarily unavailable' : 'Internal server error',
    });
  }

  /**
   * The next `times` matching requests are carried out, but their answer never arrives (the connection
   * drops): the client cannot tell whether it worked, the case retry tokens exist for.
   */
  loseResponses(times: number, where: Partial<FaultMatch> = {}): this {
    return this.add({ ...where, times, status: LOST, code: 'Lost', message: 'answer lost' });
  }

  /** Every create in this availability domain fails as OCI compute does when a domain is full. */
  outOfCapacity(availabilityDomain: string, times = Infinity): this {
    return this.add({
      service: 'containerinstances',
      operation: 'CreateContainerInstance',
      availabilityDomain,
      times,
      status: 500,
      code: 'InternalError',
      message: 'Out of host capacity.',
    });
  }

  limitExceeded(availabilityDomain: string, times = Infinity): this {
    return this.add({
      service: 'containerinstances',
      operation: 'CreateContainerInstance',
      availabilityDomain,
      times,
      status: 400,
      code: 'LimitExceeded',
      message: 'The following service limits were exceeded: ci-count',
    });
  }

  /** The next `times` accepted creates (in this availability domain) end FAILED, as a late capacity shortage does. */
  failAfterCreate(times: number, where: { availabilityDomain?: string; message?: string; code?: string } = {}): this {
    this.asyncFailures.push({
      times,
      availabilityDomain: where.availabilityDomain,
      code: where.code ?? 'InternalError',
      message: where.message ?? 'Out of host capacity.',
    });
    return this;
  }

  /** Every request of this operation waits this long before it is served (a slow link, a busy service). */
  slow(operation: string, ms: number): this {
    this.delays.set(operation, ms);
    return this;
  }

  delayOf(operation: string): number {
    return this.delays.get(operation) ?? 0;
  }

  /** The next `times` requests of this operation answer 409 IncorrectState and do nothing. */
  incorrectState(operation: string, times: number): this {
    return this.add({ service: 'containerinstances', operation, times, status: 409, code: 'IncorrectState', message: `The resource is in a state that does not allow ${operation}` });
  }

  /** The next `count` containers are killed (exit 137, as the OOM killer leaves them) after `afterMs`. */
  crashNext(count: number, afterMs = 200, exitCode = 137): this {
    this.crash = { remaining: count, afterMs, exitCode };
    return this;
  }

  clear(): void {
    this.rules = [];
    this.asyncFailures = [];
    this.delays.clear();
    Object.assign(this, TIMING);
    this.crash = { remaining: 0, afterMs: 0, exitCode: 137 };
  }

  /** The late failure for an instance accepted in this availability domain, consuming one use. */
  takeAsyncFailure(availabilityDomain: string): AsyncFailure | undefined {
    const rule = this.asyncFailures.find((r) => r.times > 0 && (r.availabilityDomain === undefined || r.availabilityDomain === availabilityDomain));
    if (!rule) return undefined;
    rule.times -= 1;
    this.injected += 1;
    return { ...rule };
  }

  /** The rule that answers this request instead of the service, consuming one use of it. */
  take(match: FaultMatch): FaultRule | undefined {
    const rule = this.rules.find(
      (r) =>
        r.times > 0 &&
        (r.service === undefined || r.service === match.service) &&
        (r.operation === undefined || r.operation === match.operation) &&
        (r.availabilityDomain === undefined || r.availabilityDomain === match.availabilityDomain),
    );
    if (!rule) return undefined;
    rule.times -= 1;
    this.injected += 1;
    return rule;
  }

  takeCrash(): CrashPlan | undefined {
    if (this.crash.remaining <= 0) return undefined;
    this.crash.remaining -= 1;
    return { ...this.crash };
  }
}

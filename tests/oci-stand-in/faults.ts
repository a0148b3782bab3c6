// Fault injection, configured per test: error answers for matching operations (a number of times, or
// until cleared), slow or capacity-starved creates, crashing containers.
export type Service = 'objectstorage' | 'containerinstances' | 'secrets';

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

export class Faults {
  private rules: FaultRule[] = [];
  /** Latency added to each CreateContainerInstance answer. */
  createDelayMs = 0;
  /** How long a new instance stays CREATING before its container starts. */
  creatingMs = 100;
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

  /** The next `count` containers are killed (exit 137, as the OOM killer leaves them) after `afterMs`. */
  crashNext(count: number, afterMs = 200, exitCode = 137): this {
    this.crash = { remaining: count, afterMs, exitCode };
    return this;
  }

  clear(): void {
    this.rules = [];
    this.createDelayMs = 0;
    this.creatingMs = 100;
    this.crash = { remaining: 0, afterMs: 0, exitCode: 137 };
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

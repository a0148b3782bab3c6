// What one attempt at one target came to. The activity turns it into Temporal's vocabulary: delivered
// returns, retryable throws a retryable failure (the workflow's retry policy decides how long), refused
// throws a non-retryable one (the receiver said no; asking again changes nothing).
export type Delivery =
  | { kind: 'delivered'; status?: number; messageId?: string }
  | { kind: 'retryable'; message: string; status?: number; /** the receiver's Retry-After, in seconds */ retryAfterSec?: number }
  | { kind: 'refused'; message: string; status?: number };

/** Retry-After as seconds (delta-seconds or an HTTP date); undefined when absent or unreadable. */
export function retryAfterSec(value: string | null | undefined, nowMs: number): number | undefined {
  if (!value) return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim());
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, Math.ceil((at - nowMs) / 1000));
}

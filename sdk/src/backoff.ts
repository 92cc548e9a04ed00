// Retry timing: exponential backoff with jitter, and the Retry-After header.

/**
 * Delay before retry number `attempt + 1` (attempt 0 = after the first failure): the exponential step
 * min(cap, base · 2^attempt), "equal jitter" — uniformly in [step/2, step]. base 200 ms → 100–200, 200–400, …
 */
export function backoffDelay(attempt: number, baseMs: number, capMs: number, random: () => number): number {
  const step = Math.min(capMs, baseMs * 2 ** Math.min(attempt, 30));
  return Math.round(step / 2 + random() * (step / 2));
}

/** Retry-After as milliseconds: delta-seconds (`2`, `1.5`) or an HTTP date; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | null | undefined, nowMs: number): number | undefined {
  if (value === null || value === undefined) return undefined;
  const v = value.trim();
  if (v === '') return undefined;
  if (/^\d+(\.\d+)?$/.test(v)) return Math.round(Number(v) * 1000);
  if (!/[a-z]/i.test(v)) return undefined; // not an HTTP date (Date.parse would read "-3" as a year)
  const at = Date.parse(v);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - nowMs);
}

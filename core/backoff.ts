// Backoff schedules. Pure (randomness passed in).

/** `firstMs` after the first failure (`n` = 0), doubling with each further one, at most `maxMs`. */
export function doublingDelayMs(n: number, firstMs: number, maxMs: number): number {
  return Math.min(maxMs, firstMs * 2 ** Math.max(0, n));
}

// Notification deliveries: exponential backoff with jitter.

/** Delay before attempt `attempt + 1` after `attempt` failed: 2 s · 2^(attempt-1), at most 1 h, times 0.5–1.5. */
export function retryDelayMs(attempt: number, random: number): number {
  const base = Math.min(3_600_000, 2_000 * 2 ** Math.max(0, attempt - 1));
  return Math.round(base * (0.5 + random));
}

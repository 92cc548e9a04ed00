// Retry schedule of notification deliveries: exponential backoff with jitter. Pure (randomness passed in).

/** Delay before attempt `attempt + 1` after `attempt` failed: 2 s · 2^(attempt-1), at most 1 h, times 0.5–1.5. */
export function retryDelayMs(attempt: number, random: number): number {
  const base = Math.min(3_600_000, 2_000 * 2 ** Math.max(0, attempt - 1));
  return Math.round(base * (0.5 + random));
}

// Shared arithmetic of the benchmarks.

/** The p-th percentile (0–100, nearest rank) of ascending-sorted samples; NaN without samples. */
export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

// The comparison range of GET /v1/metrics?compare=previous (docs/api.md#comparison): the same number of whole
// buckets immediately before the main range's first bucket. Pure.
import { badRequest } from './errors';
import { bucketCount, bucketStart, INTERVAL_MS, type Interval } from './intervals';

export const COMPARES = ['previous'] as const;
export type Compare = (typeof COMPARES)[number];

/** The comparison asked for; absent: none. */
export function parseCompare(raw: string | null): Compare | null {
  if (raw === null) return null;
  if ((COMPARES as readonly string[]).includes(raw)) return raw as Compare;
  throw badRequest(
    'invalid_parameter',
    `compare=${JSON.stringify(raw.slice(0, 60))} is not supported; use compare=previous (the preceding range of equal length) or leave it out.`,
  );
}

/**
 * The range just before [from, to), bucketed the same way. The main range's points are the n whole buckets
 * starting at floor(from) (docs/api.md#whole-buckets); the previous range is the n buckets before that:
 * [floor(from) − n·w, floor(from)), w the interval. When from and to are bucket-aligned this is exactly
 * [from − (to − from), from). A separate request for this range answers the same buckets.
 */
export function previousRange(q: { fromMs: number; toMs: number; interval: Interval }): {
  fromMs: number;
  toMs: number;
} {
  const start = bucketStart(q.fromMs, q.interval);
  const n = bucketCount(q.fromMs, q.toMs, q.interval);
  return { fromMs: start - n * INTERVAL_MS[q.interval], toMs: start };
}

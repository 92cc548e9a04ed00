// The comparison range of GET /v1/metrics?compare=previous (docs/api.md#comparison): the same number of whole
// buckets immediately before the main range's first bucket. Pure.
import { badRequest } from './errors';
import { INTERVAL_MS, type Interval } from './intervals';
import { bucketsIn, isZoned, UTC_ZONE, type TimeZone } from './timezone';

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
 *
 * 1h and 1d buckets are the tenant's local hours and days (docs/api.md#time-zones): the previous range of n local
 * days is the n local days before, however long they are (a week containing a 23-hour day compares with the
 * 7 days before it, 167 or 168 hours), not n × 24 hours.
 */
export function previousRange(q: { fromMs: number; toMs: number; interval: Interval; zone?: TimeZone }): {
  fromMs: number;
  toMs: number;
} {
  const z = bucketsIn(q.zone ?? UTC_ZONE);
  const start = z.start(q.fromMs, q.interval);
  const n = z.count(q.fromMs, q.toMs, q.interval);
  if (!isZoned(q.interval) || z.zone === UTC_ZONE) return { fromMs: start - n * INTERVAL_MS[q.interval], toMs: start };
  // Callers bound n first (metricRange: at most MAX_BUCKETS): one step back per bucket.
  let from = start;
  for (let i = 0; i < n; i++) from = z.start(from - 1, q.interval);
  return { fromMs: from, toMs: start };
}

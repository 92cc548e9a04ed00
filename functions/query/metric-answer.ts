// The part every GET /v1/metrics answer shares, plain (metrics.ts) or broken down (breakdown.ts): event_type, metric,
// interval, data_as_of, the total points and, with compare=previous, the range before (docs/api.md#metrics,
// docs/api.md#comparison). Each handler reads its points and adds only its own fields after these; the route
// (metrics.ts getMetrics) adds timezone or writes the CSV.
import type { Adapters } from '../../adapters';
import { previousRange } from '../../core/compare-range';
import type { MetricsQuery, MetricValue } from '../../core/metric-query';
import { tenantDataAsOf } from './freshness';
import { serializeOnce } from '../http/json-text';

export type AnswerPoint = { t: string; value: MetricValue };
/** The range before and its points, as the answer's `previous` (and each breakdown series' `previous`) holds them. */
export type PreviousAnswer = { from: string; to: string; points: AnswerPoint[] };

/**
 * ISO text of an instant. Answers repeat the same bucket starts request after request (a day of 1m is 1 440 of them),
 * so the texts are kept, up to a bound past which the memo starts over.
 */
const isoMemo = new Map<number, string>();
const ISO_MEMO_MAX = 100_000;
export function iso(ms: number): string {
  let text = isoMemo.get(ms);
  if (text === undefined) {
    text = new Date(ms).toISOString();
    if (isoMemo.size >= ISO_MEMO_MAX) isoMemo.clear();
    isoMemo.set(ms, text);
  }
  return text;
}

/**
 * The answer's points. Points the reader gave again unchanged (the same array: core/metric-query.ts metricPoints) give
 * the same answer points, whose JSON text is made once (json-text.ts); they are never changed after.
 */
export function isoPoints(points: readonly { t: number; value: MetricValue }[]): AnswerPoint[] {
  let out = isoOfPoints.get(points);
  if (out === undefined) {
    out = serializeOnce(points.map((p) => ({ t: iso(p.t), value: p.value })));
    isoOfPoints.set(points, out);
  }
  return out;
}
const isoOfPoints = new WeakMap<readonly { t: number; value: MetricValue }[], AnswerPoint[]>();

/** With compare=previous: the range just before the query's (core/compare-range.ts); otherwise null. */
export const comparedRange = (q: MetricsQuery): { fromMs: number; toMs: number } | null =>
  q.compare === 'previous' ? previousRange(q) : null;

export const previousAnswer = (range: { fromMs: number; toMs: number }, points: AnswerPoint[]): PreviousAnswer => ({
  from: iso(range.fromMs),
  to: iso(range.toMs),
  points,
});

/**
 * The tenant's data_as_of, asked for before the points are read: the two reads overlap, and the answer never claims
 * a time later than what its points had (progress only moves forward). Its failure is the answer's failure, raised
 * where answerHead awaits it, never as an unhandled rejection when the points' read failed first.
 */
export function startDataAsOf(deps: Adapters, tenantId: string): Promise<number | null> {
  const asOf = tenantDataAsOf(deps, tenantId);
  asOf.catch(() => undefined);
  return asOf;
}

/** The common fields, in the answer's order; `previous` only with compare=previous. `asOf`: from startDataAsOf. */
export async function answerHead(
  q: MetricsQuery,
  asOfRead: Promise<number | null>,
  points: AnswerPoint[],
  previous: PreviousAnswer | null,
) {
  const asOf = await asOfRead;
  return {
    event_type: q.eventType,
    metric: q.metric,
    interval: q.interval,
    data_as_of: asOf === null ? null : iso(asOf),
    points,
    ...(previous ? { previous } : {}),
  };
}

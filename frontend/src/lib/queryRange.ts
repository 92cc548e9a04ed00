// The range an analytics query (funnels, retention) covers: relative ("last 7 d", resolved when the request is
// made) or absolute [from, to) typed on the tenant zone's wall clock. Kept in the route as `range` or `from`/`to`.
import { durationLabel, parseDuration } from './duration';
import { resolveRange } from './timeRange';

export interface QueryRange {
  /** A duration ("7d") ending now, or '' when `from`/`to` are used. */
  range: string;
  /** ISO; used when `range` is ''. */
  from: string;
  to: string;
}

export const ANALYTICS_RANGES = ['24h', '7d', '14d', '30d', '56d', '90d'] as const;
export const ANALYTICS_RANGE_OPTIONS = [
  ...ANALYTICS_RANGES.map((r) => ({ value: r as string, label: `Last ${durationLabel(r)}` })),
  { value: '', label: 'Custom (from/to)' },
];

/** The range of route params: a known duration in `range`, else both valid `from` and `to`, else `fallback`. */
export function rangeFromParams(params: URLSearchParams, fallback: string): QueryRange {
  const range = params.get('range') ?? '';
  const from = params.get('from') ?? '';
  const to = params.get('to') ?? '';
  if (range === '' && !Number.isNaN(Date.parse(from)) && !Number.isNaN(Date.parse(to))) return { range: '', from, to };
  return { range: parseDuration(range) !== undefined ? range : fallback, from: '', to: '' };
}

export function rangeToParams(r: QueryRange): Record<string, string | undefined> {
  return r.range !== '' ? { range: r.range } : { from: r.from || undefined, to: r.to || undefined };
}

/** [from, to) as ISO: the absolute bounds, or the relative range ending at `nowMs`. */
export function resolveQueryRange(r: QueryRange, nowMs: number): { from: string; to: string } {
  return r.range !== '' ? resolveRange(r.range, nowMs) : { from: r.from, to: r.to };
}

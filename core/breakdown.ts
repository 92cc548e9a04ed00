// Breakdowns of GET /v1/metrics (docs/api.md#breakdowns): the breakdown and limit parameters, which source answers
// (pre-aggregated dimension rollups or raw events), and how the per-series parts a reader returns become the
// answer's series and points. Pure.
import { previousRange } from './compare-range';
import { badRequest } from './errors';
import { INTERVALS, INTERVAL_MS, type Interval } from './intervals';
import { bucketsIn, UTC_ZONE, type TimeZone } from './timezone';
import { addDecimals, isPreAggregatedPath } from './rollups';
import { mergeSketches } from './quantile-sketch';
import {
  rawBucketValue,
  type MetricKind,
  type MetricSelection,
  type MetricValue,
  type RawBucket,
} from './metric-query';

export const DEFAULT_BREAKDOWN_LIMIT = 10;
export const MAX_BREAKDOWN_LIMIT = 100;
/** Declared dimensions per event type and project (PUT /v1/catalog/{event_type}). */
export const MAX_DIMENSIONS_PER_TYPE = 5;
/** K: distinct values a declared dimension keeps per bucket by default (DIMENSION_MAX_VALUES). */
export const DEFAULT_DIMENSION_MAX_VALUES = 1000;
/** Raw events a raw breakdown may scan, over its range and the previous one (BREAKDOWN_MAX_RAW_ROWS). */
export const DEFAULT_BREAKDOWN_MAX_RAW_ROWS = 1_000_000;

/** The series of values past the limit (and, in dimension rollups, past K). */
export const OTHER_SERIES = '$other';
/** The series of events without the property (absent or JSON null). */
export const NONE_SERIES = '$none';

/**
 * The series value of a property value (docs/api.md#breakdowns), as SQL computes it on both sources
 * (adapters/postgres/dimension-sql.ts): absent or null → `$none`; a string → itself, with one more `$` in front
 * when it starts with `$` (so `$none`/`$other` stay reserved: the string "$other" is the series "$$other"); a
 * number, boolean, object or array → its JSON text as Postgres prints jsonb (numbers in plain decimal notation,
 * `1e3` → `1000`, `1.50` → `1.50`; objects with `": "` and `", "` and keys sorted by length, then bytes).
 */
export type SeriesValue = string;

export interface Breakdown {
  /** The property path, split at dots (top-level: one segment). */
  path: string[];
  limit: number;
}

/** breakdown= and limit= of GET /v1/metrics; null without breakdown (limit alone is refused). */
export function parseBreakdown(rawPath: string | null, rawLimit: string | null): Breakdown | null {
  if (rawPath === null) {
    if (rawLimit !== null)
      throw badRequest('invalid_parameter', 'limit applies to breakdowns: add breakdown=<property>, or drop limit.');
    return null;
  }
  const path = rawPath.normalize('NFC').split('.');
  if (rawPath.length > 1000 || path.length > 6 || path.some((p) => p.length === 0)) {
    throw badRequest(
      'invalid_parameter',
      `breakdown=${JSON.stringify(rawPath.slice(0, 100))}: give a property path, <name> or <a>.<b> (at most 6 levels, 1000 characters), e.g. breakdown=country.`,
    );
  }
  let limit = DEFAULT_BREAKDOWN_LIMIT;
  if (rawLimit !== null) {
    if (!/^[0-9]{1,3}$/.test(rawLimit) || Number(rawLimit) < 1 || Number(rawLimit) > MAX_BREAKDOWN_LIMIT) {
      throw badRequest(
        'invalid_parameter',
        `limit=${JSON.stringify(rawLimit.slice(0, 40))}: give a whole number of series from 1 to ${MAX_BREAKDOWN_LIMIT} (default ${DEFAULT_BREAKDOWN_LIMIT}); the rest is summed in $other.`,
      );
    }
    limit = Number(rawLimit);
  }
  return { path, limit };
}

/** A declared dimension of one project's event type, and from when its rollups hold every event. */
export interface DimensionDeclaration {
  /** Its key in the dimension rows (event_dimensions.id). */
  id: string;
  projectId: string;
  dimension: string;
  completeFromMs: number;
}

/**
 * Intervals that have dimension rollups. Not 10s: a 10s bucket holds about one event per value, so its dimension
 * rows would be about as many as the raw events, and 10s ranges (the last 24 h at most) are read from raw events.
 */
export const DIMENSION_INTERVALS: readonly Interval[] = ['1m', '5m', '1h', '1d'];

/** Metrics the dimension rollups hold: counts, and sums/averages of top-level JSON-number properties. */
export function rollupBreakdownKind(kind: MetricKind, path: string[] | null): boolean {
  return kind === 'count' || ((kind === 'sum' || kind === 'avg') && path !== null && isPreAggregatedPath(path));
}

/**
 * Where a breakdown is read (docs/api.md#breakdowns): `rollup` when the path is a declared dimension of the event
 * type in every project read, the metric is count/sum/avg of a top-level property, there are no property filters,
 * the interval has dimension rollups (DIMENSION_INTERVALS: not 10s), and every bucket read (the previous range's too) starts at or after the dimension's complete_from in each project;
 * otherwise `raw`. Never a mix: one source answers every bucket, so Σ series = points holds bucket by bucket.
 */
export function breakdownSource(
  q: Pick<MetricSelection, 'kind' | 'path' | 'props' | 'projectIds'> & {
    interval: Interval;
    breakdown: string[];
    firstBucketMs: number;
  },
  declared: readonly DimensionDeclaration[],
): 'rollup' | 'raw' {
  if (q.props.length > 0 || q.breakdown.length !== 1 || !rollupBreakdownKind(q.kind, q.path)) return 'raw';
  if (!DIMENSION_INTERVALS.includes(q.interval)) return 'raw';
  const name = q.breakdown[0]!;
  for (const projectId of q.projectIds) {
    const d = declared.find((x) => x.projectId === projectId && x.dimension === name);
    if (!d || d.completeFromMs > q.firstBucketMs) return 'raw';
  }
  return 'rollup';
}

/**
 * A raw breakdown reads only events within the raw retention: a range whose first bucket starts earlier is refused
 * with the earliest `from` that works (like checkRawReach in core/metric-query.ts).
 */
export function checkBreakdownReach(
  q: { fromMs: number; interval: Interval; compare?: 'previous' | null; toMs: number; zone?: TimeZone },
  breakdown: string[],
  retentionMs: number,
  nowMs: number,
): void {
  // The buckets read are the tenant's local ones (docs/api.md#time-zones): a local day can start before the UTC one.
  const z = bucketsIn(q.zone ?? UTC_ZONE);
  const first = z.start(q.fromMs, q.interval);
  const fromMs = q.compare === 'previous' ? previousRange(q).fromMs : first;
  const oldestKept = nowMs - retentionMs;
  if (fromMs >= oldestKept) return;
  // The earliest whole bucket kept; with compare=previous the main range must start its own length after it.
  const shift = first - fromMs;
  const firstKept = z.start(oldestKept, q.interval);
  const earliestFrom = (firstKept === oldestKept ? firstKept : z.next(oldestKept, q.interval)) + shift;
  const days = Math.round((retentionMs / 86_400_000) * 10) / 10;
  const iso = (ms: number) => new Date(ms).toISOString();
  const name = breakdown.join('.');
  throw badRequest(
    'beyond_retention',
    `This breakdown by ${JSON.stringify(name.slice(0, 100))} is computed from raw events, which are kept ${days} days: ` +
      `the range read starts at ${iso(fromMs)}, before the oldest kept (${iso(oldestKept)}). Give from=${iso(earliestFrom)} or later. ` +
      'Breakdowns of count, sum and avg by a declared dimension (PUT /v1/catalog/{event_type} "dimensions"), without prop. filters, ' +
      'are read from dimension rollups, which are kept longer, for buckets since the dimension was declared (or rebuilt).',
  );
}

/** What a raw breakdown may scan: past it, a 400 that says how to narrow the query. */
export function scanBudgetExceeded(breakdown: string[], budget: number): never {
  throw badRequest(
    'breakdown_too_large',
    `A breakdown by ${JSON.stringify(breakdown.join('.').slice(0, 100))} is computed from raw events here and the range holds more than ${budget} events: ` +
      'use a shorter range, add prop. filters, or declare the property as a dimension of the event type (PUT /v1/catalog/{event_type} "dimensions") ' +
      'to read count, sum and avg breakdowns from rollups at interval 1m or coarser (10s breakdowns always read raw events).',
  );
}

/** One range's parts: per series value, the part of each bucket that has data, and the part of the whole range. */
export interface BreakdownParts {
  buckets: Map<SeriesValue, Map<number, RawBucket>>;
  totals: Map<SeriesValue, RawBucket>;
}

export interface BreakdownData {
  source: 'rollup' | 'raw';
  /** The series values shown, best first (at most the limit); every other value is in `$other`. */
  top: SeriesValue[];
  /** The main range's parts and, with compare=previous, the previous range's (same series values). */
  ranges: BreakdownParts[];
}

export interface BreakdownRange {
  buckets: number[];
  fromMs: number;
  toMs: number;
}

export interface BreakdownRequest extends MetricSelection {
  interval: Interval;
  breakdown: string[];
  limit: number;
  /** The main range first, then the previous one with compare=previous. */
  ranges: BreakdownRange[];
  /** The range as asked (for the raw reach check), the tenant's raw retention and the clock. */
  query: { fromMs: number; toMs: number; interval: Interval; compare?: 'previous' | null; zone?: TimeZone };
  retentionMs: number;
  nowMs: number;
}

/** A span of buckets of one interval: those starting in [fromMs, toMs). */
export interface BucketSpan {
  interval: Interval;
  fromMs: number;
  toMs: number;
}

/**
 * The range [fromMs, toMs) of `interval` buckets tiled by the coarsest buckets that fit inside it, finer ones at its
 * edges down to `interval` itself (docs/api.md#breakdowns: how the rollup source ranks). Every bucket nests in the
 * coarser ones (10s, 1m and 5m from the epoch; 5 min divides every zone offset, so they nest in local hours and days),
 * so the spans hold each `interval` bucket of the range exactly once. `fromMs` and `toMs` are `interval` boundaries.
 */
export function rankingSpans(fromMs: number, toMs: number, interval: Interval, zone: TimeZone): BucketSpan[] {
  const z = bucketsIn(zone);
  const coarser = INTERVALS.filter((i) => INTERVAL_MS[i] > INTERVAL_MS[interval]).reverse();
  const tile = (a: number, b: number, levels: readonly Interval[]): BucketSpan[] => {
    if (a >= b) return [];
    const [level, ...finer] = levels;
    if (level === undefined) return [{ interval, fromMs: a, toMs: b }];
    const lo = z.start(a, level) === a ? a : z.next(a, level);
    const hi = z.start(b, level);
    if (lo >= hi) return tile(a, b, finer);
    return [...tile(a, lo, finer), { interval: level, fromMs: lo, toMs: hi }, ...tile(hi, b, finer)];
  };
  return tile(fromMs, toMs, coarser);
}

/** The port behind breakdowns (adapters/breakdown-reader.ts). */
export interface BreakdownReader {
  read(r: BreakdownRequest): Promise<BreakdownData>;
}

/**
 * Ranks series values: by total descending (null totals last), ties by the value's UTF-8 bytes. The raw and rollup
 * readers rank in SQL (collate "C") where they can; percentile totals are ranked here.
 */
export function rankSeries(totals: ReadonlyMap<SeriesValue, MetricValue>, limit: number): SeriesValue[] {
  return [...totals]
    .filter(([v]) => v !== NONE_SERIES && v !== OTHER_SERIES)
    .sort(([a, x], [b, y]) => {
      if (x !== y) {
        if (x === null) return 1;
        if (y === null) return -1;
        return y - x;
      }
      return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
    })
    .slice(0, limit)
    .map(([v]) => v);
}

/** Adds parts of the same bucket (several series): exact decimals, merged sketches; unique users cannot be added. */
export function addParts(parts: readonly RawBucket[]): RawBucket {
  const sketches = parts.flatMap((p) => (p.sketch ? [p.sketch] : []));
  return {
    count: parts.reduce((a, p) => a + p.count, 0),
    uniqueUsers: Number.NaN,
    sum: addDecimals(parts.map((p) => p.sum)),
    n: addDecimals(parts.map((p) => p.n)),
    ...(sketches.length > 0 ? { sketch: mergeSketches(...sketches) } : {}),
  };
}

export interface SeriesAnswer<P> {
  value: SeriesValue;
  total: MetricValue;
  points: P[];
}

/**
 * The answer's series over one range's buckets: the top values in order, then `$other` and `$none` when they hold
 * events; every series zero-filled like points (null for avg and percentiles).
 */
export function seriesOf(
  kind: MetricKind,
  top: readonly SeriesValue[],
  parts: BreakdownParts,
  buckets: readonly number[],
  empty: MetricValue,
): SeriesAnswer<{ t: number; value: MetricValue }>[] {
  const names = [...top];
  for (const special of [OTHER_SERIES, NONE_SERIES]) if (parts.totals.has(special)) names.push(special);
  return names.map((value) => {
    const perBucket = parts.buckets.get(value) ?? new Map<number, RawBucket>();
    const total = parts.totals.get(value);
    return {
      value,
      total: total ? rawBucketValue(kind, total) : empty,
      points: buckets.map((t) => {
        const b = perBucket.get(t);
        return { t, value: b ? rawBucketValue(kind, b) : empty };
      }),
    };
  });
}

/**
 * The total of each bucket from its parts (every event of a bucket is in exactly one series): exact for count and
 * sum (decimal addition), avg (sums and counts added, then divided) and percentiles (sketches merged). Not for
 * unique_users: a user can be in several series, so the reader's own points are used.
 */
export function pointsFromParts(
  kind: MetricKind,
  parts: BreakdownParts,
  buckets: readonly number[],
  empty: MetricValue,
): { t: number; value: MetricValue }[] {
  const byBucket = new Map<number, RawBucket[]>();
  for (const perBucket of parts.buckets.values()) {
    for (const [t, b] of perBucket) (byBucket.get(t) ?? byBucket.set(t, []).get(t)!).push(b);
  }
  return buckets.map((t) => {
    const list = byBucket.get(t);
    if (!list) return { t, value: empty };
    // A count adds the parts' counts only (no decimal sums to add: they are not shown).
    return {
      t,
      value: kind === 'count' ? list.reduce((a, p) => a + p.count, 0) : rawBucketValue(kind, addParts(list)),
    };
  });
}

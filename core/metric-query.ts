// What a metric read asks for and how its answer is shaped (docs/api.md#metrics, docs/architecture.md#metrics-engine):
// the metric names, the checks on a query, the per-bucket arithmetic shared by every read path, and the port a
// reader implements (adapters/metric-reader.ts: Redis first, Postgres on a miss). Pure.
import { previousRange, type Compare } from './compare-range';
import { badRequest } from './errors';
import { bucketCount, isInterval, type Interval } from './intervals';
import { bucketsIn, isZoned, UTC_ZONE, ZONED_MAX_MS, ZONED_MIN_MS, type TimeZone } from './timezone';
import { averageOf, isPreAggregatedPath } from './rollups';
import { quantile, type QuantileSketch } from './quantile-sketch';

/** Percentiles of a numeric property (docs/api.md#metrics): from the quantile sketches of core/quantile-sketch.ts. */
export type PercentileKind = 'p50' | 'p90' | 'p95' | 'p99';
export type MetricKind = 'count' | 'unique_users' | 'sum' | 'avg' | PercentileKind;

/** The quantile q of each percentile kind. */
export const PERCENTILES: Readonly<Record<PercentileKind, number>> = { p50: 0.5, p90: 0.9, p95: 0.95, p99: 0.99 };

export function isPercentile(kind: MetricKind): kind is PercentileKind {
  return kind in PERCENTILES;
}

/** A percentile of a bucket's (or window's) sketch: null when it holds no value, like avg. */
export function percentileValue(kind: PercentileKind, sketch: QuantileSketch | undefined): MetricValue {
  return sketch ? quantile(sketch, PERCENTILES[kind]) : null;
}

export interface MetricsQuery {
  eventType: string;
  /** As requested, e.g. `sum:amount`. */
  metric: string;
  kind: MetricKind;
  /** The property of sum/avg/pNN, split at dots; null for count and unique_users. */
  path: string[] | null;
  interval: Interval;
  fromMs: number;
  toMs: number;
  project: string | null;
  props: [string[], string][];
  /** compare=previous: also the range just before (core/compare-range.ts). */
  compare?: Compare | null;
  /** The tenant's zone: 1h/1d buckets are its local hours and days (docs/api.md#time-zones); absent: UTC. */
  zone?: TimeZone;
  /** The tenant's zone generation, read with the zone (the Redis keys of 1h/1d values; absent: 0). */
  zoneGeneration?: number;
  /** breakdown=<path>&limit=<n>: series per value of the property (core/breakdown.ts, docs/api.md#breakdowns). */
  breakdown?: { path: string[]; limit: number } | null;
}

/** A bucket's value: a number, or null where the metric is undefined (avg of no events). */
export type MetricValue = number | null;

const MAX_BUCKETS = 10_000;
const TEN_SECONDS_REACH_MS = 24 * 3_600_000;
const DEFAULT_RANGE_MS = 3_600_000;
const ZONED_FROM_MS = Math.max(ZONED_MIN_MS, Date.UTC(1100, 0, 1));
const ZONED_TO_MS = Math.min(ZONED_MAX_MS, Date.UTC(9990, 0, 1));

export function parseMetric(metric: string): { kind: MetricKind; path: string[] | null } {
  if (metric === 'count' || metric === 'unique_users') return { kind: metric, path: null };
  const m = /^(sum|avg|p50|p90|p95|p99):(.+)$/.exec(metric);
  if (m) {
    const path = m[2]!.normalize('NFC').split('.'); // names are stored in NFC (docs/api.md, ingest)
    if (path.some((p) => p.length === 0) || path.length > 6) {
      const quoted = JSON.stringify(metric.slice(0, 100));
      throw badRequest(
        'invalid_parameter',
        `${quoted}: the property path must be <name> or <a>.<b> (at most 6 levels).`,
      );
    }
    return { kind: m[1] as MetricKind, path };
  }
  throw badRequest(
    'invalid_parameter',
    'metric must be count, unique_users, sum:<path>, avg:<path>, p50:<path>, p90:<path>, p95:<path> or p99:<path>.',
  );
}

/** The bucket width asked for (absent: 1m). */
export function parseInterval(raw: string | null): Interval {
  const interval = raw ?? '1m';
  if (!isInterval(interval)) throw badRequest('invalid_parameter', 'interval must be one of 10s, 1m, 5m, 1h, 1d.');
  return interval;
}

/**
 * The range read: `to` defaults to now and `from` to an hour before `to`. Refused: an empty range, 10s buckets
 * older than the 24 h the 10s rollups are kept (the previous range's too with compare=previous), and more than
 * MAX_BUCKETS buckets (docs/api.md#range-limits).
 */
export function metricRange(
  q: {
    fromMs: number | undefined;
    toMs: number | undefined;
    interval: Interval;
    compare?: Compare | null;
    zone?: TimeZone;
  },
  nowMs: number,
): { fromMs: number; toMs: number } {
  const toMs = q.toMs ?? nowMs;
  const fromMs = q.fromMs ?? toMs - DEFAULT_RANGE_MS;
  if (fromMs >= toMs) throw badRequest('invalid_parameter', 'from must be earlier than to.');
  const zone = q.zone ?? UTC_ZONE;
  if (zone !== UTC_ZONE && isZoned(q.interval)) {
    // Local hours and days are known for the years 1000 to 9999 (core/timezone.ts); a local bucket lasts at least
    // 30 minutes (1h) or 22.5 hours (1d), so a range of more than twice MAX_BUCKETS UTC buckets is refused before
    // the zone's buckets are counted.
    // (A margin of years keeps a compare=previous range of MAX_BUCKETS days inside them too.)
    if (fromMs < ZONED_FROM_MS || toMs > ZONED_TO_MS)
      throw badRequest(
        'invalid_parameter',
        `interval ${q.interval} follows the tenant's time zone (${zone}): give from and to between 1100-01-01 and 9990-01-01, or use 5m or smaller.`,
      );
    const utc = bucketCount(fromMs, toMs, q.interval);
    if (utc > 2 * MAX_BUCKETS) throw tooManyBuckets(utc, q.interval);
  }
  const earliest =
    q.compare === 'previous' ? previousRange({ fromMs, toMs, interval: q.interval, zone }).fromMs : fromMs;
  if (q.interval === '10s' && earliest < nowMs - TEN_SECONDS_REACH_MS) {
    const what =
      earliest === fromMs ? 'older ranges' : 'older ranges (compare=previous reaches back to the range before from)';
    throw badRequest('invalid_parameter', `interval 10s covers only the last 24 h; use 1m or larger for ${what}.`);
  }
  const buckets = bucketsIn(zone).count(fromMs, toMs, q.interval);
  if (buckets > MAX_BUCKETS) throw tooManyBuckets(buckets, q.interval);
  return { fromMs, toMs };
}

const tooManyBuckets = (buckets: number, interval: Interval) =>
  badRequest(
    'too_many_buckets',
    `The range holds ${buckets} buckets of ${interval}; the maximum is ${MAX_BUCKETS}. Use a larger interval or a shorter range.`,
  );

/**
 * A read from raw events (readsRawEvents) reaches only as far back as raw events are kept: events stamped at or
 * after now − retention are all kept, older ones may be deleted (adapters/postgres/retention.ts). A range whose
 * first bucket starts earlier would count deleted events as zero, so it is refused with the earliest `from`
 * that works (docs/api.md#range-limits). Rollup reads are not limited by it.
 */
export function checkRawReach(
  q: Pick<MetricsQuery, 'fromMs' | 'toMs' | 'interval' | 'props' | 'path' | 'compare' | 'zone'>,
  retentionMs: number,
  nowMs: number,
): void {
  if (!readsRawEvents(q)) return;
  const z = bucketsIn(q.zone ?? UTC_ZONE);
  const fromMs = q.compare === 'previous' ? previousRange(q).fromMs : z.start(q.fromMs, q.interval);
  const oldestKept = nowMs - retentionMs;
  if (fromMs >= oldestKept) return;
  // The earliest whole bucket kept; with compare=previous the main range must start its own length after it.
  const shift = q.compare === 'previous' ? z.start(q.fromMs, q.interval) - fromMs : 0;
  const firstKept = z.start(oldestKept, q.interval);
  const earliestFrom = (firstKept === oldestKept ? firstKept : z.next(oldestKept, q.interval)) + shift;
  const days = Math.round((retentionMs / 86_400_000) * 10) / 10;
  const iso = (ms: number) => new Date(ms).toISOString();
  const which = q.compare === 'previous' ? 'previous range' : 'range';
  throw badRequest(
    'beyond_retention',
    `Property filters and sum/avg of a nested path are computed from raw events, which are kept ${days} days: ` +
      `the ${which} starts at ${iso(fromMs)}, before the oldest kept (${iso(oldestKept)}). Give from=${iso(earliestFrom)} or later, ` +
      'or read without filters and with a top-level path (rollups are kept longer).',
  );
}

/** [start of the first bucket, end of the last bucket): the time the points cover. */
export function coveredSpan(
  buckets: number[],
  q: Pick<MetricsQuery, 'fromMs' | 'toMs' | 'interval' | 'zone'>,
): { fromMs: number; toMs: number } {
  if (buckets.length === 0) return { fromMs: q.fromMs, toMs: q.toMs };
  return { fromMs: buckets[0]!, toMs: bucketsIn(q.zone ?? UTC_ZONE).next(buckets[buckets.length - 1]!, q.interval) };
}

/** The value of a bucket (or window) without data: 0, or undefined (null) for avg and percentiles. */
export function emptyValue(kind: MetricKind): MetricValue {
  return kind === 'avg' || isPercentile(kind) ? null : 0;
}

/** Whether a read must compute from raw events: property filters, and sum/avg/pNN of a path the rollups do not cover. */
export function readsRawEvents(q: { props: [string[], string][]; path: string[] | null }): boolean {
  return q.props.length > 0 || (q.path !== null && !isPreAggregatedPath(q.path));
}

/** What one bucket of raw events adds up to (adapters/postgres/raw-metrics.ts). */
export interface RawBucket {
  count: number;
  uniqueUsers: number;
  /** Exact decimal text of the sum of the path's JSON-number values, and how many events had one. */
  sum: string;
  n: string;
  /** The sketch of the path's JSON-number values (percentile reads only; absent when the bucket has none). */
  sketch?: QuantileSketch;
}

/** The metric's value of a bucket computed from raw events. */
export function rawBucketValue(kind: MetricKind, b: RawBucket): MetricValue {
  if (isPercentile(kind)) return percentileValue(kind, b.sketch);
  return kind === 'count'
    ? b.count
    : kind === 'unique_users'
      ? b.uniqueUsers
      : kind === 'sum'
        ? Number(b.sum)
        : averageOf(b.sum, b.n);
}

/** What a metric read counts: one event type's metric over a set of projects, with property filters. */
export interface MetricSelection {
  tenantId: string;
  projectIds: string[];
  eventType: string;
  kind: MetricKind;
  /** The property of sum/avg/pNN, split at dots; null for count and unique_users. */
  path: string[] | null;
  props: [string[], string][];
}

/** One metric over a set of projects (sorted, never empty), per bucket. */
export interface MetricSeries extends MetricSelection {
  interval: Interval;
  /** The zone of the 1h/1d buckets and its generation (MetricsQuery); absent: UTC, 0. */
  zone?: TimeZone;
  zoneGeneration?: number;
  /** The bucket starts read, and the span they cover (coveredSpan). */
  buckets: number[];
  fromMs: number;
  toMs: number;
}

/** The port behind GET /v1/metrics. */
export interface MetricReader {
  /** The value of each bucket that has data, over all of the series' projects (absent buckets hold no data). */
  values(s: MetricSeries): Promise<Map<number, MetricValue>>;
}

/**
 * The points of a metrics query over the given projects: one per whole bucket that overlaps [from, to), zero-filled
 * (null for avg). A bucket is counted whole even where from or to falls inside it (rollups hold whole buckets only),
 * and the raw path reads exactly those buckets' events.
 */
export async function metricPoints(
  reader: MetricReader,
  q: MetricsQuery,
  tenantId: string,
  projectIds: string[],
): Promise<{ t: number; value: MetricValue }[]> {
  const buckets = bucketsIn(q.zone ?? UTC_ZONE).range(q.fromMs, q.toMs, q.interval);
  const s: MetricSeries = {
    tenantId,
    projectIds: [...projectIds].sort(),
    eventType: q.eventType,
    kind: q.kind,
    path: q.path,
    props: q.props,
    interval: q.interval,
    ...(q.zone === undefined ? {} : { zone: q.zone }),
    ...(q.zoneGeneration === undefined ? {} : { zoneGeneration: q.zoneGeneration }),
    buckets,
    ...coveredSpan(buckets, q),
  };
  const values = s.projectIds.length === 0 ? new Map<number, MetricValue>() : await reader.values(s);
  const shape = `${q.kind} ${buckets.length} ${buckets[0]} ${buckets[buckets.length - 1]}`;
  const held = pointsOfValues.get(values);
  if (held?.shape === shape) return held.points;
  const empty = emptyValue(q.kind);
  const points = buckets.map((t) => {
    const value = values.get(t);
    return { t, value: value === undefined ? empty : value };
  });
  pointsOfValues.set(values, { shape, points });
  return points;
}

/**
 * The points made of a reader's values, kept with that object: a reader may answer the same series with the same
 * object while it is unchanged (adapters/metric-reader.ts), and the same values give the same points, as the same
 * array (functions/query/metric-answer.ts isoPoints keeps its own with it). Neither may be changed by their users.
 */
const pointsOfValues = new WeakMap<
  ReadonlyMap<number, MetricValue>,
  { shape: string; points: { t: number; value: MetricValue }[] }
>();

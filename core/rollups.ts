// Planning of rollup writes from a batch of raw events: dedupe, retention, sorted bucket deltas. Pure.
import type { RawEvent } from './raw-event';
import { bucketStart, type Interval } from './intervals';

/**
 * Where an event's bucket of an interval starts, per tenant: 10s/1m/5m buckets are epoch-aligned for everyone,
 * 1h/1d buckets follow the tenant's time zone (core/timezone.ts, docs/api.md#time-zones). Every writer and the
 * read-back of a batch use the one BucketOf read with the batch's rollup locks, so they agree on the zone.
 */
export type BucketOf = (tenantId: string, timestampMs: number, interval: Interval) => number;

/** Every tenant in UTC. */
export const utcBucketOf: BucketOf = (_tenantId, timestampMs, interval) => bucketStart(timestampMs, interval);

/** Intervals the aggregate step maintains. */
export const ROLLUP_INTERVALS: readonly Interval[] = ['10s', '1m', '5m', '1h', '1d'];

/** 10s buckets serve the last 24 h only (docs/api.md#metrics); an hour of margin for late events and slow clocks. */
export const TEN_SECOND_KEEP_MS = 25 * 3_600_000;

/**
 * `count`, `unique_users` (the estimate of the bucket's HLL sketch; only ever cached, the sketch lives in
 * rollup_sketches), and per pre-aggregated property `sum:<name>` / `n:<name>` (sum, and number of events having it).
 */
export type RollupMetric = 'count' | 'unique_users' | `sum:${string}` | `n:${string}`;

export interface RollupKey {
  tenantId: string;
  projectId: string;
  eventType: string;
  metric: RollupMetric;
  interval: Interval;
  bucketMs: number;
  /**
   * The tenant's zone generation when the key names a 1h/1d bucket (absent: 0, a tenant that never changed its
   * zone): the Redis cache keys zoned buckets by it, so values bucketed in an earlier zone are never read again
   * (adapters/redis/rollup-cache.ts, docs/architecture.md#time-zones). Not part of the Postgres key.
   */
  zoneGeneration?: number;
}

/** The values with their tenants' zone generations, for the Redis cache (adapters/redis/rollup-cache.ts rollupCacheKey). */
export function withZoneGenerations<T extends RollupKey>(
  values: T[],
  generations: ReadonlyMap<string, { generation: number }>,
): T[] {
  return values.map((v) => {
    const g = generations.get(v.tenantId)?.generation ?? 0;
    return g > 0 ? { ...v, zoneGeneration: g } : v;
  });
}

export interface RollupDelta extends RollupKey {
  delta: number;
}

export interface RollupValue extends RollupKey {
  value: number;
  /** The exact decimal text of the value (numeric sums), when it differs from String(value). */
  text?: string;
  version: number;
}

/**
 * Which `sum:`/`avg:` paths the rollups cover: top-level properties (a path of one segment) whose name holds
 * no dot. Every event's top-level JSON-number properties are folded in (their number per event type is bounded
 * by the catalog's per-type property cap); nested paths are computed from raw events at query time. The rule
 * depends on the path alone, so the query side knows whether rollups are complete for it.
 */
export function isPreAggregatedPath(path: string[]): boolean {
  return path.length === 1 && path[0] !== '' && !path[0]!.includes('.');
}

/** Top-level properties of an event that the rollups fold in (JSON numbers only; same rule as the SQL). */
export function preAggregatedProperties(e: RawEvent): string[] {
  return Object.keys(e.properties).filter((k) => typeof e.properties[k] === 'number' && isPreAggregatedPath([k]));
}

export function rollupKeyId(k: RollupKey): string {
  return `${k.tenantId}\u0000${k.projectId}\u0000${k.eventType}\u0000${k.metric}\u0000${k.interval}\u0000${k.bucketMs}`;
}

/** One total order over keys shared by every writer, so concurrent upserts lock rows in the same order. */
export function compareRollupKeys(a: RollupKey, b: RollupKey): number {
  return (
    cmp(a.tenantId, b.tenantId) ||
    cmp(a.projectId, b.projectId) ||
    cmp(a.eventType, b.eventType) ||
    cmp(a.metric, b.metric) ||
    cmp(a.interval, b.interval) ||
    a.bucketMs - b.bucketMs
  );
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The first copy of each (tenant, event_id) in batch order; later copies are duplicates. */
export function firstCopies(events: RawEvent[]): RawEvent[] {
  const seen = new Set<string>();
  return events.filter((e) => {
    const id = e.tenantId + '\u0000' + e.eventId;
    if (seen.has(id)) return false;
    seen.add(id);
    return true;
  });
}

/** Events still inside their tenant's retention window; older ones may already have had their ids forgotten. */
export function withinRetention(
  events: RawEvent[],
  nowMs: number,
  retentionMs: number | ((tenantId: string) => number),
): RawEvent[] {
  const of = typeof retentionMs === 'number' ? () => retentionMs : retentionMs;
  return events.filter((e) => e.timestampMs >= nowMs - of(e.tenantId));
}

/**
 * A batch's events grouped by (tenant, project, event type, 10s bucket): every interval is a multiple of 10 s, so
 * each group lands in exactly one bucket of every interval. Planning per group instead of per event keeps the
 * per-event work to one map lookup.
 */
interface FineGroup {
  tenantId: string;
  projectId: string;
  eventType: string;
  bucket10s: number;
  count: number;
  hasUser: boolean;
  props: Set<string>;
}

function fineGroups(events: RawEvent[], withValues: boolean): FineGroup[] {
  const groups = new Map<string, FineGroup>();
  for (const e of events) {
    const bucket10s = bucketStart(e.timestampMs, '10s');
    const id = `${e.tenantId}\u0000${e.projectId}\u0000${e.eventType}\u0000${bucket10s}`;
    let g = groups.get(id);
    if (!g) {
      g = {
        tenantId: e.tenantId,
        projectId: e.projectId,
        eventType: e.eventType,
        bucket10s,
        count: 0,
        hasUser: false,
        props: new Set(),
      };
      groups.set(id, g);
    }
    g.count += 1;
    if (withValues) {
      if (e.userId !== null) g.hasUser = true;
      for (const p of preAggregatedProperties(e)) g.props.add(p);
    }
  }
  return [...groups.values()];
}

/** Count deltas per bucket, sorted by key. */
export function planCountDeltas(
  events: RawEvent[],
  intervals: readonly Interval[] = ROLLUP_INTERVALS,
  bucketOf: BucketOf = utcBucketOf,
): RollupDelta[] {
  const byKey = new Map<string, RollupDelta>();
  for (const g of fineGroups(events, false)) {
    for (const interval of intervals) {
      const key: RollupKey = {
        tenantId: g.tenantId,
        projectId: g.projectId,
        eventType: g.eventType,
        metric: 'count',
        interval,
        bucketMs: bucketOf(g.tenantId, g.bucket10s, interval),
      };
      const id = rollupKeyId(key);
      const existing = byKey.get(id);
      if (existing) existing.delta += g.count;
      else byKey.set(id, { ...key, delta: g.count });
    }
  }
  return [...byKey.values()].sort(compareRollupKeys);
}

/** Every count bucket a batch touches, new events or not: what must be read back and written to Redis. */
export function touchedKeys(
  events: RawEvent[],
  intervals: readonly Interval[] = ROLLUP_INTERVALS,
  bucketOf: BucketOf = utcBucketOf,
): RollupKey[] {
  return planCountDeltas(events, intervals, bucketOf).map(({ delta: _delta, ...key }) => key);
}

/** Every sum/n bucket and unique-users bucket a batch touches (sorted), for the read-back into Redis. */
export function touchedValueKeys(
  events: RawEvent[],
  intervals: readonly Interval[] = ROLLUP_INTERVALS,
  bucketOf: BucketOf = utcBucketOf,
): { sums: RollupKey[]; sketches: RollupKey[] } {
  const sums = new Map<string, RollupKey>();
  const sketches = new Map<string, RollupKey>();
  for (const g of fineGroups(events, true)) {
    if (g.props.size === 0 && !g.hasUser) continue;
    for (const interval of intervals) {
      const base = {
        tenantId: g.tenantId,
        projectId: g.projectId,
        eventType: g.eventType,
        interval,
        bucketMs: bucketOf(g.tenantId, g.bucket10s, interval),
      };
      if (g.hasUser) {
        const k: RollupKey = { ...base, metric: 'unique_users' };
        sketches.set(rollupKeyId(k), k);
      }
      for (const p of g.props) {
        for (const metric of [`sum:${p}`, `n:${p}`] as const) {
          const k: RollupKey = { ...base, metric };
          sums.set(rollupKeyId(k), k);
        }
      }
    }
  }
  return { sums: [...sums.values()].sort(compareRollupKeys), sketches: [...sketches.values()].sort(compareRollupKeys) };
}

/** Exact sum of decimal strings as Postgres prints numeric (no exponent), e.g. "0.1" + "0.2" = "0.3". */
export function addDecimals(values: string[]): string {
  let scale = 0;
  for (const v of values) scale = Math.max(scale, (v.split('.')[1] ?? '').length);
  let total = 0n;
  for (const v of values) total += scaled(v, scale);
  return unscale(total, scale);
}

/**
 * avg = sum / n, computed the same way whatever path produced sum and n: exact decimal division to 25
 * significant digits, then the nearest double. null when no event had the property.
 */
export function averageOf(sum: string, n: string): number | null {
  const count = BigInt(n.split('.')[0]!);
  if (count === 0n) return null;
  const scale = (sum.split('.')[1] ?? '').length;
  const extra = 25;
  const q = (scaled(sum, scale) * 10n ** BigInt(extra)) / count;
  return Number(unscale(q, scale + extra));
}

function scaled(v: string, scale: number): bigint {
  const neg = v.startsWith('-');
  const [int, frac = ''] = (neg ? v.slice(1) : v).split('.');
  const n = BigInt((int || '0') + frac.padEnd(scale, '0'));
  return neg ? -n : n;
}

function unscale(n: bigint, scale: number): string {
  const neg = n < 0n;
  const digits = (neg ? -n : n).toString().padStart(scale + 1, '0');
  const int = digits.slice(0, digits.length - scale);
  const frac = scale > 0 ? digits.slice(digits.length - scale).replace(/0+$/, '') : '';
  return (neg ? '-' : '') + int + (frac ? '.' + frac : '');
}

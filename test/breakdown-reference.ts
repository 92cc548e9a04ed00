// The reference implementation of breakdowns (docs/api.md#breakdowns) that integration tests compare GET /v1/metrics
// breakdown answers with: per bucket and series value, count and sum computed from the events themselves, the
// dimension rollups' K cap, the top `limit`, `$other` and `$none`. The bucket of an event is the caller's (epoch
// intervals, or a tenant's local hours and days), so the same reference serves UTC and zoned tenants.
import { createHash } from 'node:crypto';
import { addDecimals } from '../core/rollups';

/** docs/api.md#breakdowns: the series value of a property value, as the reference computes it. */
export function seriesValue(v: unknown): string {
  if (v === undefined || v === null) return '$none';
  if (typeof v === 'string') return v.startsWith('$') ? `$${v}` : v;
  if (typeof v === 'object') {
    // Postgres jsonb text of the one-key objects the tests generate.
    const [[k, x]] = Object.entries(v as Record<string, number>) as [[string, number]];
    return `{${JSON.stringify(k)}: ${x}}`;
  }
  return String(v); // integers and booleans: the same text as jsonb's
}

const md5 = (s: string) => createHash('md5').update(s, 'utf8').digest('hex');
export const byBytes = (a: string, b: string) => Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));

export interface Part {
  count: number;
  sums: string[];
}

export interface RefEvent {
  ts: number;
  v: unknown;
  amount?: number;
}

/**
 * Per bucket (of `buckets` only) and series value: count and the amounts. With `k`, each bucket keeps its k values of
 * smallest md5 and moves the rest to $other, as the dimension rollups do.
 */
export function bucketParts(
  events: readonly RefEvent[],
  bucketOf: (ms: number) => number,
  buckets: readonly number[],
  k: number | null,
): Map<number, Map<string, Part>> {
  const inRange = new Set(buckets);
  const perBucket = new Map<number, Map<string, Part>>();
  for (const e of events) {
    const b = bucketOf(e.ts);
    if (!inRange.has(b)) continue;
    const m = perBucket.get(b) ?? perBucket.set(b, new Map()).get(b)!;
    const s = seriesValue(e.v);
    const p = m.get(s) ?? m.set(s, { count: 0, sums: [] }).get(s)!;
    p.count += 1;
    if (e.amount !== undefined) p.sums.push(String(e.amount));
  }
  if (k !== null) {
    for (const [b, m] of perBucket) {
      const real = [...m.keys()].filter((s) => s !== '$none').sort((x, y) => byBytes(md5(x), md5(y)));
      const capped = new Map<string, Part>();
      for (const [s, p] of m) {
        const to = s === '$none' || real.indexOf(s) < k ? s : '$other';
        const q = capped.get(to) ?? capped.set(to, { count: 0, sums: [] }).get(to)!;
        q.count += p.count;
        q.sums.push(...p.sums);
      }
      perBucket.set(b, capped);
    }
  }
  return perBucket;
}

const valueOf = (metric: 'count' | 'sum', p: Part | undefined) =>
  p ? (metric === 'count' ? p.count : Number(addDecimals(['0', ...p.sums]))) : 0;

/** The points of series `name` over `buckets`, when the shown values are `top` (every other value is in $other). */
export function seriesPoints(
  parts: Map<number, Map<string, Part>>,
  buckets: readonly number[],
  metric: 'count' | 'sum',
  top: readonly string[],
  name: string,
) {
  const group = (s: string) => (s === '$none' || top.includes(s) ? s : '$other');
  return buckets.map((b) => {
    const ps = [...(parts.get(b) ?? new Map<string, Part>())].filter(([s]) => group(s) === name).map(([, p]) => p);
    const value =
      ps.length === 0
        ? 0
        : valueOf(metric, { count: ps.reduce((a, p) => a + p.count, 0), sums: ps.flatMap((p) => p.sums) });
    return { t: new Date(b).toISOString(), value };
  });
}

/**
 * The reference series: bucketParts, then the `limit` values of largest total over the buckets (ties: byte order)
 * shown, the rest in $other, then $none.
 */
export function referenceSeries(
  events: readonly RefEvent[],
  bucketOf: (ms: number) => number,
  buckets: readonly number[],
  metric: 'count' | 'sum',
  limit: number,
  k: number | null,
) {
  const perBucket = bucketParts(events, bucketOf, buckets, k);
  const totals = new Map<string, Part>();
  for (const m of perBucket.values())
    for (const [s, p] of m) {
      const t = totals.get(s) ?? totals.set(s, { count: 0, sums: [] }).get(s)!;
      t.count += p.count;
      t.sums.push(...p.sums);
    }
  const exactTotal = (p: Part) => (metric === 'count' ? String(p.count) : addDecimals(['0', ...p.sums]));
  const ranked = [...totals]
    .filter(([s]) => s !== '$none' && s !== '$other')
    .sort(([a, x], [b, y]) => {
      const d = Number(exactTotal(y)) - Number(exactTotal(x));
      return d !== 0 ? d : byBytes(a, b);
    })
    .map(([s]) => s);
  const top = ranked.slice(0, limit);
  const group = (s: string) => (s === '$none' || top.includes(s) ? s : '$other');
  const names = [...top, ...['$other', '$none'].filter((s) => [...totals.keys()].some((x) => group(x) === s))];
  return names.map((name) => {
    const all = [...totals].filter(([s]) => group(s) === name).map(([, p]) => p);
    const total = valueOf(metric, { count: all.reduce((a, p) => a + p.count, 0), sums: all.flatMap((p) => p.sums) });
    return { value: name, total, points: seriesPoints(perBucket, buckets, metric, top, name) };
  });
}

/** Σ series = points, bucket by bucket, in exact decimals. */
export function expectSeriesAddUp(answer: {
  points: { value: number | null }[];
  series: { points: { value: number | null }[] }[];
}): void {
  answer.points.forEach((p, i) => {
    const parts = answer.series.map((s) => String(s.points[i]!.value));
    expect(Number(addDecimals(['0', ...parts]))).toBe(p.value);
  });
}

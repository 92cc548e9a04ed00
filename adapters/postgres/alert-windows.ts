// The values alert rules compare (docs/architecture.md#rule-8-alerts-read-the-truth-once-it-is-written): sliding windows over the 10s rollups and sketches in
// Postgres — the truth, never a count of the alert engine's own — or over raw events for property filters and
// nested paths (the same arithmetic as GET /v1/metrics). Implements the ports of core/alert-evaluation.ts.
import { bindSql, type Sql } from './client';
import { averageOf } from '../../core/rollups';
import {
  emptyValue,
  isPercentile,
  percentileValue,
  rawBucketValue,
  readsRawEvents,
  type RawBucket,
} from '../../core/metric-query';
import { mergeSketches, type QuantileSketch } from '../../core/quantile-sketch';
import { readQuantileSketches } from './quantile-store';
import type { AlertWindows, ArrivalQuery, GroupQuery, WindowQuery } from '../../core/alert-evaluation';
import { MAX_GROUP_KEY_LENGTH, type GroupValues } from '../../core/alert-groups';
import { metricsFromRawEvents } from './raw-metrics';
import { HLL_PARAMS } from './aggregate-store';
import { propertyFilter } from './property-filter';

/** The window reads of alert rules and previews, through `sql` (a pool, a transaction or a savepoint). */
export const createAlertWindows = (sql: Sql): AlertWindows => bindSql(sql, { windowValues, groupValues, eventTimes });

/** The value of each window, newest first (index 0 ends at toMs); null where the metric is undefined (avg of nothing). */
async function windowValues(sql: Sql, q: WindowQuery): Promise<(number | null)[]> {
  const out: (number | null)[] = Array.from({ length: q.windows }, () => emptyValue(q.kind));
  if (q.projectIds.length === 0) return out;
  const fromMs = q.toMs - q.windows * q.windowMs;
  const indexOf = (bucketMs: number) => Math.floor((q.toMs - 1 - bucketMs) / q.windowMs);
  if (q.untilMs !== undefined || readsRawEvents(q)) {
    const toMs = q.untilMs === undefined ? q.toMs : Math.min(q.toMs, q.untilMs + 1);
    const raw = await metricsFromRawEvents(sql, {
      ...q,
      toMs,
      bucketMs: q.windowMs,
      originMs: q.toMs,
      fromMs,
      path: q.path,
      sketches: isPercentile(q.kind),
    });
    for (const [bucket, b] of raw) {
      const k = indexOf(bucket);
      if (k < 0 || k >= q.windows) continue;
      out[k] = rawBucketValue(q.kind, b);
    }
    return out;
  }
  const from = new Date(fromMs);
  const to = new Date(q.toMs);
  const k = sql`((extract(epoch from ${to}::timestamptz - bucket_start) * 1000)::bigint - 1) / ${q.windowMs}`;
  const projects = sql.array(q.projectIds);
  if (isPercentile(q.kind)) {
    // The window's 10s sketches merged (exact: merging is associative), then the quantile of the merged sketch.
    const stored = await readQuantileSketches(sql, { ...q, path: q.path![0]!, interval: '10s', fromMs, toMs: q.toMs });
    const perWindow = new Map<number, QuantileSketch[]>();
    for (const b of stored) {
      const i = indexOf(b.bucketMs);
      if (i >= 0 && i < q.windows) (perWindow.get(i) ?? perWindow.set(i, []).get(i)!).push(b.sketch);
    }
    for (const [i, sketches] of perWindow) out[i] = percentileValue(q.kind, mergeSketches(...sketches));
    return out;
  }
  if (q.kind === 'unique_users') {
    const rows = await sql<{ k: string; v: string }[]>`
      select ${k} as k, round(hll_cardinality(hll_union_agg(sketch)))::bigint::text as v
      from rollup_sketches
      where tenant_id = ${q.tenantId} and event_type = ${q.eventType} and interval = '10s' and project_id = any(${projects}::uuid[])
        and bucket_start >= ${from} and bucket_start < ${to}
      group by 1`;
    for (const r of rows) out[Number(r.k)] = Number(r.v);
    return out;
  }
  const name = q.path?.[0] ?? '';
  const metrics = q.kind === 'count' ? ['count'] : q.kind === 'sum' ? [`sum:${name}`] : [`sum:${name}`, `n:${name}`];
  const rows = await sql<{ k: string; metric: string; v: string }[]>`
    select ${k} as k, metric, sum(value)::text as v
    from rollups
    where tenant_id = ${q.tenantId} and event_type = ${q.eventType} and metric = any(${sql.array(metrics)}::text[]) and interval = '10s'
      and project_id = any(${projects}::uuid[]) and bucket_start >= ${from} and bucket_start < ${to}
    group by 1, 2`;
  const byWindow = new Map<number, Map<string, string>>();
  for (const r of rows) {
    const m = byWindow.get(Number(r.k)) ?? new Map<string, string>();
    m.set(r.metric, r.v);
    byWindow.set(Number(r.k), m);
  }
  for (const [i, m] of byWindow) {
    if (i < 0 || i >= q.windows) continue;
    out[i] =
      q.kind === 'avg'
        ? averageOf(m.get(`sum:${name}`) ?? '0', m.get(`n:${name}`) ?? '0')
        : Number(m.get(metrics[0]!) ?? '0');
  }
  return out;
}

/**
 * The newest window's value per value of the property `q.groupBy` (group_by rules), from the raw events: the rollups
 * hold no per-property series, and a rule's window is at most 24 h of one tenant's event type, read through the
 * (tenant_id, event_type, ts) index — the same reads as a property-filtered rule's. The arithmetic is raw-metrics.ts's
 * (hll of the same parameters, exact numeric sums, the same quantile sketch), so a group's value equals the rule's
 * value with a filter on that group. Returns `q.keys` and the `q.limit` groups with the most events, and how many
 * groups there were.
 */
async function groupValues(sql: Sql, q: GroupQuery): Promise<GroupValues> {
  const values = new Map<string, number | null>();
  if (q.projectIds.length === 0) return { values, total: 0 };
  const fromMs = q.toMs - q.windowMs;
  const toMs = q.untilMs === undefined ? q.toMs : Math.min(q.toMs, q.untilMs + 1);
  if (toMs <= fromMs) return { values, total: 0 };
  const none = sql``;
  const propConds = q.props.map(([path, value]) => propertyFilter(sql, sql`properties`, path, value));
  const key = sql`(properties #>> ${q.groupBy}::text[])`;
  const only = q.only === undefined ? none : sql`and ${key} = ${q.only}`;
  const value = q.path === null ? sql`null::jsonb` : sql`properties #> ${q.path}::text[]`;
  const selected = sql`(
      select ${key} as g, user_id, ${value} as v
      from events
      where tenant_id = ${q.tenantId} and project_id = any(${sql.array(q.projectIds)}::uuid[]) and event_type = ${q.eventType}
        and ts >= ${new Date(fromMs)} and ts < ${new Date(toMs)}
        and length(${key}) between 1 and ${MAX_GROUP_KEY_LENGTH}
        ${only} ${propConds.reduce((acc, c) => sql`${acc} ${c}`, none)}
    ) e`;
  const { log2m, regwidth, expthresh, sparseon } = HLL_PARAMS;
  const rows = await sql<{ g: string; n: string; u: string | null; s: string | null; c: string; total: string }[]>`
    select g, n, u, s, c, total::text from (
      select g, count(*)::text as n,
             round(hll_cardinality(hll_add_agg(hll_hash_text(user_id), ${log2m}, ${regwidth}, ${expthresh}, ${sparseon})))::bigint::text as u,
             sum(case when jsonb_typeof(v) = 'number' then v::numeric end)::text as s,
             count(case when jsonb_typeof(v) = 'number' then 1 end)::text as c,
             row_number() over (order by count(*) desc, g) as rn,
             count(*) over () as total
      from ${selected}
      group by g) x
    where rn <= ${q.limit} or g = any(${sql.array(q.keys)}::text[])`;
  const buckets = new Map<string, RawBucket>(
    rows.map((r) => [r.g, { count: Number(r.n), uniqueUsers: Number(r.u ?? 0), sum: r.s ?? '0', n: r.c }]),
  );
  if (isPercentile(q.kind) && q.path !== null && rows.length > 0) {
    // Each group's quantile sketch, built as raw-metrics.ts builds a bucket's (quantile_bin of the value as float8).
    const sketchRows = await sql<{ g: string; bin: number; c: string; lo: number; hi: number }[]>`
      select g, quantile_bin(x) as bin, count(*)::text as c, min(x) as lo, max(x) as hi
      from (select g, case when jsonb_typeof(v) = 'number' then v::float8 end as x from ${selected}) f
      where x is not null and g = any(${sql.array([...buckets.keys()])}::text[])
      group by g, bin
      order by g, bin`;
    const sketches = new Map<string, QuantileSketch>();
    for (const r of sketchRows) {
      let sk = sketches.get(r.g);
      if (!sk) sketches.set(r.g, (sk = { bins: [], counts: [], count: 0, min: r.lo, max: r.hi }));
      sk.bins.push(r.bin);
      sk.counts.push(Number(r.c));
      sk.count += Number(r.c);
      sk.min = Math.min(sk.min!, r.lo);
      sk.max = Math.max(sk.max!, r.hi);
    }
    for (const [g, sk] of sketches) buckets.get(g)!.sketch = mergeSketches(sk);
  }
  for (const [g, b] of buckets) values.set(g, rawBucketValue(q.kind, b));
  return { values, total: rows.length > 0 ? Number(rows[0]!.total) : 0 };
}

/** Distinct timestamps of stored events of `eventTypes` in (afterMs, untilMs], oldest first, at most `limit`. */
async function eventTimes(sql: Sql, q: ArrivalQuery): Promise<number[]> {
  if (q.projectIds.length === 0 || q.untilMs <= q.afterMs) return [];
  const group = q.group ? sql`and properties #>> ${q.group.names}::text[] = ${q.group.key}` : sql``;
  const rows = await sql<{ ms: string }[]>`
    select distinct floor(extract(epoch from ts) * 1000)::bigint::text as ms
    from events
    where tenant_id = ${q.tenantId} and project_id = any(${sql.array(q.projectIds)}::uuid[]) and event_type = any(${sql.array(q.eventTypes)}::text[])
      and ts > ${new Date(q.afterMs)} and ts < ${new Date(q.untilMs + 1)} ${group}
    order by 1
    limit ${q.limit}`;
  return rows.map((r) => Number(r.ms)).sort((a, b) => a - b);
}

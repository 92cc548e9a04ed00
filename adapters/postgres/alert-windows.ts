// The values alert rules compare (docs/architecture.md#rule-8-alerts-read-the-truth-once-it-is-written): sliding windows over the 10s rollups and sketches in
// Postgres — the truth, never a count of the alert engine's own — or over raw events for property filters and
// nested paths (the same arithmetic as GET /v1/metrics). Implements the ports of core/alert-evaluation.ts.
import { bindSql, type Sql } from './client';
import { averageOf } from '../../core/rollups';
import { emptyValue, isPercentile, percentileValue, rawBucketValue, readsRawEvents } from '../../core/metric-query';
import { mergeSketches, type QuantileSketch } from '../../core/quantile-sketch';
import { readQuantileSketches } from './quantile-store';
import type { AlertWindows, ArrivalQuery, WindowQuery } from '../../core/alert-evaluation';
import { metricsFromRawEvents } from './raw-metrics';

/** The window reads of alert rules and previews, through `sql` (a pool, a transaction or a savepoint). */
export const createAlertWindows = (sql: Sql): AlertWindows => bindSql(sql, { windowValues, eventTimes });

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

/** Distinct timestamps of stored events of `eventTypes` in (afterMs, untilMs], oldest first, at most `limit`. */
async function eventTimes(sql: Sql, q: ArrivalQuery): Promise<number[]> {
  if (q.projectIds.length === 0 || q.untilMs <= q.afterMs) return [];
  const rows = await sql<{ ms: string }[]>`
    select distinct floor(extract(epoch from ts) * 1000)::bigint::text as ms
    from events
    where tenant_id = ${q.tenantId} and project_id = any(${sql.array(q.projectIds)}::uuid[]) and event_type = any(${sql.array(q.eventTypes)}::text[])
      and ts > ${new Date(q.afterMs)} and ts < ${new Date(q.untilMs + 1)}
    order by 1
    limit ${q.limit}`;
  return rows.map((r) => Number(r.ms)).sort((a, b) => a - b);
}
